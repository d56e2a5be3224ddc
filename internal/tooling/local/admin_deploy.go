package local

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// DeployRequest is the body of POST /_local/deploy: deploy one stack from a template file onto
// the running system, as `wildrydes rollout --local` does. A deploy CloudFormation would refuse
// is answered 409 with CloudFormation's message, and nothing changes.
type DeployRequest struct {
	StackName    string
	TemplateFile string
}

var deploys sync.Mutex // one stack update at a time, as CloudFormation does per stack

func deployStack(sys *System, w http.ResponseWriter, r *http.Request) {
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
	deploys.Lock()
	defer deploys.Unlock()
	if err := sys.Deploy(context.WithoutCancel(r.Context()), &cfn.Stack{Name: req.StackName, TemplateFile: req.TemplateFile, Template: t}); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
