package stacks_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// The proof that CloudFormation itself refuses every unsafe deploy: the synthesized templates of
// every step, every pair of stack states (absent included) and every deploy into each pair,
// evaluated by internal/tooling/rollout (SSM-typed parameters that do not exist, guard conditions read
// from the template) with the safety of each pair from the model's one ride path.

func templates(kind design.StackKind, step design.Step) (*cfn.Stack, error) {
	s := synthOrPanic(step)
	if kind == design.WildRydes {
		return s.wrStack, nil
	}
	return s.rrStack, nil
}

var (
	matrixOnce sync.Once
	theMatrix  *rollout.Matrix
	matrixErr  error
)

// matrix is every deploy into every pair, worked out once.
func matrix(t *testing.T) (*rollout.Analysis, *rollout.Matrix) {
	t.Helper()
	for _, step := range design.Steps() {
		synth(t, step)
	}
	a := rollout.New(templates)
	matrixOnce.Do(func() { theMatrix, matrixErr = a.Matrix(context.Background()) })
	if matrixErr != nil {
		t.Fatal(matrixErr)
	}
	return a, theMatrix
}

func TestEveryUnsafePairIsRefusedInBothDirections(t *testing.T) {
	a, m := matrix(t)
	var out strings.Builder
	fresh, _ := a.FreshInstall(context.Background())
	m.Write(&out, stage, fresh)
	t.Log("\n" + out.String())

	if len(m.Unsafe()) == 0 {
		t.Fatal("no pair is unsafe: the analysis sees no lost ride (wild-rydes publishing with no subscriber is one)")
	}
	for _, p := range m.Unsafe() {
		for _, kind := range rollout.Kinds {
			if p.Of(kind) == rollout.Absent {
				continue // a stack gets there by being deleted, not deployed
			}
			entered := 0
			for _, v := range m.Verdicts {
				if v.Kind != kind || v.To() != p || v.From == p || v.NoChange {
					continue
				}
				entered++
				switch {
				case !v.Refused:
					t.Errorf("deploying %s at step %d from %s is accepted and leaves %s: %s", kind, v.Step, v.From, p, m.Pairs[p].Why)
				case v.Parameter == "" || !strings.Contains(v.Message, v.Parameter):
					t.Errorf("deploying %s at step %d from %s is refused without naming the parameter: %q", kind, v.Step, v.From, v.Message)
				}
			}
			if entered == 0 {
				t.Errorf("no deploy of %s leads into %s: the enumeration is incomplete", kind, p)
			}
		}
	}
	if all, keys := m.UnsafeAccepted(); len(all) > 0 {
		t.Errorf("%d deploys (%d distinct) that CloudFormation accepts lose rides: %v", len(all), len(keys), keys)
	}
}

func TestTheRideRecordStacksFirstDeployRequiresNothing(t *testing.T) {
	a, _ := matrix(t)
	for _, step := range []design.Step{design.StepSynchronous, design.StepSharedPutPath, design.StepTopic} {
		v, err := a.Evaluate(context.Background(), rollout.Deploy{From: rollout.Pair{WildRydes: rollout.Absent, RideRecord: rollout.Absent}, Kind: design.RideRecord, Step: step})
		if err != nil {
			t.Fatal(err)
		}
		if !v.Lands() {
			t.Errorf("a first deploy of ride-record at step %d on a new account is refused: %s", step, v.Message)
		}
	}
}

func TestRollingRideRecordBackBelowTheSubscriberWhileWildRydesPublishesFails(t *testing.T) {
	a, _ := matrix(t)
	for _, wr := range []design.Step{design.StepPublish, design.StepOnDemand} {
		for _, rr := range []design.Step{design.StepSubscriber, design.StepPublish, design.StepOnDemand} {
			for _, back := range []design.Step{design.StepSynchronous, design.StepSharedPutPath, design.StepTopic} {
				from := rollout.Pair{WildRydes: rollout.State(wr), RideRecord: rollout.State(rr)}
				v, err := a.Evaluate(context.Background(), rollout.Deploy{From: from, Kind: design.RideRecord, Step: back})
				if err != nil {
					t.Fatal(err)
				}
				if !v.Refused || v.By != "guard" || v.Parameter != design.RideDeliveryParameterName(stage) {
					t.Errorf("rolling ride-record back to step %d from %s: refused %v by %s %s, want the guard on %s",
						back, from, v.Refused, v.By, v.Parameter, design.RideDeliveryParameterName(stage))
				}
			}
		}
	}
}

func TestAFreshInstallReachesTheFinalStateThroughAllowedSafeDeploys(t *testing.T) {
	a, _ := matrix(t)
	path, err := a.FreshInstall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at := rollout.Pair{WildRydes: rollout.Absent, RideRecord: rollout.Absent}
	for _, d := range path {
		if d.From != at {
			t.Fatalf("the sequence jumps from %s to %s", at, d.From)
		}
		v, err := a.Evaluate(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Lands() || !v.Result.Safe {
			t.Errorf("%s: lands %v, safe %v (%s %s)", d.Command(stage), v.Lands(), v.Result.Safe, v.Message, v.Result.Why)
		}
		at = d.To()
		t.Log(d.Command(stage))
	}
	if final := (rollout.Pair{WildRydes: rollout.State(design.FinalStep), RideRecord: rollout.State(design.FinalStep)}); at != final {
		t.Errorf("the fresh install ends at %s, want %s", at, final)
	}
}

func TestEveryIntegrationAndSubscriptionWaitsForItsInvokePermission(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		sys := system(t, s, s)
		for _, r := range sys.Routes() {
			if r.Function == nil {
				continue
			}
			integration := r.Stack.Template().Resources[r.Integration]
			if !waitsFor(integration, r.Function.InvokePermissions("apigateway.amazonaws.com")) {
				t.Errorf("step %d: the integration of %s points at %s without waiting for its invoke permission (DependsOn %v)",
					step, r.Key, r.Function.LogicalID, integration.DependsOn)
			}
		}
		for _, st := range sys.Stacks {
			for _, sub := range st.Subscriptions {
				if sub.Function != nil && !waitsFor(sub.Source, sub.Function.InvokePermissions("sns.amazonaws.com")) {
					t.Errorf("step %d: %s delivers to %s without waiting for its invoke permission (DependsOn %v)",
						step, sub.ID(), sub.Function.LogicalID, sub.Source.DependsOn)
				}
			}
		}
	}
}

func waitsFor(r cfn.Resource, permissions []*model.Permission) bool {
	for _, p := range permissions {
		if slices.Contains(r.DependsOn, p.LogicalID) {
			return true
		}
	}
	return false
}

// guardOf is the stack's one rollout guard and the resources it needs to run (those it refers
// to, directly or not), which cannot wait for it.
func guardOf(t *testing.T, tpl *cfn.Template) (cfn.Resource, map[string]bool) {
	t.Helper()
	guards := tpl.ResourcesOfType(design.GuardResourceType)
	if len(guards) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(guards), design.GuardResourceType)
	}
	needs := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		r, ok := tpl.Resources[id]
		if !ok || needs[id] {
			return
		}
		needs[id] = true
		for _, ref := range refsIn(r.Properties) {
			visit(ref)
		}
		for _, d := range r.DependsOn {
			visit(d)
		}
	}
	visit(guards[0].LogicalID)
	delete(needs, guards[0].LogicalID)
	return guards[0], needs
}

// refsIn lists the logical IDs a value refers to by Ref or Fn::GetAtt.
func refsIn(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, arg := range x {
			switch {
			case k == "Ref":
				if s, ok := arg.(string); ok {
					out = append(out, s)
				}
			case k == "Fn::GetAtt":
				if l, ok := arg.([]any); ok && len(l) > 0 {
					if s, ok := l[0].(string); ok {
						out = append(out, s)
					}
				}
			default:
				out = append(out, refsIn(arg)...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, refsIn(e)...)
		}
	}
	return out
}

// everyGuard calls check with each stack's one rollout guard and the function its ServiceToken
// names, at every step.
func everyGuard(t *testing.T, check func(step design.Step, st *model.Stack, guard cfn.Resource, fn *model.Function)) {
	t.Helper()
	for _, step := range design.Steps() {
		s := synth(t, step)
		sys := system(t, s, s)
		for _, st := range sys.Stacks {
			guard, _ := guardOf(t, st.Template())
			fn, _ := sys.Target(st, guard.Properties["ServiceToken"]).(*model.Function)
			if fn == nil {
				t.Fatalf("step %d %s: the guard's ServiceToken is no function of the stack", step, st.Name)
			}
			check(step, st, guard, fn)
		}
	}
}

func TestEveryOtherResourceWaitsForTheRolloutGuard(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for _, st := range []*cfn.Stack{s.wrStack, s.rrStack} {
			guard, needs := guardOf(t, st.Template)
			for id := range needs {
				switch st.Template.Resources[id].Type {
				case "AWS::Lambda::Function", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogGroup":
				default:
					t.Errorf("step %d %s: the guard needs %s (%s) before it runs, so that changes before the check", step, st.Name, id, st.Template.Resources[id].Type)
				}
			}
			for id, r := range st.Template.Resources {
				if r.Type == "AWS::CDK::Metadata" {
					// The CLI's version report, added after every aspect has run: it records the
					// CDK version used and changes nothing a ride goes through.
					continue
				}
				if id != guard.LogicalID && !needs[id] && !slices.Contains(r.DependsOn, guard.LogicalID) {
					t.Errorf("step %d %s: %s (%s) does not wait for %s: it could change before the check fails", step, st.Name, id, r.Type, guard.LogicalID)
				}
			}
		}
	}
}

// The deploy order is an Aspect: a resource added to a stack after its constructor returned
// waits for the rollout guard too.
func TestAResourceAddedAfterTheConstructorWaitsForTheGuard(t *testing.T) {
	context := cdkJSONContext()
	context["aws:cdk:bundling-stacks"] = []string{}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &context})
	rr := stacks.NewRideRecordStack(app, design.StackName(design.RideRecord, stage),
		&stacks.RideRecordStackProps{Stage: stage, Step: design.StepSynchronous})
	awscdk.NewCfnWaitConditionHandle(rr, jsii.String("AddedLater"), nil)
	added := resources(toMap(assertions.Template_FromStack(rr, nil)), "AWS::CloudFormation::WaitConditionHandle")["AddedLater"]
	if deps, _ := added["DependsOn"].([]any); !slices.Contains(deps, any("RolloutGuard")) {
		t.Errorf("a resource added after NewRideRecordStack returned depends on %v, not on the rollout guard: it could change before the check fails", added["DependsOn"])
	}
}

func TestTheGuardMayReadExactlyTheParametersItChecks(t *testing.T) {
	everyGuard(t, func(step design.Step, st *model.Stack, guard cfn.Resource, fn *model.Function) {
		conds, err := rolloutguard.Conditions(guard.Properties)
		if err != nil {
			t.Fatal(err)
		}
		g := st.Guards[0]
		var may, history, described []string
		for _, stmt := range fn.Role.Statements {
			for _, a := range stmt.Actions {
				var into *[]string
				switch {
				case a == "ssm:GetParameter":
					into = &may
				case a == "ssm:GetParameterHistory":
					into = &history
				case a == "cloudformation:DescribeStacks":
					into = &described
				case strings.HasPrefix(a, "ssm:") || strings.HasPrefix(a, "cloudformation:"):
					t.Errorf("step %d %s: the guard may %s", step, st.Name, a)
					continue
				default:
					continue
				}
				for _, r := range stmt.Resources {
					*into = append(*into, jsonString(r))
				}
			}
		}
		reads := slices.Clone(g.Requires)
		for _, c := range conds {
			if !slices.Contains(reads, c.Parameter) {
				reads = append(reads, c.Parameter)
			}
		}
		if len(may) != len(reads) {
			t.Errorf("step %d %s: the guard may read %d parameters, it checks %d: %v", step, st.Name, len(may), len(reads), may)
		}
		for _, name := range reads {
			if !slices.ContainsFunc(may, func(m string) bool { return strings.Contains(m, ":parameter"+name+`"`) }) {
				t.Errorf("step %d %s: the guard checks %s, but may read only %v", step, st.Name, name, may)
			}
		}
		held := 0
		for _, c := range conds {
			if c.HeldFor > 0 {
				held++
				if !slices.ContainsFunc(history, func(m string) bool { return strings.Contains(m, ":parameter"+c.Parameter+`"`) }) {
					t.Errorf("step %d %s: the guard checks the history of %s, but may read only that of %v", step, st.Name, c.Parameter, history)
				}
			}
		}
		if len(history) != held {
			t.Errorf("step %d %s: the guard may read the history of %d parameters, it checks %d: %v", step, st.Name, len(history), held, history)
		}
		if len(described) != 2 || !slices.ContainsFunc(described, func(m string) bool { return strings.Contains(m, ":stack/"+g.OtherStack+"/*") }) ||
			!slices.ContainsFunc(described, func(m string) bool { return strings.Contains(m, ":stack/"+st.Name+"/*") }) {
			t.Errorf("step %d %s: the guard may describe %v, want exactly its own stack and %s", step, st.Name, described, g.OtherStack)
		}
	})
}

func TestEachStackSaysTheStepItWasDeployedAt(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for kind, tpl := range map[design.StackKind]map[string]any{design.WildRydes: s.wrJSON, design.RideRecord: s.rrJSON} {
			out, _ := tpl["Outputs"].(map[string]any)[design.StepOutput].(map[string]any)
			if want := fmt.Sprint(int(step.StackStep(kind))); out["Value"] != want {
				t.Errorf("-c step=%d: %s's %s output is %v, want %s", step, kind, design.StepOutput, out["Value"], want)
			}
		}
	}
}

func TestTheDeclaredFreshInstallOfEveryStepIsAllowedAndSafe(t *testing.T) {
	a, _ := matrix(t)
	for _, goal := range design.Steps() {
		at := rollout.Pair{WildRydes: rollout.Absent, RideRecord: rollout.Absent}
		for _, m := range design.FreshInstall(goal) {
			v, err := a.Evaluate(context.Background(), rollout.Deploy{From: at, Kind: m.Kind, Step: m.Step})
			if err != nil {
				t.Fatal(err)
			}
			if !v.Lands() || !v.Result.Safe {
				t.Errorf("installing step %d: %s at step %d from %s: lands %v, safe %v (%s %s)",
					goal, m.Kind, m.Step, at, v.Lands(), v.Result.Safe, v.Message, v.Result.Why)
			}
			at = v.To()
		}
		for _, kind := range rollout.Kinds {
			if got := at.Of(kind); got == rollout.Absent || design.Step(got).StackStep(kind) != goal.StackStep(kind) {
				t.Errorf("installing step %d leaves %s at %s, want the template of step %d", goal, kind, got, goal)
			}
		}
	}
}

// Two deploys at once, one per stack, from every pair of stack states: each guard refuses while
// the other stack is being deployed, so the two run one after the other or not at all, and no
// outcome loses rides (internal/tooling/rollout/concurrent.go has the argument).
func TestTwoDeploysAtOnceNeverEndInALostPair(t *testing.T) {
	a, m := matrix(t)
	if want := len(rollout.Pairs()) * len(design.Steps()) * len(design.Steps()); len(m.Concurrent) != want {
		t.Fatalf("%d pairs of concurrent deploys evaluated, want %d: the enumeration is incomplete", len(m.Concurrent), want)
	}
	lost, unserialized := m.ConcurrentLost()
	for _, c := range lost {
		t.Errorf("%s may end in %v, which loses rides (serialized by the guards: %v)", c, m.LostBy(c, false), c.Serialized)
	}
	for _, c := range m.Concurrent {
		if !c.Serialized {
			t.Errorf("%s: a deploy's guard does not run, or does not refuse beside the other stack, or does not check again what its change set resolved", c)
		}
	}
	if len(unserialized) == 0 {
		t.Error("without the guards' serialization no pair of deploys could lose rides: the analysis does not see the race they close")
	}
	// Issue 16's race: from (3, 3), wild-rydes to step 4 (its change set resolves SubscriberReady)
	// and ride-record to step 2 (its guard reads RideDelivery = http) each pass alone.
	c, err := a.Concurrently(context.Background(), rollout.Pair{WildRydes: 3, RideRecord: 3}, design.StepPublish, design.StepTopic)
	if err != nil {
		t.Fatal(err)
	}
	race := rollout.Pair{WildRydes: rollout.State(design.StepPublish), RideRecord: rollout.State(design.StepTopic)}
	if c.Overlapped == nil || *c.Overlapped != race || m.Pairs[race].Safe || slices.Contains(c.Outcomes, race) {
		t.Errorf("%s: overlapped %v, outcomes %v; want both landing to be %s, LOST, and not an outcome", c, c.Overlapped, c.Outcomes, race)
	}
	outcomes := 0
	for _, c := range m.Concurrent {
		outcomes += len(c.Outcomes)
	}
	t.Logf("%d pairs of concurrent deploys, %d outcomes, 0 LOST; without serialization %d could end LOST", len(m.Concurrent), outcomes, len(unserialized))
}

// CloudFormation waits ServiceTimeout for the guard's answer; the guard's invocation is
// asynchronous, so Lambda retries a failed one twice, a minute and two minutes later
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
func TestTheGuardsServiceTimeoutOutlastsLambdasRetriesOfIt(t *testing.T) {
	everyGuard(t, func(step design.Step, st *model.Stack, guard cfn.Resource, fn *model.Function) {
		seconds, ok := cfn.Number(guard.Properties["ServiceTimeout"])
		if !ok {
			t.Fatalf("step %d %s: the guard's ServiceTimeout is %v", step, st.Name, guard.Properties["ServiceTimeout"])
		}
		timeout := time.Duration(seconds) * time.Second
		need := time.Duration(fn.RetryAttempts+1)*fn.Timeout + time.Minute + 2*time.Minute
		if timeout <= need || timeout > time.Hour {
			t.Errorf("step %d %s: ServiceTimeout %s, want more than %s (%d attempts of %s, 1 and 2 minutes apart) and at most an hour",
				step, st.Name, timeout, need, fn.RetryAttempts+1, fn.Timeout)
		}
	})
}

// No ride dropped by a rollback: PutRideRecordSns keeps an event a bounded time (then it goes to
// the dead-letter queue), RideDelivery changes only after RequestRide's configuration, and
// ride-record's states without the subscriber require RideDelivery to have been "http" longer
// than the last ride published can still be waiting for PutRideRecordSns.
func TestRideRecordLetsItsSubscriberGoOnlyOnceNoRideCanWaitForIt(t *testing.T) {
	publishing := synth(t, design.StepPublish)
	sys := system(t, publishing, publishing)
	rides := sys.RideFunctions()
	var subscriber *model.Function
	for _, st := range sys.Stacks {
		for _, sub := range st.Subscriptions {
			subscriber = sub.Function
		}
	}
	if len(rides) != 1 || subscriber == nil {
		t.Fatalf("step %d: %d functions hand off rides, subscriber %v", design.StepPublish, len(rides), subscriber)
	}
	if subscriber.MaxEventAge >= model.DefaultMaxEventAge || subscriber.DeadLetter == nil {
		t.Errorf("%s keeps an event %s (dead-letter queue %v): unbounded, a rollback would wait up to Lambda's 6 hours", subscriber.LogicalID, subscriber.MaxEventAge, subscriber.DeadLetter)
	}
	drain := rides[0].Timeout + subscriber.MaxEventAge + subscriber.Timeout
	t.Logf("a ride may reach %s up to %s after %s stopped publishing", subscriber.LogicalID, drain, rides[0].LogicalID)
	for _, step := range design.Steps() {
		s := synth(t, step)
		sys := system(t, s, s)
		for _, st := range sys.Stacks {
			for _, p := range st.Parameters {
				if p.Name != design.RideDeliveryParameterName(stage) {
					continue
				}
				if !slices.Contains(p.Source.DependsOn, sys.RideFunctions()[0].LogicalID) {
					t.Errorf("step %d: %s does not wait for %s (DependsOn %v): its history would not tell when RequestRide stopped publishing",
						step, p.LogicalID, sys.RideFunctions()[0].LogicalID, p.Source.DependsOn)
				}
			}
			if st.Name != design.StackName(design.RideRecord, stage) || design.Step(step).HasSNSSubscriber() {
				continue
			}
			var held time.Duration
			for _, c := range st.Guards[0].Conditions {
				if c.Parameter == design.RideDeliveryParameterName(stage) {
					held = c.HeldFor
				}
			}
			if held <= drain {
				t.Errorf("step %d: ride-record without its subscriber requires RideDelivery to have held for %s, want more than %s", step, held, drain)
			}
		}
	}
}
