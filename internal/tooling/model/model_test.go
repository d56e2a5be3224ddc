package model_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// The tests read what the app synthesizes today, through the synth cache the other packages share
// (stage "test"), so a warm run synthesizes nothing and no template is copied here.
var (
	once     sync.Once
	steps    *synth.Steps
	synthErr error
)

func stack(t *testing.T, kind design.StackKind, step design.Step) *cfn.Stack {
	t.Helper()
	once.Do(func() {
		steps, synthErr = synth.Synthesize(context.Background(), synth.Options{Stage: "test", Log: os.Stderr})
	})
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	st, err := steps.Stack(kind, step)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// system is wild-rydes at step wr and ride-record at step rr.
func system(t *testing.T, wr, rr design.Step) *model.System {
	t.Helper()
	sys, err := model.New(stack(t, design.WildRydes, wr),
		stack(t, design.RideRecord, rr))
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func TestTheFinalStateDeliversEveryRideOnceThroughSNS(t *testing.T) {
	sys := system(t, design.FinalStep, design.FinalStep)
	deliveries := sys.Deliveries()
	if len(deliveries) != 1 {
		t.Fatalf("%d functions hand off rides, want 1 (RequestRide)", len(deliveries))
	}
	d := deliveries[0]
	if d.From.LogicalID != "RequestRide" || len(d.Problems) > 0 || len(d.Paths) != 1 {
		t.Fatalf("delivery from %s: paths %v, problems %v", d.From.LogicalID, d.Paths, d.Problems)
	}
	p := d.Paths[0]
	if p.Via != "sns" || p.Writer.LogicalID != "PutRideRecordSns" || p.Table.LogicalID != "RideRecordTable" {
		t.Errorf("the ride goes %v, want SNS to PutRideRecordSns and RideRecordTable", p)
	}
	if p.Subscription.TopicParameter != "/wild-rydes/test/SnsTopicArn" || p.Subscription.Topic.Stack.Name != "wild-rydes-test" {
		t.Errorf("the subscription listens to %q in %s, want the wild-rydes topic through its SSM parameter",
			p.Subscription.TopicParameter, p.Subscription.Topic.Stack.Name)
	}
	if d.Topic != p.Topic || len(d.Routes) != 0 {
		t.Errorf("RequestRide hands each ride to %v and %v, want the topic alone", d.Topic, d.Routes)
	}
	if routes := sys.RideRoutes(); len(routes) != 1 || routes[0].Key != "POST /ride" || routes[0].Authorization != "NONE" {
		t.Errorf("ride routes %v, want the public POST /ride", routes)
	}
}

func TestTheSynchronousStepDeliversOverHTTP(t *testing.T) {
	sys := system(t, design.StepSynchronous, design.StepSynchronous)
	d := sys.Deliveries()[0]
	if len(d.Problems) > 0 || len(d.Paths) != 1 || d.Paths[0].Via != "http" || d.Paths[0].Route.Key != "POST /record" ||
		d.Paths[0].Writer.LogicalID != "PutRideRecord" {
		t.Fatalf("step 0 delivers by %v (problems %v), want HTTP POST /record to PutRideRecord", d.Paths, d.Problems)
	}
	if d.Topic != nil || len(d.Routes) != 1 || d.Routes[0] != d.Paths[0].Route {
		t.Errorf("RequestRide hands each ride to %v and %v, want POST /record alone", d.Topic, d.Routes)
	}
}

func TestPublishingBeforeAnySubscriberIsALoss(t *testing.T) {
	d := system(t, design.StepPublish, design.StepSharedPutPath).Deliveries()[0]
	if len(d.Paths) != 0 || len(d.Problems) != 1 || !strings.Contains(d.Problems[0], "nothing subscribes") {
		t.Errorf("publishing with no subscriber: paths %v, problems %v; want no path and one problem saying nothing subscribes", d.Paths, d.Problems)
	}
	if d.Topic == nil || d.Topic.LogicalID != "RidesSnsTopic" {
		t.Errorf("publishing with no subscriber: the rides still go to the topic, not %v", d.Topic)
	}
}

func TestFunctionsCarryTheirConfiguration(t *testing.T) {
	sys := system(t, design.FinalStep, design.FinalStep)
	rr := sys.Function("RequestRide")
	if rr == nil {
		t.Fatal("no RequestRide")
	}
	if rr.Entry != "lambdas/request-ride" || rr.Runtime != "provided.al2023" || rr.Architecture != "arm64" ||
		rr.MemoryMB != 256 || rr.Timeout != 10*time.Second || rr.Tracing != "Active" {
		t.Errorf("RequestRide: entry %q runtime %q arch %q memory %d timeout %s tracing %q", rr.Entry, rr.Runtime,
			rr.Architecture, rr.MemoryMB, rr.Timeout, rr.Tracing)
	}
	topic := sys.PublishesTo(rr, design.EnvTopicARN)
	if topic == nil || !rr.Allows("sns:Publish", &topic.Resource) || !topic.Encrypted {
		t.Errorf("RequestRide publishes to %v; it must be allowed sns:Publish on an encrypted topic", topic)
	}
	sub := sys.Function("PutRideRecordSns")
	table, dlq, err := sys.RideStore()
	if err != nil {
		t.Fatal(err)
	}
	if sub.DeadLetter != dlq || sub.RetryAttempts != 2 || !dlq.Retained || !table.Retained || table.BillingMode != "PAY_PER_REQUEST" || !table.PointInTime {
		t.Errorf("PutRideRecordSns dead-letters to %v (want %v) after %d retries; table %+v", sub.DeadLetter, dlq, sub.RetryAttempts, table)
	}
	if sub.MaxEventAge != 10*time.Minute || rr.MaxEventAge != model.DefaultMaxEventAge {
		t.Errorf("PutRideRecordSns keeps an asynchronous event %s (its EventInvokeConfig), RequestRide %s (Lambda's default); want 10m0s and 6h0m0s", sub.MaxEventAge, rr.MaxEventAge)
	}
	if sub.Allows("dynamodb:GetItem", &table.Resource) || sub.Allows("dynamodb:DeleteItem", &table.Resource) {
		t.Error("PutRideRecordSns may read or delete rides; it may only put them")
	}
	var writers []string
	for _, f := range sys.Writers(table) {
		writers = append(writers, f.LogicalID)
	}
	if strings.Join(writers, ",") != "PutRideRecordHttp,PutRideRecordSns,RedriveDeadLetters" {
		t.Errorf("the table's writers are %v", writers)
	}
	var reads []string
	for _, r := range sys.Stack("wild-rydes-test").Reads {
		reads = append(reads, r.Name)
	}
	// The publishing wild-rydes requires the subscriber (rollout safety), and nothing else of ride-record.
	if want := "/cdk-bootstrap/hnb659fds/version," + design.SubscriberReadyParameterName("test"); len(sys.Stack("wild-rydes-ride-record-test").Alarms) == 0 || strings.Join(reads, ",") != want {
		t.Errorf("the ride-record stack must have its alarm, and wild-rydes read from SSM only %s (it reads %v)", want, reads)
	}
}

func TestAStackMayAppearOnce(t *testing.T) {
	st := stack(t, design.WildRydes, design.FinalStep)
	if _, err := model.New(st, st); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("the same stack twice: err %v, want one naming the repetition", err)
	}
}

// Each stack's alarm topic has its own rotating KMS key, and a stack state that requires something
// of the other stack declares it as its guard's conditions.
func TestStacksCarryTheirKeysGuardsAndEveryResource(t *testing.T) {
	sys := system(t, design.FinalStep, design.FinalStep)
	for _, st := range sys.Stacks {
		if len(st.Keys) != 1 || !st.Keys[0].Rotation {
			t.Errorf("%s: keys %v, want the alarm topic's one rotating key", st.Name, st.Keys)
		}
		if len(st.Resources) != len(st.Template().Resources) {
			t.Errorf("%s: %d resources described, the template has %d", st.Name, len(st.Resources), len(st.Template().Resources))
		}
	}
	var conditions []string
	for _, st := range sys.Stacks {
		for _, g := range st.Guards {
			for _, c := range g.Conditions {
				conditions = append(conditions, c.Parameter)
			}
			if other := sys.Stacks[0].Name; st.Name == other && g.OtherStack != sys.Stacks[1].Name || st.Name != other && g.OtherStack != other {
				t.Errorf("%s's guard refuses beside %q, want the other stack", st.Name, g.OtherStack)
			}
		}
	}
	if wr := sys.Stack("wild-rydes-test"); len(wr.Guards) != 1 || strings.Join(wr.Guards[0].Requires, ",") != design.SubscriberReadyParameterName("test") {
		t.Errorf("the publishing wild-rydes' guard checks again %v, want the parameter its change set resolves", wr.Guards)
	}
	if len(conditions) == 0 {
		t.Error("no guard of the final state requires anything of the other stack")
	}
	guard := &model.Resource{LogicalID: "G", Type: design.GuardResourceType, Source: cfn.Resource{Properties: map[string]any{"A": "1"}}}
	before := &cfn.Template{Resources: map[string]cfn.Resource{"G": {LogicalID: "G", Type: design.GuardResourceType, Properties: map[string]any{"A": "1"}}}}
	if guard.ChangedFrom(before) {
		t.Error("a resource with the same type and properties is not changed")
	}
	before.Resources["G"].Properties["A"] = "2"
	if !guard.ChangedFrom(before) || !guard.ChangedFrom(&cfn.Template{}) {
		t.Error("a resource whose properties changed, or that is new, is changed")
	}
}
