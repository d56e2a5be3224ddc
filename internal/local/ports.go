package local

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// PortInUseError says a fixed port the local system was asked to listen on is taken. Listener
// names which one: "api", "record", "emulator" or "console", so a command can name its flag.
type PortInUseError struct {
	Listener string
	Port     int
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("local: port %d (the %s listener) is in use", e.Port, e.Listener)
}

// listenLoopback listens on 127.0.0.1:port, an ephemeral port when port is 0.
func listenLoopback(listener string, port int) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &PortInUseError{Listener: listener, Port: port}
	}
	if err != nil {
		return nil, fmt.Errorf("listening on loopback for the %s: %w", listener, err)
	}
	return l, nil
}

// routeFront is a public listener on a stable port that serves whichever HTTP API currently has
// routeKey: the APIs themselves come and go with the stacks (and the refactor steps) on ports of
// their own, while the address a user bookmarks stays.
type routeFront struct {
	sys      *System
	routeKey string
	srv      *http.Server
	url      string
}

func (s *System) startFront(listener string, port int, routeKey string) (*routeFront, error) {
	l, err := listenLoopback(listener, port)
	if err != nil {
		return nil, err
	}
	f := &routeFront{sys: s, routeKey: routeKey, url: "http://" + l.Addr().String()}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(l) }()
	return f, nil
}

func (f *routeFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api := f.sys.apiWithRoute(f.routeKey)
	if api == nil {
		http.Error(w, fmt.Sprintf(`{"message":"no deployed API has the route %s"}`, f.routeKey), http.StatusServiceUnavailable)
		return
	}
	api.ServeHTTP(w, r)
}

// apiWithRoute is the deployed HTTP API that has routeKey, or nil.
func (s *System) apiWithRoute(routeKey string) *httpAPI {
	s.mu.Lock()
	apis := make([]*httpAPI, 0, len(s.apis))
	for _, a := range s.apis {
		apis = append(apis, a)
	}
	s.mu.Unlock()
	for _, a := range apis {
		a.mu.RLock()
		_, ok := a.routes[routeKey]
		a.mu.RUnlock()
		if ok {
			return a
		}
	}
	return nil
}
