package rolloutguard

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// fakeSSM answers GetParameter from a map, as SSM does: ParameterNotFound for a missing name.
type fakeSSM struct {
	params map[string]string
	asked  []string
	err    error
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.asked = append(f.asked, aws.ToString(in.Name))
	if f.err != nil {
		return nil, f.err
	}
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String(v)}}, nil
}

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

func TestTheGuard(t *testing.T) {
	cases := []struct {
		name    string
		request cfn.RequestType
		params  map[string]string
		fails   string // part of the error, "" when the deploy goes on
	}{
		{"a first deploy with the other stack absent goes on", cfn.RequestCreate, nil, ""},
		{"an update while the other stack delivers by HTTP goes on", cfn.RequestUpdate, map[string]string{"/wild-rydes/dev/RideDelivery": "http"}, ""},
		{"an update while the other stack publishes fails, naming the parameter and the reason", cfn.RequestUpdate,
			map[string]string{"/wild-rydes/dev/RideDelivery": "sns"},
			`SSM parameter /wild-rydes/dev/RideDelivery is "sns"; this stack state requires it to be "http" or absent: roll wild-rydes-dev back first`},
		{"a create while the other stack publishes fails", cfn.RequestCreate, map[string]string{"/wild-rydes/dev/RideDelivery": "sns"}, `is "sns"`},
		{"a delete always goes on", cfn.RequestDelete, map[string]string{"/wild-rydes/dev/RideDelivery": "sns"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := &fakeSSM{params: c.params}
			h := &Handler{Lookup: SSMLookup(client)}
			id, _, err := h.Handle(context.Background(), cfn.Event{RequestType: c.request, ResourceProperties: props(t, httpOrAbsent)})
			if id != PhysicalID {
				t.Errorf("physical ID %q, want %q (a new one would make CloudFormation replace the guard)", id, PhysicalID)
			}
			switch {
			case c.fails == "" && err != nil:
				t.Errorf("the deploy fails: %v", err)
			case c.fails != "" && (err == nil || !strings.Contains(err.Error(), c.fails)):
				t.Errorf("error %v, want one containing %q", err, c.fails)
			}
			if c.request != cfn.RequestDelete && (len(client.asked) != 1 || client.asked[0] != "/wild-rydes/dev/RideDelivery") {
				t.Errorf("asked SSM for %v, want exactly the parameter of the condition", client.asked)
			}
		})
	}
}

func TestAnSSMErrorFailsTheDeployRatherThanPassingIt(t *testing.T) {
	h := &Handler{Lookup: SSMLookup(&fakeSSM{err: errors.New("AccessDenied")})}
	_, _, err := h.Handle(context.Background(), cfn.Event{RequestType: cfn.RequestUpdate, ResourceProperties: props(t, httpOrAbsent)})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("error %v, want the SSM error", err)
	}
}

func TestMalformedConditionsFailTheDeploy(t *testing.T) {
	for _, js := range []string{
		`{"Conditions": "nope"}`,
		`{"Conditions": [{"Parameter": "/x"}]}`,
		`{"Conditions": [{"AllowedValues": ["a"]}]}`,
		`{"Conditions": [{"Parameter": "/x", "AllowedValues": [1]}]}`,
	} {
		h := &Handler{Lookup: SSMLookup(&fakeSSM{})}
		if _, _, err := h.Handle(context.Background(), cfn.Event{RequestType: cfn.RequestCreate, ResourceProperties: props(t, js)}); err == nil {
			t.Errorf("%s: the guard let the deploy go on", js)
		}
	}
}
