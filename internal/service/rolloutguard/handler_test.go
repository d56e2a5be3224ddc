package rolloutguard

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// fakeSSM answers as SSM does: ParameterNotFound for a missing name. err makes every call fail;
// hang makes every call block, ignoring its context, as a call stuck in a dead connection would.
type fakeSSM struct {
	mu      sync.Mutex
	params  map[string]string
	history map[string][]ssmtypes.ParameterHistory
	asked   []string
	err     error
	hang    bool
}

func (f *fakeSSM) ask(name string) error {
	f.mu.Lock()
	f.asked = append(f.asked, name)
	f.mu.Unlock()
	if f.hang {
		select {}
	}
	return f.err
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if err := f.ask(aws.ToString(in.Name)); err != nil {
		return nil, err
	}
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String(v)}}, nil
}

func (f *fakeSSM) GetParameterHistory(_ context.Context, in *ssm.GetParameterHistoryInput, _ ...func(*ssm.Options)) (*ssm.GetParameterHistoryOutput, error) {
	if err := f.ask("history " + aws.ToString(in.Name)); err != nil {
		return nil, err
	}
	h, ok := f.history[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	return &ssm.GetParameterHistoryOutput{Parameters: h}, nil
}

func (f *fakeSSM) questions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// fakeStacks answers DescribeStacks from a map of statuses by stack name or ID, and, as
// CloudFormation does, a ValidationError for a stack that does not exist.
type fakeStacks struct {
	status map[string]string
	err    error
}

func (f *fakeStacks) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	s, ok := f.status[aws.ToString(in.StackName)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + aws.ToString(in.StackName) + " does not exist"}
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{{StackName: in.StackName, StackStatus: cfntypes.StackStatus(s)}}}, nil
}

const (
	stackID  = "arn:aws:cloudformation:us-east-1:111111111111:stack/wild-rydes-ride-record-dev/6c1f0a30-0000-0000-0000-000000000000"
	other    = "wild-rydes-dev"
	delivery = "/wild-rydes/dev/RideDelivery"
)

// props is the guard's properties as CloudFormation sends them (JSON, values as strings).
func props(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const httpOrAbsent = `{"ServiceToken": "arn:fn", "Step": "1", "Conditions": [
	{"Parameter": "/wild-rydes/dev/RideDelivery", "AllowedValues": ["http", ""], "Reason": "roll wild-rydes-dev back first"}]}`

// cloudFormation is the ResponseURL: it records every answer PUT to it, and answers each with
// the next of statuses (200 once they run out).
type cloudFormation struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	at       []time.Time
	statuses []int
}

func newCloudFormation(t *testing.T, statuses ...int) *cloudFormation {
	c := &cloudFormation{statuses: statuses}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.Method != http.MethodPut || r.Header.Get("Content-Type") != "" {
			t.Errorf("the answer was a %s with Content-Type %q, want a PUT without one (the URL is pre-signed without it)", r.Method, r.Header.Get("Content-Type"))
		}
		c.bodies, c.at = append(c.bodies, b), append(c.at, time.Now())
		status := http.StatusOK
		if len(c.statuses) > 0 {
			status, c.statuses = c.statuses[0], c.statuses[1:]
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(c.Close)
	return c
}

// answer is the last answer received, decoded.
func (c *cloudFormation) answer(t *testing.T) cfn.Response {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bodies) == 0 {
		t.Fatal("CloudFormation received no answer: the stack would wait for the ServiceTimeout")
	}
	var r cfn.Response
	if err := json.Unmarshal(c.bodies[len(c.bodies)-1], &r); err != nil {
		t.Fatalf("the answer is not JSON: %v: %s", err, c.bodies[len(c.bodies)-1])
	}
	return r
}

func request(kind cfn.RequestType, url string, properties map[string]any) cfn.Event {
	e := cfn.Event{RequestType: kind, RequestID: "req-1", ResponseURL: url, ResourceType: "Custom::RolloutGuard",
		LogicalResourceID: "RolloutGuard", StackID: stackID, ResourceProperties: properties}
	if kind != cfn.RequestCreate {
		e.PhysicalResourceID = PhysicalID
	}
	return e
}

// guard is a handler on the fakes, its own stack in status (forward update: UPDATE_IN_PROGRESS).
func guard(client *fakeSSM, status map[string]string) *Handler {
	if status == nil {
		status = map[string]string{stackID: "UPDATE_IN_PROGRESS"}
	}
	return &Handler{SSM: client, Stacks: &fakeStacks{status: status}, Respond: DefaultResponder()}
}

func TestTheGuard(t *testing.T) {
	cases := []struct {
		name    string
		request cfn.RequestType
		params  map[string]string
		fails   string // part of the reason, "" when the deploy goes on
	}{
		{"a first deploy with the other stack absent goes on", cfn.RequestCreate, nil, ""},
		{"an update while the other stack delivers by HTTP goes on", cfn.RequestUpdate, map[string]string{delivery: "http"}, ""},
		{"an update while the other stack publishes fails, naming the parameter and the reason", cfn.RequestUpdate,
			map[string]string{delivery: "sns"},
			`SSM parameter /wild-rydes/dev/RideDelivery is "sns"; this stack state requires it to be "http" or absent: roll wild-rydes-dev back first`},
		{"a create while the other stack publishes fails", cfn.RequestCreate, map[string]string{delivery: "sns"}, `is "sns"`},
		{"a delete always goes on", cfn.RequestDelete, map[string]string{delivery: "sns"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := &fakeSSM{params: c.params}
			cf := newCloudFormation(t)
			if err := guard(client, nil).Handle(context.Background(), request(c.request, cf.URL, props(t, httpOrAbsent))); err != nil {
				t.Fatalf("the invocation failed: %v", err)
			}
			got := cf.answer(t)
			if got.PhysicalResourceID != PhysicalID {
				t.Errorf("physical ID %q, want %q (a new one would make CloudFormation replace the guard)", got.PhysicalResourceID, PhysicalID)
			}
			if got.RequestID != "req-1" || got.StackID != stackID || got.LogicalResourceID != "RolloutGuard" {
				t.Errorf("the answer names request %q of %q, %q: CloudFormation would not match it to its request", got.RequestID, got.StackID, got.LogicalResourceID)
			}
			switch {
			case c.fails == "" && got.Status != cfn.StatusSuccess:
				t.Errorf("the deploy fails: %s", got.Reason)
			case c.fails != "" && (got.Status != cfn.StatusFailed || !strings.Contains(got.Reason, c.fails)):
				t.Errorf("answer %s %q, want FAILED with a reason containing %q", got.Status, got.Reason, c.fails)
			}
			if asked := client.questions(); c.request != cfn.RequestDelete && (len(asked) != 1 || asked[0] != delivery) {
				t.Errorf("asked SSM for %v, want exactly the parameter of the condition", asked)
			}
		})
	}
}

func TestAnSSMErrorFailsTheDeployRatherThanPassingIt(t *testing.T) {
	a := guard(&fakeSSM{err: errors.New("AccessDenied")}, nil).Decide(context.Background(), request(cfn.RequestUpdate, "", props(t, httpOrAbsent)))
	if a.Status != cfn.StatusFailed || !strings.Contains(a.Reason, "AccessDenied") {
		t.Errorf("answer %s %q, want FAILED with the SSM error", a.Status, a.Reason)
	}
}

func TestMalformedConditionsFailTheDeploy(t *testing.T) {
	for _, js := range []string{
		`{"Conditions": "nope"}`,
		`{"Conditions": [{"Parameter": "/x"}]}`,
		`{"Conditions": [{"AllowedValues": ["a"]}]}`,
		`{"Conditions": [{"Parameter": "/x", "AllowedValues": [1]}]}`,
		`{"Conditions": [{"Parameter": "/x", "AllowedValues": ["a"], "HeldForSeconds": "soon"}]}`,
	} {
		if a := guard(&fakeSSM{}, nil).Decide(context.Background(), request(cfn.RequestCreate, "", props(t, js))); a.Status != cfn.StatusFailed {
			t.Errorf("%s: the guard let the deploy go on", js)
		}
	}
}
