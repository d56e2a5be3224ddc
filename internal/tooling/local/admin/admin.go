// Package admin is the local system's admin surface on its own loopback listener: what
// `wildrydes fault`, `wildrydes rollout --local`, `wildrydes local-deploy` and `wildrydes alarms`
// call. Only they can: every call carries the system's per-run token (the state file's
// AdminToken, which only the user can read), and a body only as JSON, which a web page can send
// only after a CORS preflight that the surface never answers.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// System is what the admin endpoints act on.
type System interface {
	// SetTableUnavailable turns the table fault on for d (off with d <= 0).
	SetTableUnavailable(d time.Duration)
	// Deploy creates or updates one stack, or refuses as CloudFormation would.
	Deploy(ctx context.Context, stack *cfn.Stack) error
	// AlarmsReport is the alarms' states, their changes and the outbox.
	AlarmsReport() AlarmsReport
}

// DeployRequest is the body of POST /_local/deploy: deploy one stack from a template of a
// synthesized cloud assembly onto the running system, as `wildrydes rollout --local` does. A
// deploy CloudFormation refuses or fails is answered 409 with CloudFormation's message.
type DeployRequest struct {
	StackName    string
	TemplateFile string
}

// Server serves the admin endpoints.
type Server struct {
	srv   *loopback.Server
	sys   System
	root  string
	token string
}

// Start serves the admin endpoints of sys on a free loopback port, to callers that send token;
// /_local/deploy reads the templates of the cloud assemblies synthesized for the repository at
// root.
func Start(sys System, root, token string) (*Server, error) {
	s := &Server{sys: sys, root: root, token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_local/faults/table", s.fault)
	mux.HandleFunc("POST /_local/deploy", s.deploy)
	mux.HandleFunc("GET /_local/alarms", s.alarms)
	var err error
	if s.srv, err = loopback.Serve("admin", 0, s.authorized(mux)); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the endpoints' base, .../_local (the state file's Admin).
func (s *Server) URL() string { return s.srv.URL + "/_local" }

// Shutdown stops the listener.
func (s *Server) Shutdown(ctx context.Context) {
	if s != nil {
		s.srv.Shutdown(ctx)
	}
}

// Authorize sets on req what the admin endpoints require of a caller holding token.
func Authorize(req *http.Request, token string) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
}

// authorized refuses a call without the token (401), or one with a body that is not JSON (415).
func (s *Server) authorized(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+s.token)) != 1 {
			http.Error(w, "the admin endpoints need the local system's token (the state file's AdminToken) as Authorization: Bearer TOKEN", http.StatusUnauthorized)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method != http.MethodGet && (err != nil || mt != "application/json") {
			http.Error(w, "the admin endpoints take Content-Type: application/json", http.StatusUnsupportedMediaType)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// fault is POST /_local/faults/table {"unavailableFor":"30s"} ("0s" ends it).
func (s *Server) fault(w http.ResponseWriter, r *http.Request) {
	var req struct{ UnavailableFor string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, `body must be {"unavailableFor":"30s"}`, http.StatusBadRequest)
		return
	}
	d, err := time.ParseDuration(req.UnavailableFor)
	if err != nil {
		http.Error(w, fmt.Sprintf("unavailableFor %q: %v", req.UnavailableFor, err), http.StatusBadRequest)
		return
	}
	s.sys.SetTableUnavailable(d)
	w.WriteHeader(http.StatusNoContent)
}

// deploy is POST /_local/deploy with a DeployRequest. The engine takes the stack for the
// deploy: one operation at a time per stack.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) {
	var req DeployRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || req.StackName == "" || req.TemplateFile == "" {
		http.Error(w, `body must be {"StackName": "...", "TemplateFile": "..."}`, http.StatusBadRequest)
		return
	}
	stack, err := synth.AssemblyStack(s.root, req.TemplateFile, req.StackName)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.sys.Deploy(context.WithoutCancel(r.Context()), stack); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// AlarmsReport is GET /_local/alarms: every alarm's state, each state change with the
// notifications its actions published, and the emails SNS sent (`wildrydes alarms`).
type AlarmsReport struct {
	Alarms  []cloudwatch.AlarmStatus
	Changes []cloudwatch.Transition
	Outbox  []sns.Mail
	// Clock says how the system's AWS time runs, Now what it is.
	Clock string
	Now   time.Time
}

func (s *Server) alarms(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.sys.AlarmsReport())
}

// Alarms reads the alarms report of the local system whose admin URL is adminURL, with its token.
func Alarms(ctx context.Context, adminURL, token string) (AlarmsReport, error) {
	var report AlarmsReport
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/alarms", nil)
	if err != nil {
		return report, err
	}
	Authorize(req, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return report, fmt.Errorf("reading the local system's alarms: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return report, fmt.Errorf("reading the local system's alarms: %s: %s", resp.Status, msg)
	}
	return report, json.NewDecoder(resp.Body).Decode(&report)
}
