// Package deploytest is what the tests of the local CloudFormation share: an engine with its
// endpoint on loopback and no AWS service behind it, templates written in the test, and custom
// resource functions that answer as each test scripts them, by PUT to the request's ResponseURL.
package deploytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	wrcfn "github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudformation"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// Function is the ARN of the custom resources' function in Template.
const Function = "arn:aws:lambda:us-east-1:123456789012:function:probe"

// Answer is what the function answers a request: Status SUCCESS or FAILED, or "" for no answer
// at all; PhysicalID "" keeps the request's (Create: its logical ID).
type Answer struct {
	Status, Reason, PhysicalID string
	Data                       map[string]any
	// Body, if set, is PUT as it is, whatever the fields above say.
	Body string
}

// Request is a request the function got, with the stack's status when it got it.
type Request struct {
	cfn.Event
	StackStatus deploy.Status
}

// Functions is the custom resources' function: it answers each request as Answer says.
type Functions struct {
	// Answer decides; nil answers SUCCESS to everything.
	Answer func(Request) Answer
	// Engine, once set, is asked for the stack's status when a request comes.
	Engine *deploy.Engine

	mu       sync.Mutex
	requests []Request
	wg       sync.WaitGroup
}

// InvokeAsync is Lambda's asynchronous invocation of the function.
func (f *Functions) InvokeAsync(arn string, payload []byte) {
	var ev cfn.Event
	if arn != Function || json.Unmarshal(payload, &ev) != nil {
		return
	}
	req := Request{Event: ev}
	if f.Engine != nil {
		if d, err := f.Engine.Describe(ev.StackID); err == nil && len(d) == 1 {
			req.StackStatus = d[0].Status
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	a := Answer{Status: "SUCCESS"}
	if f.Answer != nil {
		a = f.Answer(req)
	}
	if a.Status == "" && a.Body == "" {
		return
	}
	f.wg.Go(func() { _ = put(ev, a) })
}

// Running is false: the functions answer at once, or never.
func (f *Functions) Running(string) bool { return false }

// Requests are the requests so far, in order.
func (f *Functions) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Wait waits for the answers being sent.
func (f *Functions) Wait() { f.wg.Wait() }

// client keeps no connection open: the endpoint's shutdown would wait seconds for an idle one
// that never sent a request.
var client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// put sends the answer as aws-lambda-go's cfn package does: a PUT of the JSON with no content type.
func put(ev cfn.Event, a Answer) error {
	body := []byte(a.Body)
	if a.Body == "" {
		physical := a.PhysicalID
		switch {
		case physical != "":
		case ev.PhysicalResourceID != "":
			physical = ev.PhysicalResourceID
		default:
			physical = ev.LogicalResourceID
		}
		body, _ = json.Marshal(cfn.Response{Status: cfn.StatusType(a.Status), Reason: a.Reason, PhysicalResourceID: physical,
			StackID: ev.StackID, RequestID: ev.RequestID, LogicalResourceID: ev.LogicalResourceID, Data: a.Data})
	}
	req, err := http.NewRequest(http.MethodPut, ev.ResponseURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT %s: %s", ev.ResponseURL, resp.Status)
	}
	return nil
}

// Engine is an engine whose custom resources run on fn, with its CloudFormation endpoint, and
// whose AWS time passes scale times faster (a ServiceTimeout of 60 s lasts 60/scale s). Its log
// is printed when t fails.
func Engine(t testing.TB, fn *Functions, scale float64) (*deploy.Engine, *cloudformation.Server) {
	t.Helper()
	srv, err := cloudformation.Listen()
	if err != nil {
		t.Fatal(err)
	}
	log := &localtest.Log{}
	e := deploy.New(deploy.Services{Region: localstate.Region, Invoker: fn, Responses: srv.ResponsesURL(),
		Clock: clock.Scaled(scale), Log: log})
	fn.Engine = e
	srv.Serve(e)
	t.Cleanup(func() {
		fn.Wait()
		srv.Shutdown(context.Background())
		if t.Failed() {
			t.Logf("engine log:\n%s", log.String())

		}
	})
	return e, srv
}

// Stack is a stack named name of the template's JSON.
func Stack(t testing.TB, name, template string) *wrcfn.Stack {
	t.Helper()
	tmpl, err := wrcfn.ParseTemplate([]byte(template))
	if err != nil {
		t.Fatalf("template of %s: %v", name, err)
	}
	return &wrcfn.Stack{Name: name, Template: tmpl}
}

// Status is the stack's status now.
func Status(t testing.TB, e *deploy.Engine, name string) deploy.Status {
	t.Helper()
	d, err := e.Describe(name)
	if err != nil {
		t.Fatal(err)
	}
	return d[0].Status
}
