package deploy_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy/deploytest"
)

// template is a stack of custom resources run by deploytest.Function: Guard first, then each of
// the others (logical ID -> its Value property), each depending on the one before it, and an IAM
// role (a placeholder); its Step output says step, its Answer output is Guard's Answer attribute.
func template(step int, guard string, others ...string) string {
	resources := fmt.Sprintf(`"Guard": {"Type": "Custom::Probe", "Properties": {"ServiceToken": %q, "Value": %q, "Retries": 2, "On": true}},
		"Role": {"Type": "AWS::IAM::Role", "DependsOn": ["Guard"], "Properties": {"AssumeRolePolicyDocument": {}}}`, deploytest.Function, guard)
	before := "Guard"
	for i := 0; i+1 < len(others); i += 2 {
		resources += fmt.Sprintf(`, %q: {"Type": "Custom::Probe", "DependsOn": [%q], "Properties": {"ServiceToken": %q, "Value": %q}}`,
			others[i], before, deploytest.Function, others[i+1])
		before = others[i]
	}
	return fmt.Sprintf(`{"Resources": {%s}, "Outputs": {"Step": {"Value": "%d"}, "Answer": {"Value": {"Fn::GetAtt": ["Guard", "Answer"]}}}}`,
		resources, step)
}

// kinds is each request as "TYPE LOGICALID Value=V [Old=W]", in order.
func kinds(fn *deploytest.Functions) []string {
	var out []string
	for _, r := range fn.Requests() {
		s := fmt.Sprintf("%s %s Value=%v", r.RequestType, r.LogicalResourceID, r.ResourceProperties["Value"])
		if r.OldResourceProperties != nil {
			s += fmt.Sprintf(" Old=%v", r.OldResourceProperties["Value"])
		}
		out = append(out, s)
	}
	return out
}

// checkRequests checks the requests fn got, in kinds' words.
func checkRequests(t *testing.T, fn *deploytest.Functions, want []string) {
	t.Helper()
	if got := kinds(fn); strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// ok is a SUCCESS whose Data has the deploytest.Answer the template's output reads.
func ok(r deploytest.Request) deploytest.Answer {
	return deploytest.Answer{Status: "SUCCESS", Data: map[string]any{"Answer": r.ResourceProperties["Value"]}}
}

func outputs(t *testing.T, e *deploy.Engine, name string) map[string]string {
	t.Helper()
	d, err := e.Describe(name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range d[0].Outputs {
		out[o.Key] = o.Value
	}
	return out
}

func TestAStackGoesThroughCloudFormationsStatusesAndItsCustomResourcesGetCloudFormationsRequests(t *testing.T) {
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		return deploytest.Answer{Status: "SUCCESS", Data: map[string]any{"Answer": "v" + fmt.Sprint(r.ResourceProperties["Value"])}}
	}}
	e, _ := deploytest.Engine(t, fn, 1)
	ctx := context.Background()

	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(1, "1", "Second", "a"))); err != nil {
		t.Fatalf("creating the stack: %v", err)
	}
	if got := deploytest.Status(t, e, "s"); got != deploy.CreateComplete {
		t.Errorf("after the create the stack is %s, want %s", got, deploy.CreateComplete)
	}
	if got := outputs(t, e, "s"); got["Step"] != "1" || got["Answer"] != "v1" {
		t.Errorf("outputs %v, want Step 1 and deploytest.Answer v1 (the custom resource's Data)", got)
	}
	create := fn.Requests()[0]
	if create.StackStatus != deploy.CreateInProgress || !strings.HasPrefix(create.StackID, "arn:aws:cloudformation:us-east-1:123456789012:stack/s/") ||
		!strings.HasSuffix(create.ResponseURL, "/"+create.RequestID) || create.ResourceType != "Custom::Probe" {
		t.Errorf("the create request %+v, want one under CREATE_IN_PROGRESS with the stack's ID and a ResponseURL of its own", create)
	}
	if got := create.ResourceProperties; got["ServiceToken"] != deploytest.Function || got["Retries"] != "2" || got["On"] != "true" {
		t.Errorf("ResourceProperties %v: want the ServiceToken, and numbers and booleans as strings, as CloudFormation passes them", got)
	}

	// An update that changes the guard, leaves Second and replaces nothing, then one that drops
	// Second.
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(2, "2", "Second", "a"))); err != nil {
		t.Fatalf("updating the stack: %v", err)
	}
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(3, "3"))); err != nil {
		t.Fatalf("updating the stack: %v", err)
	}
	if got := deploytest.Status(t, e, "s"); got != deploy.UpdateComplete {
		t.Errorf("after the updates the stack is %s, want %s", got, deploy.UpdateComplete)
	}
	want := []string{"Create Guard Value=1", "Create Second Value=a", "Update Guard Value=2 Old=1", "Update Guard Value=3 Old=2", "Delete Second Value=a"}
	checkRequests(t, fn, want)
	reqs := fn.Requests()
	if u := reqs[2]; u.StackStatus != deploy.UpdateInProgress || u.PhysicalResourceID != "Guard" {
		t.Errorf("the update request came under %s with physical ID %q, want %s and the ID the create answered", u.StackStatus, u.PhysicalResourceID, deploy.UpdateInProgress)
	}
	if d := reqs[4]; d.StackStatus != deploy.UpdateCompleteCleanupInProgress {
		t.Errorf("the dropped resource's Delete came under %s, want %s", d.StackStatus, deploy.UpdateCompleteCleanupInProgress)
	}

	// The same template again changes nothing: no request, no status change.
	before := len(fn.Requests())
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(3, "3"))); err != nil || len(fn.Requests()) != before {
		t.Errorf("deploying the same template again: %v, %d requests", err, len(fn.Requests())-before)
	}
}

func TestACustomResourceThatAnswersANewPhysicalIDIsReplacedAndTheOldOneDeletedAfterTheUpdate(t *testing.T) {
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if r.RequestType == cfn.RequestUpdate {
			return deploytest.Answer{Status: "SUCCESS", PhysicalID: "guard-2", Data: map[string]any{"Answer": "2"}}
		}
		return ok(r)
	}}
	e, _ := deploytest.Engine(t, fn, 1)
	for step, value := range []string{"1", "2"} {
		if err := e.Deploy(context.Background(), deploytest.Stack(t, "s", template(step, value))); err != nil {
			t.Fatal(err)
		}
	}
	reqs := fn.Requests()
	if len(reqs) != 3 || reqs[2].RequestType != cfn.RequestDelete || reqs[2].PhysicalResourceID != "Guard" ||
		reqs[2].StackStatus != deploy.UpdateCompleteCleanupInProgress {
		t.Errorf("requests %v, want the old physical resource deleted in the clean-up", kinds(fn))
	}
	if got := e.Stacks()["s"].Resources["Guard"].Physical; got != "guard-2" {
		t.Errorf("the guard's physical ID is %q, want the new one", got)
	}
}

func TestASecondUpdateOfAStackUnderWayIsRefusedAsCloudFormationRefusesItWhileAnotherStackUpdates(t *testing.T) {
	release := make(chan struct{})
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if r.RequestType == cfn.RequestUpdate && r.ResourceProperties["Value"] == "slow" {
			<-release
		}
		return ok(r)
	}}
	e, _ := deploytest.Engine(t, fn, 1)
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if err := e.Deploy(ctx, deploytest.Stack(t, name, template(1, "1"))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var first error
	wg.Go(func() { first = e.Deploy(ctx, deploytest.Stack(t, "a", template(2, "slow"))) })
	waitFor(t, func() bool { return deploytest.Status(t, e, "a") == deploy.UpdateInProgress })

	err := e.Deploy(ctx, deploytest.Stack(t, "a", template(3, "3")))
	if err == nil || !strings.Contains(err.Error(), "is in UPDATE_IN_PROGRESS state and can not be updated") {
		t.Errorf("a second update of a stack under way: %v, want CloudFormation's refusal", err)
	}
	if err := e.Deploy(ctx, deploytest.Stack(t, "b", template(2, "2"))); err != nil {
		t.Errorf("another stack, meanwhile: %v", err)
	}
	close(release)
	wg.Wait()
	if first != nil || outputs(t, e, "a")["Step"] != "2" {
		t.Errorf("the first update: %v, stack at step %s; want it done, at step 2", first, outputs(t, e, "a")["Step"])
	}
}

func TestAFailedUpdatePutsBackWhatItChangedAndDeletesWhatItCreated(t *testing.T) {
	// Third is created, then Second fails its update: Second gets its old properties back, then
	// the guard, and Third is deleted once the stack is back.
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if r.LogicalResourceID == "Second" && r.ResourceProperties["Value"] == "b" {
			return deploytest.Answer{Status: "FAILED", Reason: "second says no"}
		}
		return ok(r)
	}}
	e, _ := deploytest.Engine(t, fn, 1)
	ctx := context.Background()
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(1, "1", "Second", "a"))); err != nil {
		t.Fatal(err)
	}
	err := e.Deploy(ctx, deploytest.Stack(t, "s", template(2, "2", "Third", "t", "Second", "b")))
	for _, want := range []string{"Second (Custom::Probe) failed", "Received response status [FAILED] from custom resource. Message returned: second says no", "UPDATE_ROLLBACK_COMPLETE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the failed update: %v, want it to say %q", err, want)
		}
	}
	want := []string{"Create Guard Value=1", "Create Second Value=a",
		"Update Guard Value=2 Old=1", "Create Third Value=t", "Update Second Value=b Old=a",
		"Update Second Value=a Old=b", "Update Guard Value=1 Old=2", "Delete Third Value=t"}
	checkRequests(t, fn, want)
	reqs := fn.Requests()
	if s := reqs[5].StackStatus; s != deploy.UpdateRollbackInProgress {
		t.Errorf("the rollback's update came under %s, want %s (the one thing that tells it from a forward update)", s, deploy.UpdateRollbackInProgress)
	}
	if s := reqs[7].StackStatus; s != deploy.UpdateRollbackCompleteCleanupInProgress {
		t.Errorf("the created resource was deleted under %s, want %s", s, deploy.UpdateRollbackCompleteCleanupInProgress)
	}
	if got := deploytest.Status(t, e, "s"); got != deploy.UpdateRollbackComplete {
		t.Errorf("the stack is %s, want %s", got, deploy.UpdateRollbackComplete)
	}
	if got := outputs(t, e, "s"); got["Step"] != "1" {
		t.Errorf("after the rollback the stack says step %s, want 1", got["Step"])
	}
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(3, "3", "Second", "a"))); err != nil {
		t.Errorf("an update after the rollback: %v", err)
	}
}

func TestAFailedCreateDeletesWhatItMadeAndTheNextDeployCreatesTheStackAgain(t *testing.T) {
	fail := true
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if fail && r.LogicalResourceID == "Second" && r.RequestType == cfn.RequestCreate {
			return deploytest.Answer{Status: "FAILED", Reason: "no", PhysicalID: "second-that-failed"}
		}
		return ok(r)
	}}
	e, _ := deploytest.Engine(t, fn, 1)
	ctx := context.Background()
	err := e.Deploy(ctx, deploytest.Stack(t, "s", template(1, "1", "Second", "a")))
	if err == nil || !strings.Contains(err.Error(), "ROLLBACK_COMPLETE") {
		t.Errorf("the failed create: %v", err)
	}
	reqs := fn.Requests()
	want := []string{"Create Guard Value=1", "Create Second Value=a", "Delete Second Value=a", "Delete Guard Value=1"}
	checkRequests(t, fn, want)
	if len(reqs) > 2 && (reqs[2].PhysicalResourceID != "second-that-failed" || reqs[2].StackStatus != deploy.RollbackInProgress) {
		t.Errorf("the failed resource's Delete: physical ID %q under %s, want the FAILED answer's under %s",
			reqs[2].PhysicalResourceID, reqs[2].StackStatus, deploy.RollbackInProgress)
	}
	d, _ := e.Describe("s")
	if d[0].Status != deploy.RollbackComplete || len(d[0].Outputs) != 0 || e.Stacks()["s"] != nil {
		t.Errorf("the stack is %s with outputs %v, want %s holding nothing", d[0].Status, d[0].Outputs, deploy.RollbackComplete)
	}
	failedID := d[0].ID

	fail = false
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(1, "1", "Second", "a"))); err != nil {
		t.Fatalf("deploying it again: %v", err)
	}
	again, _ := e.Describe("s")
	old, err := e.Describe(failedID)
	if again[0].Status != deploy.CreateComplete || again[0].ID == failedID || err != nil || old[0].Status != deploy.DeleteComplete {
		t.Errorf("deployed again: %s %s, the failed one %v (%v); want a new stack, and the old ID DELETE_COMPLETE", again[0].Status, again[0].ID, old, err)
	}
}

func TestARollbackThatCannotPutAResourceBackLeavesUpdateRollbackFailedUntilContinued(t *testing.T) {
	rollbackFails := true
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if r.LogicalResourceID == "Second" && r.RequestType == cfn.RequestUpdate && (r.ResourceProperties["Value"] == "b" || rollbackFails) {
			return deploytest.Answer{Status: "FAILED", Reason: "cannot"}
		}
		return ok(r)
	}}
	e, _ := deploytest.Engine(t, fn, 1)
	ctx := context.Background()
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(1, "1", "Second", "a"))); err != nil {
		t.Fatal(err)
	}
	err := e.Deploy(ctx, deploytest.Stack(t, "s", template(2, "2", "Second", "b")))
	if err == nil || !strings.Contains(err.Error(), "UPDATE_ROLLBACK_FAILED") || deploytest.Status(t, e, "s") != deploy.UpdateRollbackFailed {
		t.Fatalf("the update whose rollback fails: %v; stack %s", err, deploytest.Status(t, e, "s"))
	}
	err = e.Deploy(ctx, deploytest.Stack(t, "s", template(3, "3", "Second", "a")))
	if err == nil || !strings.Contains(err.Error(), "is in UPDATE_ROLLBACK_FAILED state and can not be updated") {
		t.Errorf("an update of a stack in UPDATE_ROLLBACK_FAILED: %v, want CloudFormation's refusal", err)
	}
	if _, err := e.ContinueUpdateRollback(ctx, "s", []string{"Guard"}); err == nil {
		t.Error("skipping a resource the rollback did not fail on was accepted")
	}

	done, err := e.ContinueUpdateRollback(ctx, "s", nil)
	if err != nil || <-done == nil || deploytest.Status(t, e, "s") != deploy.UpdateRollbackFailed {
		t.Errorf("continuing while the resource still fails: %v; stack %s, want %s again", err, deploytest.Status(t, e, "s"), deploy.UpdateRollbackFailed)
	}
	done, err = e.ContinueUpdateRollback(ctx, "s", []string{"Second"})
	if err != nil || <-done != nil || deploytest.Status(t, e, "s") != deploy.UpdateRollbackComplete {
		t.Fatalf("continuing, skipping it: %v; stack %s, want %s", err, deploytest.Status(t, e, "s"), deploy.UpdateRollbackComplete)
	}
	rollbackFails = false
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(3, "3", "Second", "a"))); err != nil {
		t.Errorf("an update after the rollback was continued: %v", err)
	}
}

func TestACustomResourceThatNeverAnswersFailsAtItsServiceTimeoutAndLeavesUpdateRollbackFailedOnlyWhereCloudFormationWould(t *testing.T) {
	// Second never answers an Update, nor Third a Delete. The update fails after Second's
	// ServiceTimeout (3600 s by default: 0.36 s at this scale), and so does Second's rollback:
	// UPDATE_ROLLBACK_FAILED, as CloudFormation would, with the guard put back. Continuing,
	// skipping Second, completes the rollback even though Third's Delete in the clean-up goes
	// unanswered too: CloudFormation reports a failed clean-up and completes.
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if (r.LogicalResourceID == "Second" && r.RequestType == cfn.RequestUpdate) || (r.LogicalResourceID == "Third" && r.RequestType == cfn.RequestDelete) {
			return deploytest.Answer{}
		}
		return ok(r)
	}}
	e, _ := deploytest.Engine(t, fn, 10000)
	ctx := context.Background()
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(1, "1", "Second", "a"))); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := e.Deploy(ctx, deploytest.Stack(t, "s", template(2, "2", "Third", "t", "Second", "b")))
	if err == nil || !strings.Contains(err.Error(), "did not receive a response from your Custom Resource within its ServiceTimeout (1h0m0s)") ||
		deploytest.Status(t, e, "s") != deploy.UpdateRollbackFailed {
		t.Fatalf("an update Second never answers: %v; stack %s, want %s", err, deploytest.Status(t, e, "s"), deploy.UpdateRollbackFailed)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("two ServiceTimeouts of an hour took %s at a scale of 10,000", took)
	}
	done, err := e.ContinueUpdateRollback(ctx, "s", []string{"Second"})
	if err != nil || <-done != nil || deploytest.Status(t, e, "s") != deploy.UpdateRollbackComplete {
		t.Errorf("continuing, skipping Second: %v; stack %s, want %s", err, deploytest.Status(t, e, "s"), deploy.UpdateRollbackComplete)
	}
	want := []string{"Create Guard Value=1", "Create Second Value=a", "Update Guard Value=2 Old=1", "Create Third Value=t", "Update Second Value=b Old=a",
		"Update Second Value=a Old=b", "Update Guard Value=1 Old=2", "Delete Third Value=t"}
	checkRequests(t, fn, want)
}

func TestAnAnswerCloudFormationCannotReadFailsTheResource(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer deploytest.Answer
		says   string
	}{
		{"an answer over 4,096 bytes", deploytest.Answer{Status: "SUCCESS", Reason: strings.Repeat("x", 4096)}, "Response object is too long."},
		{"a status that is neither SUCCESS nor FAILED", deploytest.Answer{Status: "OK"}, "neither SUCCESS nor FAILED"},
		{"SUCCESS without a physical ID", deploytest.Answer{Body: `{"Status":"SUCCESS"}`}, "Invalid PhysicalResourceId"},
		{"Data that is not flat", deploytest.Answer{Status: "SUCCESS", Data: map[string]any{"Answer": map[string]any{"a": "b"}}}, "Value of property Data must be an object with String"},
		{"no JSON", deploytest.Answer{Body: "SUCCESS"}, "Invalid response object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
				if r.RequestType == cfn.RequestCreate {
					return tc.answer
				}
				return ok(r)
			}}
			e, _ := deploytest.Engine(t, fn, 1)
			err := e.Deploy(context.Background(), deploytest.Stack(t, "s", template(1, "1")))
			if err == nil || !strings.Contains(err.Error(), tc.says) || deploytest.Status(t, e, "s") != deploy.RollbackComplete {
				t.Errorf("%v, stack %s; want the create failed saying %q and rolled back", err, deploytest.Status(t, e, "s"), tc.says)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestADeleteThatFailsLeavesDeleteFailedAndTheNextDeleteFinishesIt(t *testing.T) {
	refuse := true
	fn := &deploytest.Functions{Answer: func(r deploytest.Request) deploytest.Answer {
		if r.RequestType == cfn.RequestDelete && r.LogicalResourceID == "Second" && refuse {
			return deploytest.Answer{Status: "FAILED", Reason: "still in use"}
		}
		return ok(r)
	}}
	e, _ := deploytest.Engine(t, fn, 1)
	ctx := context.Background()
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(1, "1", "Second", "a"))); err != nil {
		t.Fatal(err)
	}
	d, _ := e.Describe("s")
	id := d[0].ID
	done, err := e.Delete(ctx, "s")
	if err != nil || <-done == nil || deploytest.Status(t, e, "s") != deploy.DeleteFailed {
		t.Fatalf("a delete whose custom resource refuses: %v; stack %s, want %s", err, deploytest.Status(t, e, "s"), deploy.DeleteFailed)
	}
	if err := e.Deploy(ctx, deploytest.Stack(t, "s", template(2, "2", "Second", "a"))); err == nil || !strings.Contains(err.Error(), "DELETE_FAILED state and can not be updated") {
		t.Errorf("an update of a stack in DELETE_FAILED: %v, want it refused", err)
	}
	refuse = false
	done, err = e.Delete(ctx, "s")
	if err != nil || <-done != nil {
		t.Fatalf("deleting again: %v", err)
	}
	if _, err := e.Describe("s"); err == nil {
		t.Error("the deleted stack is still found by its name")
	}
	if gone, err := e.Describe(id); err != nil || gone[0].Status != deploy.DeleteComplete {
		t.Errorf("the deleted stack by its ID: %v %v, want %s", gone, err, deploy.DeleteComplete)
	}
	checkRequests(t, fn, []string{"Create Guard Value=1", "Create Second Value=a", "Delete Second Value=a", "Delete Guard Value=1", "Delete Second Value=a"})
}

// CDK's default synthesizer gives every stack an SSM-typed BootstrapVersion parameter that only
// its CheckBootstrapVersion rule reads. A local system has no bootstrap stack and keeps no Rules,
// so the engine never asks SSM for it: this engine has no SSM client at all, and the stack deploys.
func TestCDKsBootstrapVersionParameterIsNeverReadFromSSM(t *testing.T) {
	fn := &deploytest.Functions{Answer: ok}
	e, _ := deploytest.Engine(t, fn, 1)
	tmpl := strings.Replace(template(1, "1"), `{"Resources"`, `{"Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
		"Default": "/cdk-bootstrap/hnb659fds/version"}}, "Resources"`, 1)
	if err := e.Deploy(context.Background(), deploytest.Stack(t, "s", tmpl)); err != nil {
		t.Fatalf("deploying a stack with CDK's bootstrap parameter: %v", err)
	}
	if got := outputs(t, e, "s")["Answer"]; got != "1" {
		t.Errorf("Answer output %q, want 1", got)
	}
}
