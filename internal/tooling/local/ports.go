package local

import (
	"errors"
	"fmt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
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

// routeFront is a public listener on a stable port that serves whichever deployed HTTP API
// plays its role (the API riders book rides on, or the one that records them, found in the model
// of the deployed templates): the APIs themselves come and go with the stacks (and the refactor
// steps) on ports of their own, while the address a user bookmarks stays.
type routeFront struct {
	sys  *System
	role string // "ride" or "record"
	srv  *http.Server
	url  string
}

func (s *System) startFront(listener string, port int, role string) (*routeFront, error) {
	l, err := listenLoopback(listener, port)
	if err != nil {
		return nil, err
	}
	f := &routeFront{sys: s, role: role, url: "http://" + l.Addr().String()}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(l) }()
	return f, nil
}

func (f *routeFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.sys.mu.Lock()
	api := f.sys.roleAPIs[f.role]
	f.sys.mu.Unlock()
	if api == nil {
		http.Error(w, fmt.Sprintf(`{"message":"no deployed API serves the %s role"}`, f.role), http.StatusServiceUnavailable)
		return
	}
	api.ServeHTTP(w, r)
}

// findRoleAPIs finds, in the model of the deployed stacks, the API riders book rides on (a route
// invokes a function that hands off rides) and the API that records them (a route invokes a
// function that stores rides). The caller holds s.mu.
func (s *System) findRoleAPIs(sys *model.System) map[string]*httpAPI {
	out := map[string]*httpAPI{}
	for _, r := range sys.Routes() {
		if r.Function == nil || r.API == nil {
			continue
		}
		d := s.stacks[r.API.Stack.Name]
		if d == nil || d.resources[r.API.LogicalID] == nil {
			continue
		}
		api := s.apis[d.resources[r.API.LogicalID].physical]
		switch {
		case api == nil:
		case r.Function.HandsOffRides():
			out["ride"] = api
		case sys.StoredBy(r.Function) != nil:
			out["record"] = api
		}
	}
	return out
}

// deployedModel is the model of the stacks as deployed. The caller holds s.mu.
func (s *System) deployedModel() (*model.System, error) {
	var sources []*cfn.Stack
	for _, d := range s.stacks {
		sources = append(sources, d.source)
	}
	return model.New(sources...)
}
