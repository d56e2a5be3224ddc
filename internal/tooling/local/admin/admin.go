// Package admin is the local system's admin surface on its own loopback listener: what
// `wildrydes fault`, `wildrydes rollout --local`, `wildrydes local-deploy` and `wildrydes alarms`
// call.
package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
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

// DeployRequest is the body of POST /_local/deploy: deploy one stack from a template file onto
// the running system, as `wildrydes rollout --local` does. A deploy CloudFormation would refuse
// is answered 409 with CloudFormation's message, and nothing changes.
type DeployRequest struct {
	StackName    string
	TemplateFile string
}

// Server serves the admin endpoints.
type Server struct {
	srv *loopback.Server
	sys System
}

// Start serves the admin endpoints of sys on a free loopback port.
func Start(sys System) (*Server, error) {
	s := &Server{sys: sys}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_local/faults/table", s.fault)
	mux.HandleFunc("POST /_local/deploy", s.deploy)
	mux.HandleFunc("GET /_local/alarms", s.alarms)
	var err error
	if s.srv, err = loopback.Serve("admin", 0, mux); err != nil {
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

// deploy is POST /_local/deploy with a DeployRequest. The system takes the stack's lock: one
// update at a time per stack.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) {
	var req DeployRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || req.StackName == "" || req.TemplateFile == "" {
		http.Error(w, `body must be {"StackName": "...", "TemplateFile": "..."}`, http.StatusBadRequest)
		return
	}
	t, err := cfn.LoadTemplate(req.TemplateFile)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.sys.Deploy(context.WithoutCancel(r.Context()), &cfn.Stack{Name: req.StackName, TemplateFile: req.TemplateFile, Template: t}); err != nil {
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

// Alarms reads the alarms report of the local system whose admin URL is adminURL.
func Alarms(ctx context.Context, adminURL string) (AlarmsReport, error) {
	var report AlarmsReport
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/alarms", nil)
	if err != nil {
		return report, err
	}
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
