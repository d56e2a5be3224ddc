package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
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
	cfg     Config
	mux     *http.ServeMux
	checked http.Handler // mux behind the checks
	hub     hub
	live    *live

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
	s.checked = loopback.CheckPage(http.HandlerFunc(s.serve))
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

// ServeHTTP answers loopback callers and the console's own pages only (loopback.CheckPage: a link
// to it on another site still opens it), never inside another site's frame, and takes
// a control only with the system's per-run token, which the console gives its own page
// (/api/config), and a JSON body: a page of another site can send neither without a CORS
// preflight, which the console never answers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !loopback.IsLoopbackHost(r.RemoteAddr) {
		http.Error(w, "the console answers on loopback only", http.StatusForbidden)
		return
	}
	s.checked.ServeHTTP(w, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && s.cfg.System != nil {
		token := "Bearer " + s.cfg.System.AdminToken()
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(token)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "the controls answer the console's own page (its token) only"})
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "the controls take Content-Type: application/json"})
			return
		}
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	s.mux.ServeHTTP(w, r)
}

// Listen serves the console on a loopback address such as 127.0.0.1:4000 (port 0: any free
// port) and returns its URL and a function that stops it.
func (s *Server) Listen(addr string) (string, func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !loopback.IsLoopbackHost(host) {
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
	config := map[string]any{"ApiUrl": s.cfg.APIURL, "System": s.cfg.System != nil, "CanDeploy": s.cfg.DeployNext != nil}
	if s.cfg.System != nil {
		// The controls' token, for the console's own page: no other page can read this answer
		// (no CORS, and a foreign Host is refused).
		config["Token"] = s.cfg.System.AdminToken()
	}
	writeJSON(w, http.StatusOK, config)
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
