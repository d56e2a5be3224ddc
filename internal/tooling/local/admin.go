package local

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The local system's admin endpoints, served on loopback beside the SNS bridge: what
// `wildrydes fault` and the console call.

// registerAdmin adds the admin endpoints under /_local/.
func registerAdmin(mux *http.ServeMux, sys *System) {
	mux.HandleFunc("POST /_local/faults/table", func(w http.ResponseWriter, r *http.Request) { fault(sys, w, r) })
	mux.HandleFunc("POST /_local/deploy", func(w http.ResponseWriter, r *http.Request) { deployStack(sys, w, r) })
}

// fault is POST /_local/faults/table {"unavailableFor":"30s"} ("0s" ends it).
func fault(sys *System, w http.ResponseWriter, r *http.Request) {
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
	sys.SetTableUnavailable(d)
	w.WriteHeader(http.StatusNoContent)
}
