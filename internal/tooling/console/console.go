package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/weblib"
)

//go:embed static
var static embed.FS

// Config is what the console serves.
type Config struct {
	// System is the running local system; nil serves the rider's page alone (a deployed API).
	System *local.System
	// APIURL is the wild-rydes API the rider's page calls (POST APIURL/ride); default the
	// local system's.
	APIURL string
	// Assembly is what the local system runs: the console draws it.
	Assembly *cfn.Assembly
	// Steps says each stack's refactor step (stack name -> step); nil: not shown.
	Steps func() map[string]int
	// DeployNext deploys the next refactor step and returns its assembly; nil: not offered.
	DeployNext func(ctx context.Context) (*cfn.Assembly, error)
	// Log receives the console's own messages.
	Log io.Writer
}

// Server is the console: an http.Handler for loopback.
type Server struct {
	cfg  Config
	mux  *http.ServeMux
	hub  hub
	live *live

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	ctlMu  sync.Mutex
	burst  BurstState
	deploy DeployState
}

// New makes a console and starts its watchers; Close stops them. An error says the system or
// its templates could not be read.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.APIURL == "" && cfg.System != nil {
		st, err := cfg.System.State()
		if err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		cfg.APIURL = st.ApiUrl
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	files, _ := fs.Sub(static, "static")
	s.mux.Handle("GET /", http.FileServerFS(files))
	s.mux.Handle("GET /lib/", http.StripPrefix("/lib/", http.FileServerFS(weblib.FS)))
	s.mux.HandleFunc("GET /api/config", s.config)
	if cfg.System != nil {
		var err error
		if s.live, err = newLive(cfg.System, cfg.Assembly); err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		s.mux.HandleFunc("GET /api/events", s.serveEvents)
		s.mux.HandleFunc("GET /api/trace/{id}", s.trace)
		s.mux.HandleFunc("POST /api/fault", s.fault)
		s.mux.HandleFunc("GET /api/dlq", s.dlqList)
		s.mux.HandleFunc("POST /api/dlq/redrive", s.redrive)
		s.mux.HandleFunc("POST /api/burst", s.startBurst)
		s.mux.HandleFunc("POST /api/deploy", s.deployNext)
		s.mux.HandleFunc("GET /api/dashboards", s.dashboards)
		s.wg.Add(2)
		go s.watch()
		go s.push()
	}
	return s, nil
}

// Close stops the console's watchers and any burst.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// ServeHTTP answers loopback callers only, and refuses an admin call from another origin.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !loopbackHost(r.Host) || !loopbackHost(r.RemoteAddr) {
		http.Error(w, "the console answers on loopback only", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if o := r.Header.Get("Origin"); o != "" {
			if u, err := url.Parse(o); err != nil || u.Host != r.Host {
				http.Error(w, "admin calls come from the console's own page", http.StatusForbidden)
				return
			}
		}
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen serves the console on a loopback address such as 127.0.0.1:4000 (port 0: any free
// port) and returns its URL and a function that stops it.
func (s *Server) Listen(addr string) (string, func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !loopbackHost(host) {
		return "", nil, fmt.Errorf("the console listens on loopback only, not %q", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("console: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String() + "/", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		s.Close()
	}, nil
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"ApiUrl": s.cfg.APIURL, "System": s.cfg.System != nil,
		"CanDeploy": s.cfg.DeployNext != nil})
}

func (s *Server) trace(w http.ResponseWriter, r *http.Request) {
	t, ok := s.live.trace(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no trace of ride " + r.PathValue("id") + " since the console started"})
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) topology() Topology { return s.live.topology() }

// snapshot is every figure now, with the controls' state.
func (s *Server) snapshot() Snapshot {
	snap := s.live.snapshot()
	if s.cfg.Steps != nil {
		snap.Steps = s.cfg.Steps()
	}
	s.ctlMu.Lock()
	snap.Burst, snap.Deploy = s.burst, s.deploy
	s.ctlMu.Unlock()
	return snap
}

// watch turns the system's events into figures and traces.
func (s *Server) watch() {
	defer s.wg.Done()
	events, stop := s.cfg.System.Events().Watch(8192)
	defer stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case ev := <-events:
			s.live.apply(ev)
		}
	}
}

// push sends a snapshot to the pages when something changed, at most 5 times a second, and
// polls the emulator for the table's items and the queue's messages once a second while a
// page is connected: the one place the console reads the emulator.
func (s *Server) push() {
	defer s.wg.Done()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var polled time.Time
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		if s.hub.count() == 0 {
			continue
		}
		if time.Since(polled) >= time.Second {
			polled = time.Now()
			ctx, cancel := context.WithTimeout(s.ctx, 900*time.Millisecond)
			if err := s.live.poll(ctx); err != nil && s.ctx.Err() == nil {
				fmt.Fprintln(s.cfg.Log, "console: reading the emulator:", err)
			}
			cancel()
		}
		if s.live.changed() || s.controlsChanged() {
			s.hub.broadcast("snapshot", s.snapshot())
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v any) error {
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
