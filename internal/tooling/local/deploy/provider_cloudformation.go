package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/google/uuid"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	wrcfn "github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// What CloudFormation itself handles: its metadata, and custom resources, run for real. A custom
// resource (AWS::CloudFormation::CustomResource or Custom::*) is CloudFormation invoking the
// Lambda function its ServiceToken names, asynchronously, with a request
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html), and
// waiting up to its ServiceTimeout (1 to 3600 s, default 3600, in the local clock's time) for the
// function's answer, PUT to the request's ResponseURL
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html): FAILED,
// an answer CloudFormation cannot read, or none in time fails the resource.

func init() {
	placeholder("AWS::CDK::Metadata", "the CDK's record of the app's construct library versions: nothing to run")
	register(design.GuardResourceType, customResource)
}

// customResource is the provider of every custom resource type.
var customResource = provider{apply: applyCustom, remove: removeCustom}

func isCustom(typ string) bool {
	return typ == "AWS::CloudFormation::CustomResource" || strings.HasPrefix(typ, "Custom::")
}

// serviceTimeout is how long CloudFormation waits for a custom resource's answer when its
// ServiceTimeout does not say.
const serviceTimeout = 3600 * time.Second

// maxResponse is the size of the largest answer CloudFormation reads.
const maxResponse = 4096

func applyCustom(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
	req := cfn.Event{RequestType: cfn.RequestCreate, ResourceType: c.res.Type, LogicalResourceID: c.res.LogicalID,
		StackID: c.stackID, ResourceProperties: stringified(c.props)}
	if c.old != nil {
		var old map[string]any
		if err := c.old.resolved(&old); err != nil {
			return nil, false, err
		}
		req.RequestType, req.PhysicalResourceID, req.OldResourceProperties = cfn.RequestUpdate, c.old.Physical, stringified(old)
	}
	answer, err := e.call(ctx, c.props, req)
	if err != nil {
		return nil, false, err
	}
	nr := c.nr
	nr.Physical = answer.PhysicalResourceID
	for k, v := range answer.Data {
		nr.Attrs[k] = fmt.Sprint(v)
	}
	// A new physical ID is a replacement: the old one gets a Delete once the update completes.
	return nr, c.old != nil && nr.Physical != c.old.Physical, nil
}

func removeCustom(ctx context.Context, e *Engine, r *Resource) error {
	var props map[string]any
	if err := r.resolved(&props); err != nil {
		return err
	}
	_, err := e.call(ctx, props, cfn.Event{RequestType: cfn.RequestDelete, ResourceType: r.Type, LogicalResourceID: r.LogicalID,
		StackID: r.stackID, PhysicalResourceID: r.Physical, ResourceProperties: stringified(props)})
	return err
}

// customFailure is a custom resource's FAILED answer.
type customFailure struct {
	requestID, reason, physical string
}

func (f *customFailure) Error() string {
	return fmt.Sprintf("Received response status [FAILED] from custom resource. Message returned: %s (RequestId: %s)", f.reason, f.requestID)
}

// physicalOf is the physical ID a FAILED answer gave, if err is one.
func physicalOf(err error) string {
	var f *customFailure
	if errors.As(err, &f) {
		return f.physical
	}
	return ""
}

// call sends req to the function of props' ServiceToken and waits for its answer.
func (e *Engine) call(ctx context.Context, props map[string]any, req cfn.Event) (*cfn.Response, error) {
	token, _ := props["ServiceToken"].(string)
	if !strings.HasPrefix(token, "arn:aws:lambda:") {
		return nil, fmt.Errorf("ServiceToken %q is not a Lambda function's ARN: the local system runs custom resources through Lambda only", token)
	}
	timeout := serviceTimeout
	if v, ok := wrcfn.Number(props["ServiceTimeout"]); ok && v >= 1 && v <= serviceTimeout.Seconds() {
		timeout = time.Duration(v) * time.Second
	}
	req.RequestID = uuid.NewString()
	req.ResponseURL = e.Responses + "/" + req.RequestID
	answers := e.calls.expect(req.RequestID)
	defer e.calls.forget(req.RequestID)
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	sent := time.Now()
	e.Invoker.InvokeAsync(token, payload)
	// The ServiceTimeout passes in the local clock's time, as Lambda's retry delays between the
	// function's attempts do; but a function runs in wall time whatever the clock's scale, so an
	// attempt under way when it is over is waited for: on AWS it lasts a moment of the timeout.
	timer := time.NewTimer(e.Clock.Wall(timeout))
	defer timer.Stop()
	for {
		select {
		case body := <-answers:
			answer, err := readAnswer(req, body)
			outcome := "SUCCESS"
			if err != nil {
				outcome = "FAILED"
			}
			fmt.Fprintf(e.Log, "%s (%s): %s answered %s in %.2fs\n", req.LogicalResourceID, req.ResourceType, req.RequestType, outcome, time.Since(sent).Seconds())
			return answer, err
		case <-timer.C:
			if e.Invoker.Running(token) {
				timer.Reset(20 * time.Millisecond)
				continue
			}
			return nil, fmt.Errorf("CloudFormation did not receive a response from your Custom Resource within its ServiceTimeout (%s). Please check your logs for requestId [%s]", timeout, req.RequestID)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// readAnswer reads a custom resource's answer as CloudFormation does.
func readAnswer(req cfn.Event, body []byte) (*cfn.Response, error) {
	if len(body) > maxResponse {
		return nil, errors.New("Response object is too long.")
	}
	var answer cfn.Response
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("Invalid response object: %v", err)
	}
	switch {
	case answer.Status == cfn.StatusFailed:
		return nil, &customFailure{requestID: req.RequestID, reason: answer.Reason, physical: answer.PhysicalResourceID}
	case answer.Status != cfn.StatusSuccess:
		return nil, fmt.Errorf("Invalid response object: Status %q is neither SUCCESS nor FAILED", answer.Status)
	case answer.PhysicalResourceID == "":
		return nil, errors.New("Invalid PhysicalResourceId")
	}
	for k, v := range answer.Data {
		switch v.(type) {
		case map[string]any, []any:
			return nil, fmt.Errorf("Value of property Data must be an object with String (or simple type) properties: %s is not", k)
		}
	}
	return &answer, nil
}

// stringified is a custom resource's properties as CloudFormation passes them: every number and
// boolean as a string (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1037).
func stringified(props map[string]any) map[string]any {
	out, _ := stringify(props).(map[string]any)
	return out
}

func stringify(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = stringify(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = stringify(x)
		}
		return out
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return v
}
