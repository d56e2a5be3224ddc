// Package loopback is how every listener of the local system is set up: on 127.0.0.1, at a fixed
// port a user bookmarks or any free one, with a port in use named by its listener so a command
// can name the flag that moves it, answering loopback hosts and its own pages only (check.go).
package loopback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// PortInUseError says a fixed port the local system was asked to listen on is taken. Listener
// names which one ("api", "record", "emulator" or "console"), so a command can name its flag.
type PortInUseError struct {
	Listener string
	Port     int
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("local: port %d (the %s listener) is in use", e.Port, e.Listener)
}

// Listen listens on 127.0.0.1:port, any free port when port is 0.
func Listen(listener string, port int) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &PortInUseError{Listener: listener, Port: port}
	}
	if err != nil {
		return nil, fmt.Errorf("listening on loopback for the %s: %w", listener, err)
	}
	return l, nil
}

// Server is one HTTP listener of the local system.
type Server struct {
	// URL is http://127.0.0.1:PORT.
	URL string
	srv *http.Server
}

// Serve serves h on 127.0.0.1:port (0: any free port) until Shutdown.
func Serve(listener string, port int, h http.Handler) (*Server, error) {
	l, err := Listen(listener, port)
	if err != nil {
		return nil, err
	}
	return ServeOn(l, h), nil
}

// ServeOn serves h on l, a listener from Listen, until Shutdown: a port taken early, before
// what it serves exists. It answers loopback hosts and its own origin only (Check).
func ServeOn(l net.Listener, h http.Handler) *Server { return serveOn(l, Check(h)) }

// ServeOnWithCORS is ServeOn for a handler that answers other origins by the CORS it declares:
// the Host alone is checked (CheckHost).
func ServeOnWithCORS(l net.Listener, h http.Handler) *Server { return serveOn(l, CheckHost(h)) }

func serveOn(l net.Listener, h http.Handler) *Server {
	s := &Server{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(l) }()
	return s
}

// Shutdown stops the listener and waits, until ctx ends, for the requests it is serving.
func (s *Server) Shutdown(ctx context.Context) {
	if s != nil {
		_ = s.srv.Shutdown(ctx)
	}
}
