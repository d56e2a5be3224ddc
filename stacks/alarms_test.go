package stacks_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// wantAlarms is what an operator must hear of in each stack at step, as "namespace metric".
func wantAlarms(step design.Step) map[design.StackKind][]string {
	rr := []string{"AWS/ApiGateway 5xx"}
	if !step.HasOnDemandTable() {
		rr = append(rr, "AWS/DynamoDB WriteThrottleEvents")
	}
	if step.HasSNSSubscriber() {
		// The dead-letter queue: a message waiting, each new one, and its oldest one's age; the
		// unstorable queue: each new one.
		rr = append(rr, "AWS/Lambda Errors", "AWS/Lambda Throttles", "AWS/SQS ApproximateNumberOfMessagesVisible",
			"AWS/SQS NumberOfMessagesSent", "AWS/SQS ApproximateAgeOfOldestMessage", "AWS/SQS NumberOfMessagesSent")
	}
	slices.Sort(rr)
	return map[design.StackKind][]string{
		design.WildRydes:  {"AWS/ApiGateway 5xx", "AWS/Lambda Errors", "metric math: rides handed off, not stored"},
		design.RideRecord: rr,
	}
}

func TestEveryAlarmReachesTheStacksAlarmTopic(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for kind, tpl := range map[design.StackKind]map[string]any{design.WildRydes: s.wrJSON, design.RideRecord: s.rrJSON} {
			name := fmt.Sprintf("step %d %s", step, design.StackName(kind, stage))
			topic := alarmTopic(t, name, tpl)
			var got []string
			for id, alarm := range resources(tpl, "AWS::CloudWatch::Alarm") {
				p := props(alarm)
				if p["Metrics"] != nil {
					got = append(got, "metric math: rides handed off, not stored")
				} else {
					got = append(got, fmt.Sprint(p["Namespace"], " ", p["MetricName"]))
				}
				for _, actions := range []string{"AlarmActions", "OKActions"} {
					if list, _ := p[actions].([]any); !slices.ContainsFunc(list, func(a any) bool { return jsonString(a) == jsonString(refTo(topic)) }) {
						t.Errorf("%s: alarm %s has %s %s, want the alarm topic %s: nobody hears of it", name, id, actions, jsonString(p[actions]), topic)
					}
				}
				if p["TreatMissingData"] != "notBreaching" {
					t.Errorf("%s: alarm %s treats missing data as %v: a quiet system would be in alarm", name, id, p["TreatMissingData"])
				}
			}
			slices.Sort(got)
			if want := wantAlarms(step)[kind]; !slices.Equal(got, want) {
				t.Errorf("%s: alarms on %v, want %v", name, got, want)
			}
		}
	}
}

// alarmTopic returns the stack's alarm topic, checking that it is encrypted with a key that lets
// CloudWatch publish, accepts only TLS, and has no hard-coded name.
func alarmTopic(t *testing.T, name string, tpl map[string]any) string {
	t.Helper()
	var id string
	for tid, topic := range resources(tpl, "AWS::SNS::Topic") {
		if props(topic)["DisplayName"] == "Wild Rydes alarms" {
			id = tid
		}
	}
	if id == "" {
		t.Fatalf("%s has no alarm topic", name)
	}
	p := props(resources(tpl, "AWS::SNS::Topic")[id])
	if _, named := p["TopicName"]; named {
		t.Errorf("%s: the alarm topic has a hard-coded name %v", name, p["TopicName"])
	}
	keyRef, _ := p["KmsMasterKeyId"].(map[string]any)["Fn::GetAtt"].([]any)
	if len(keyRef) != 2 {
		t.Fatalf("%s: the alarm topic is not encrypted with a key of this stack: %v", name, p["KmsMasterKeyId"])
	}
	key, ok := resources(tpl, "AWS::KMS::Key")[fmt.Sprint(keyRef[0])]
	if !ok {
		t.Fatalf("%s: the alarm topic's key %v is not in the stack", name, keyRef[0])
	}
	if props(key)["EnableKeyRotation"] != true {
		t.Errorf("%s: the alarm topic's key does not rotate", name)
	}
	cloudwatch := false
	for _, st := range props(key)["KeyPolicy"].(map[string]any)["Statement"].([]any) {
		st := st.(map[string]any)
		if jsonString(st["Principal"]) == `{"Service":"cloudwatch.amazonaws.com"}` &&
			jsonString(st["Action"]) == `["kms:Decrypt","kms:GenerateDataKey"]` {
			cloudwatch = true
		}
	}
	if !cloudwatch {
		t.Errorf("%s: the alarm topic's key does not let CloudWatch encrypt what its alarms publish: they could not notify", name)
	}
	tls := false
	for _, pol := range resources(tpl, "AWS::SNS::TopicPolicy") {
		doc := jsonString(props(pol))
		if strings.Contains(doc, jsonString(refTo(id))) && strings.Contains(doc, `"aws:SecureTransport":"false"`) && strings.Contains(doc, `"Effect":"Deny"`) {
			tls = true
		}
	}
	if !tls {
		t.Errorf("%s: the alarm topic accepts publishing without TLS", name)
	}
	return id
}

func refTo(id string) map[string]any { return map[string]any{"Ref": id} }

var withEmail = sync.OnceValue(func() *synthesized {
	return synthesizeInProcess(cdkJSONContext(), stacks.AppConfig{Stage: stage, Step: design.FinalStep, AlarmEmail: "ops@example.com"})
})

func TestTheAlarmEmailIsSubscribedOnlyWhenGiven(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *synthesized
		want []string
	}{
		{"without -c alarmEmail", final(t), nil},
		{"with -c alarmEmail=ops@example.com", withEmail(), []string{"ops@example.com"}},
	} {
		for kind, tpl := range map[design.StackKind]map[string]any{design.WildRydes: tc.s.wrJSON, design.RideRecord: tc.s.rrJSON} {
			topic := alarmTopic(t, string(kind), tpl)
			var got []string
			for _, sub := range resources(tpl, "AWS::SNS::Subscription") {
				p := props(sub)
				if p["Protocol"] == "email" {
					if jsonString(p["TopicArn"]) != jsonString(refTo(topic)) {
						t.Errorf("%s, %s: an email subscription to %v, not to the alarm topic", tc.name, kind, p["TopicArn"])
					}
					got = append(got, fmt.Sprint(p["Endpoint"]))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s, %s: email subscriptions %v, want %v", tc.name, kind, got, tc.want)
			}
		}
	}
}

// withoutAlarmTopic leaves out of res the topic the template's alarms notify.
func withoutAlarmTopic(tpl map[string]any, res map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range res {
		out[id] = r
	}
	for _, alarm := range resources(tpl, "AWS::CloudWatch::Alarm") {
		for _, a := range props(alarm)["AlarmActions"].([]any) {
			if id, ok := a.(map[string]any)["Ref"].(string); ok {
				delete(out, id)
			}
		}
	}
	return out
}
