package stacks_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// moment is the system between two deploys: each stack at the step it was last deployed at.
type moment struct{ wildRydes, rideRecord design.Step }

func (m moment) String() string {
	return fmt.Sprintf("wild-rydes at step %d, ride-record at step %d", m.wildRydes, m.rideRecord)
}

// documentedOrder is every moment of the refactor, deploying each step's stack in turn.
func documentedOrder() []moment {
	m := moment{design.StepSynchronous, design.StepSynchronous}
	moments := []moment{m}
	for _, step := range design.Steps()[1:] {
		for _, kind := range step.Changes() {
			if kind == design.WildRydes {
				m.wildRydes = step
			} else {
				m.rideRecord = step
			}
		}
		moments = append(moments, m)
	}
	return moments
}

func TestEveryStepChangesOneStack(t *testing.T) {
	for _, step := range design.Steps()[1:] {
		prev, cur := synth(t, step-1), synth(t, step)
		changedWR := jsonString(prev.wrJSON) != jsonString(cur.wrJSON)
		changedRR := jsonString(prev.rrJSON) != jsonString(cur.rrJSON)
		want := step.Changes()
		if changedWR != slices.Contains(want, design.WildRydes) || changedRR != slices.Contains(want, design.RideRecord) {
			t.Errorf("step %d says it changes %v, but wild-rydes changed: %v, ride-record changed: %v", step, want, changedWR, changedRR)
		}
	}
}

func TestEveryMomentOfTheRefactorStoresEachRideExactlyOnce(t *testing.T) {
	for _, m := range documentedOrder() {
		t.Run(m.String(), func(t *testing.T) {
			paths, problems := rideWriters(t, synth(t, m.wildRydes), synth(t, m.rideRecord))
			for _, p := range problems {
				t.Error(p)
			}
			if len(paths) != 1 {
				t.Errorf("a booked ride reaches the table by %d paths %v, want exactly 1", len(paths), paths)
			}
		})
	}
}

func TestTheAnalysisSeesALostRide(t *testing.T) {
	// The workshop's own order deploys the publishing RequestRide before anything subscribes:
	// wild-rydes at step 4 with ride-record still at step 1. The checker must call that a loss.
	paths, problems := rideWriters(t, synth(t, design.StepPublish), synth(t, design.StepSharedPutPath))
	if len(paths) != 0 || len(problems) == 0 {
		t.Errorf("publishing with no subscriber was judged safe: paths %v, problems %v", paths, problems)
	}
}

func TestStatefulResourcesKeepTheirLogicalIDs(t *testing.T) {
	for id, want := range statefulResources {
		t.Run(id, func(t *testing.T) {
			var first map[string]any
			for _, step := range design.Steps() {
				all := withoutAlarmTopic(want.stack(synth(t, step)), resources(want.stack(synth(t, step)), want.typ))
				res, ok := all[id]
				if step < want.from {
					continue
				}
				if !ok {
					t.Errorf("step %d has no %s %s (it has %v): CloudFormation would delete it", step, want.typ, id, keys(all))
					continue
				}
				for other := range all {
					if _, listed := statefulResources[other]; !listed {
						t.Errorf("step %d has another %s, %s: a stateful resource under a new logical ID would be a new, empty one", step, want.typ, other)
					}
				}
				if first == nil {
					first = props(res)
				}
				for _, p := range want.replaces {
					if jsonString(props(res)[p]) != jsonString(first[p]) {
						t.Errorf("step %d changes %s.%s from %s to %s: CloudFormation would replace it", step, id, p, jsonString(first[p]), jsonString(props(res)[p]))
					}
				}
			}
		})
	}
}

func TestStep0IsTheSynchronousDesign(t *testing.T) {
	s := synth(t, design.StepSynchronous)
	if n := len(withoutAlarmTopic(s.wrJSON, resources(s.wrJSON, "AWS::SNS::Topic"))); n != 0 {
		t.Errorf("%d topics besides the alarm topic at step 0", n)
	}
	if _, ok := env(t, s.wrJSON, "RequestRide")["RIDE_RECORD_URL"]; !ok {
		t.Error("RequestRide has no RIDE_RECORD_URL at step 0")
	}
	if fn := routeFunction(t, system(t, s, s), "POST /record"); fn != "PutRideRecord" {
		t.Errorf("POST /record is served by %s at step 0, want PutRideRecord", fn)
	}
	table := props(resources(s.rrJSON, "AWS::DynamoDB::Table")[stacks.TableLogicalID])
	if jsonString(table["ProvisionedThroughput"]) != `{"ReadCapacityUnits":1,"WriteCapacityUnits":1}` {
		t.Errorf("ProvisionedThroughput = %s, want the original's 1/1 (its serverless.yml)", jsonString(table["ProvisionedThroughput"]))
	}
}

func TestNoSubscriberRunsWithoutItsDeadLetterQueue(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		subs := len(resources(s.rrJSON, "AWS::SNS::Subscription"))
		queues := len(resources(s.rrJSON, "AWS::SQS::Queue"))
		if subs > 0 && queues == 0 {
			t.Errorf("step %d subscribes PutRideRecordSns without a dead-letter queue: a failing ride would be dropped", step)
		}
		if step.HasSNSSubscriber() && subs == 0 {
			t.Errorf("step %d has no subscription to the rides topic", step)
		}
		checkSubscribersDeadLetter(t, fmt.Sprintf("step %d", step), s.rrJSON)
	}
}

// checkSubscribersDeadLetter: each subscription sends what SNS cannot deliver to a queue of the
// stack, and the function it delivers to sends what it fails every attempt to one too.
func checkSubscribersDeadLetter(t reporter, where string, tpl map[string]any) {
	queue := func(arn any) bool {
		att, _ := asMap(arn)["Fn::GetAtt"].([]any)
		return len(att) == 2 && resources(tpl, "AWS::SQS::Queue")[fmt.Sprint(att[0])] != nil && att[1] == "Arn"
	}
	for id, sub := range resources(tpl, "AWS::SNS::Subscription") {
		p := props(sub)
		if redrive, _ := p["RedrivePolicy"].(map[string]any); !queue(redrive["deadLetterTargetArn"]) {
			t.Errorf("%s: subscription %s has no dead-letter queue of the stack (RedrivePolicy %s): a ride SNS cannot deliver would be dropped", where, id, jsonString(p["RedrivePolicy"]))
		}
		endpoint, _ := asMap(p["Endpoint"])["Fn::GetAtt"].([]any)
		if len(endpoint) != 2 {
			t.Errorf("%s: subscription %s delivers to %s, no function of the stack", where, id, jsonString(p["Endpoint"]))
			continue
		}
		fn := resources(tpl, "AWS::Lambda::Function")[fmt.Sprint(endpoint[0])]
		if dlc, _ := props(fn)["DeadLetterConfig"].(map[string]any); !queue(dlc["TargetArn"]) {
			t.Errorf("%s: %s, subscribed by %s, has no dead-letter queue of the stack (DeadLetterConfig %s): a ride it fails every attempt would be dropped", where, endpoint[0], id, jsonString(dlc))
		}
	}
}

// The check fails on a subscription, or a subscribed function, without its dead-letter queue.
func TestTheDeadLetterCheckFailsWithoutTheQueue(t *testing.T) {
	for _, tc := range []struct {
		breaks string
		change func(tpl map[string]any)
	}{
		{"the subscription's redrive policy", func(tpl map[string]any) {
			for _, sub := range resources(tpl, "AWS::SNS::Subscription") {
				delete(props(sub), "RedrivePolicy")
			}
		}},
		{"the function's dead-letter config", func(tpl map[string]any) {
			delete(props(resources(tpl, "AWS::Lambda::Function")["PutRideRecordSns"]), "DeadLetterConfig")
		}},
	} {
		tpl := copyJSON(final(t).rrJSON)
		var before, after recorder
		checkSubscribersDeadLetter(&before, "before", tpl)
		tc.change(tpl)
		checkSubscribersDeadLetter(&after, "after", tpl)
		if len(before) != 0 || len(after) == 0 {
			t.Errorf("without %s: the check reports %v before and %v after", tc.breaks, before, after)
		}
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestRequestRideMayPublishBeforeItStartsPublishing(t *testing.T) {
	s := synth(t, design.StepTopic)
	if _, publishes := env(t, s.wrJSON, "RequestRide")["RIDES_SNS_TOPIC_ARN"]; publishes {
		t.Fatal("RequestRide publishes already at the step that adds the topic")
	}
	var grants []string
	for _, st := range policyStatements(s.wrJSON) {
		for _, a := range st.actions {
			if a == "sns:Publish" {
				grants = append(grants, st.resource)
			}
		}
	}
	if len(grants) != 1 || grants[0] != `{"Ref":"RidesSnsTopic"}` {
		t.Errorf("sns:Publish grants at step %d: %v, want the rides topic, so the publishing step changes no IAM", design.StepTopic, grants)
	}
}
