package localrt

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The Runtime API, as documented at https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
func (p *process) runtimeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", p.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", p.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", p.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", p.initError)
	return mux
}

// next blocks until there is an invocation for the runtime.
func (p *process) next(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.initTook == 0 { // the runtime's first request: its init is over
		p.initTook = max(time.Since(p.started), time.Microsecond)
		close(p.initDone)
	}
	p.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-p.pending:
	case <-r.Context().Done(): // the process went away
		return
	}
	deadline := time.Now().Add(p.fn.cfg.Timeout)
	p.mu.Lock()
	p.current = inv
	p.handed = true
	p.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", p.fn.arn)
	h.Set("Lambda-Runtime-Trace-Id", inv.traceID)
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload) // if the runtime is gone, the invocation ends on its exit.
}

// take returns the invocation the runtime is answering, once.
func (p *process) take(w http.ResponseWriter, r *http.Request) (*invocation, bool) {
	id := r.PathValue("id")
	p.mu.Lock()
	inv := p.current
	if inv != nil && inv.id == id {
		p.current = nil
	}
	p.mu.Unlock()
	if inv == nil || inv.id != id {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", fmt.Sprintf("no invocation %q is waiting for an answer", id))
		return nil, false
	}
	return inv, true
}

func (p *process) response(w http.ResponseWriter, r *http.Request) {
	inv, ok := p.take(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	if err != nil {
		inv.answer <- failure("Runtime.ResponseError", "reading the function's response: "+err.Error())
		apiError(w, http.StatusBadRequest, "InvalidResponse", err.Error())
		return
	}
	if len(body) > maxResponseBytes {
		inv.answer <- failure("Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponseBytes))
		apiError(w, http.StatusRequestEntityTooLarge, "Function.ResponseSizeTooLarge", "response too large")
		return
	}
	// aws-lambda-go reports a failure while streaming its response in trailers.
	if typ := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); typ != "" {
		doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		inv.answer <- errorAnswer(doc, typ)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	inv.answer <- answer{payload: body}
	w.WriteHeader(http.StatusAccepted)
}

func (p *process) invocationError(w http.ResponseWriter, r *http.Request) {
	inv, ok := p.take(w, r)
	if !ok {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	inv.answer <- errorAnswer(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	w.WriteHeader(http.StatusAccepted)
}

// initError is a runtime saying it cannot start. The invocation waiting for this process gets the
// error, and the process is discarded.
func (p *process) initError(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	handed := p.handed
	p.mu.Unlock()
	if handed {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "init is over: the runtime already took an invocation")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	p.initOnce.Do(func() {
		p.initErr = errorAnswer(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))
		p.log(fmt.Sprintf("INIT_REPORT Status: error Error Type: %s", p.initErr.errorType))
		close(p.initFailed)
	})
	w.WriteHeader(http.StatusAccepted)
}

// errorAnswer reads a runtime's error document; its errorType wins over the header's, as on
// Lambda. A body that is not a document becomes the message of one.
func errorAnswer(body []byte, headerType string) answer {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) != nil {
		typ := headerType
		if typ == "" {
			typ = "Runtime.Unknown"
		}
		return failure(typ, string(body))
	}
	if doc.ErrorType == "" {
		doc.ErrorType = headerType
	}
	if doc.ErrorType == "" {
		doc.ErrorType = "Runtime.Unknown"
	}
	return answer{payload: body, failed: true, errorType: doc.ErrorType, errorMessage: doc.ErrorMessage}
}

// apiError answers the runtime the way the Runtime API reports its errors.
func apiError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": errorType, "errorMessage": message})
}
