package rolloutguard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
)

// The guard never wedges a stack: whatever happens to its checks, CloudFormation gets an answer
// it accepts, in time, and a rollback is never refused.

func TestARollbackSucceedsThoughEveryCheckWouldFail(t *testing.T) {
	for _, status := range []string{"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"} {
		t.Run(status, func(t *testing.T) {
			client := &fakeSSM{err: errors.New("ThrottlingException: Rate exceeded")}
			cf := newCloudFormation(t)
			h := guard(client, map[string]string{stackID: status, other: "UPDATE_IN_PROGRESS"})
			// A rollback's Update carries the old properties: here, a state the other stack no
			// longer allows, and it is being updated.
			old := props(t, `{"OtherStack": "wild-rydes-dev", "Requires": {"/x/Gone": "v"}, "Conditions": [{"Parameter": "/wild-rydes/dev/RideDelivery", "AllowedValues": ["http"]}]}`)
			if err := h.Handle(context.Background(), request(cfn.RequestUpdate, cf.URL, old)); err != nil {
				t.Fatal(err)
			}
			if got := cf.answer(t); got.Status != cfn.StatusSuccess || got.PhysicalResourceID != PhysicalID {
				t.Errorf("the rollback's Update was answered %s %q (physical ID %q): the stack would end UPDATE_ROLLBACK_FAILED", got.Status, got.Reason, got.PhysicalResourceID)
			}
			if asked := client.questions(); len(asked) > 0 {
				t.Errorf("the rollback read SSM (%v): it must put the old properties back unchecked", asked)
			}
		})
	}
}

func TestAnUpdateWhoseStackStatusCannotBeReadIsCheckedAndSaysHowToContinue(t *testing.T) {
	unreadable := &fakeStacks{err: errors.New("AccessDenied: cloudformation:DescribeStacks")}
	h := &Handler{SSM: &fakeSSM{params: map[string]string{delivery: "http"}}, Stacks: unreadable}
	if a := h.Decide(context.Background(), request(cfn.RequestUpdate, "", props(t, httpOrAbsent))); a.Status != cfn.StatusSuccess {
		t.Errorf("checks that pass, the status unknown: %s %q, want SUCCESS (right for an update and a rollback alike)", a.Status, a.Reason)
	}
	h.SSM = &fakeSSM{params: map[string]string{delivery: "sns"}}
	a := h.Decide(context.Background(), request(cfn.RequestUpdate, "", props(t, httpOrAbsent)))
	for _, want := range []string{`is "sns"`, "AccessDenied", "continue-update-rollback --stack-name wild-rydes-ride-record-dev --resources-to-skip RolloutGuard"} {
		if a.Status != cfn.StatusFailed || !strings.Contains(a.Reason, want) {
			t.Errorf("a failing check, the status unknown: %s %q, want FAILED saying %q", a.Status, a.Reason, want)
		}
	}
}

func TestAnSSMCallThatHangsStillGetsAnAnswerBeforeTheDeadline(t *testing.T) {
	cf := newCloudFormation(t)
	h := guard(&fakeSSM{hang: true}, nil)
	h.Margin = 200 * time.Millisecond
	deadline := time.Now().Add(500 * time.Millisecond) // the function's timeout, as Lambda's context carries it
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := h.Handle(ctx, request(cfn.RequestUpdate, cf.URL, props(t, httpOrAbsent))); err != nil {
		t.Fatal(err)
	}
	got := cf.answer(t)
	if got.Status != cfn.StatusFailed || !strings.Contains(got.Reason, "/wild-rydes/dev/RideDelivery") || !strings.Contains(got.Reason, "no answer in time") {
		t.Errorf("a forward update whose SSM call hangs: %s %q, want FAILED naming the parameter that did not answer", got.Status, got.Reason)
	}
	if at := cf.at[len(cf.at)-1]; !at.Before(deadline) {
		t.Errorf("the answer arrived %s after the function's deadline: Lambda would have frozen it first", at.Sub(deadline))
	}
}

func TestAConfigurationThatFailedToLoadStillAnswersEveryRequest(t *testing.T) {
	h := &Handler{ConfigErr: errors.New("failed to get shared config profile, nope"), Respond: DefaultResponder()}
	for kind, want := range map[cfn.RequestType]cfn.StatusType{cfn.RequestDelete: cfn.StatusSuccess, cfn.RequestCreate: cfn.StatusFailed, cfn.RequestUpdate: cfn.StatusFailed} {
		cf := newCloudFormation(t)
		if err := h.Handle(context.Background(), request(kind, cf.URL, props(t, httpOrAbsent))); err != nil {
			t.Fatal(err)
		}
		got := cf.answer(t)
		if got.Status != want {
			t.Errorf("%s without a configuration: %s %q, want %s", kind, got.Status, got.Reason, want)
		}
		if want == cfn.StatusFailed && !strings.Contains(got.Reason, "shared config profile") {
			t.Errorf("%s without a configuration: the reason %q does not say why", kind, got.Reason)
		}
	}
}

func TestATenKilobyteReasonIsCutToFitCloudFormationsLimit(t *testing.T) {
	long := strings.Repeat("é<&", 10*1024/4) // multi-byte characters and what JSON may escape
	body, err := Body(cfn.Response{Status: cfn.StatusFailed, RequestID: "req-1", StackID: stackID, LogicalResourceID: "RolloutGuard",
		PhysicalResourceID: PhysicalID, Reason: "rollout guard: " + long, Data: map[string]any{"Checked": 1}})
	if err != nil {
		t.Fatal(err)
	}
	var r cfn.Response
	if len(body) > MaxResponseBytes || json.Unmarshal(body, &r) != nil || !utf8.ValidString(r.Reason) {
		t.Fatalf("the answer is %d bytes (limit %d), valid JSON %v: CloudFormation would refuse it", len(body), MaxResponseBytes, json.Unmarshal(body, &r) == nil)
	}
	if !strings.HasPrefix(r.Reason, "rollout guard: é<&") || !strings.HasSuffix(r.Reason, cut) || len(r.Reason) < 3000 {
		t.Errorf("the reason was cut to %d bytes, %q...%q: want its start kept, as much as fits, and the mark", len(r.Reason), r.Reason[:20], r.Reason[len(r.Reason)-20:])
	}

	// The same through the handler: a condition's reason the template made too long.
	cf := newCloudFormation(t)
	js := `{"Conditions": [{"Parameter": "/wild-rydes/dev/RideDelivery", "AllowedValues": ["http"], "Reason": "` + strings.Repeat("x", 10*1024) + `"}]}`
	if err := guard(&fakeSSM{params: map[string]string{delivery: "sns"}}, nil).Handle(context.Background(), request(cfn.RequestUpdate, cf.URL, props(t, js))); err != nil {
		t.Fatal(err)
	}
	if n := len(cf.bodies[0]); n > MaxResponseBytes {
		t.Errorf("the handler sent %d bytes", n)
	}
}

func TestThePhysicalIDIsKeptAcrossUpdates(t *testing.T) {
	h := guard(&fakeSSM{params: map[string]string{delivery: "http"}}, nil)
	for _, c := range []struct {
		kind       cfn.RequestType
		sent, want string
	}{
		{cfn.RequestCreate, "", PhysicalID},
		{cfn.RequestUpdate, "a-physical-id-an-earlier-guard-chose", "a-physical-id-an-earlier-guard-chose"},
		{cfn.RequestUpdate, PhysicalID, PhysicalID},
		{cfn.RequestDelete, "a-physical-id-an-earlier-guard-chose", "a-physical-id-an-earlier-guard-chose"},
	} {
		e := request(c.kind, "", props(t, httpOrAbsent))
		e.PhysicalResourceID = c.sent
		if got := h.Decide(context.Background(), e).PhysicalID; got != c.want {
			t.Errorf("%s with physical ID %q answers %q: CloudFormation would replace the guard", c.kind, c.sent, got)
		}
	}
}

func TestTheAnswerIsRetriedAndAnUnsentOneFailsTheInvocation(t *testing.T) {
	cf := newCloudFormation(t, http.StatusServiceUnavailable, http.StatusInternalServerError)
	h := guard(&fakeSSM{params: map[string]string{delivery: "http"}}, nil)
	if err := h.Handle(context.Background(), request(cfn.RequestUpdate, cf.URL, props(t, httpOrAbsent))); err != nil {
		t.Fatalf("two 5xx then 200: %v", err)
	}
	if len(cf.bodies) != 3 || cf.answer(t).Status != cfn.StatusSuccess {
		t.Errorf("%d attempts, want 3, the last one taken", len(cf.bodies))
	}

	expired := newCloudFormation(t, http.StatusForbidden)
	err := h.Handle(context.Background(), request(cfn.RequestUpdate, expired.URL, props(t, httpOrAbsent)))
	if err == nil || len(expired.bodies) != 1 {
		t.Errorf("a 403 (an expired URL): error %v after %d attempts, want the invocation failed after one, so that Lambda retries it", err, len(expired.bodies))
	}
}

func TestTheTimeScaleIsANumberAboveOne(t *testing.T) {
	for v, want := range map[string]float64{"": 1, "60": 60, "0.5": 1, "-3": 1, "fast": 1, "1.5": 1.5} {
		if got := TimeScale(v); got != want {
			t.Errorf("TimeScale(%q) = %g, want %g", v, got, want)
		}
	}
}
