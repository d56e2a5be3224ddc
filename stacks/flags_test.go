package stacks_test

import (
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// statefulResources are the resources that hold rides (or a rider's booking): each must keep its logical ID and every
// property whose change makes CloudFormation replace it (and so lose what it holds).
var statefulResources = map[string]struct {
	stack    func(*synthesized) map[string]any
	typ      string
	from     design.Step
	replaces []string // properties whose change replaces the resource
}{
	stacks.TableLogicalID:           {func(s *synthesized) map[string]any { return s.rrJSON }, "AWS::DynamoDB::Table", design.StepSynchronous, []string{"TableName", "KeySchema", "AttributeDefinitions"}},
	stacks.TopicLogicalID:           {func(s *synthesized) map[string]any { return s.wrJSON }, "AWS::SNS::Topic", design.StepTopic, []string{"TopicName", "FifoTopic"}},
	stacks.DeadLetterQueueLogicalID: {func(s *synthesized) map[string]any { return s.rrJSON }, "AWS::SQS::Queue", design.StepSubscriber, []string{"QueueName", "FifoQueue"}},
	stacks.UnstorableQueueLogicalID: {func(s *synthesized) map[string]any { return s.rrJSON }, "AWS::SQS::Queue", design.StepSubscriber, []string{"QueueName", "FifoQueue"}},
	// The rides booked under each Idempotency-Key: replaced, a rider's retry would book again.
	stacks.IdempotencyTableLogicalID: {func(s *synthesized) map[string]any { return s.wrJSON }, "AWS::DynamoDB::Table", design.StepSynchronous, []string{"TableName", "KeySchema", "AttributeDefinitions"}},
}

// The feature flags cdk.json sets (those `cdk flags` recommends for a new app) must not touch a
// deployed table, topic or queue: the final state with them and with none of them set (the
// library's defaults, which an existing deployment was made with) keeps every stateful
// resource's logical ID, replacement-forcing properties and retention.
func TestFeatureFlagsLeaveStatefulResourcesAlone(t *testing.T) {
	// GIVEN the final state with cdk.json's context, and with its feature flags removed
	withFlags := inProcess()
	context := map[string]any{}
	flags := 0
	for k, v := range cdkJSONContext() {
		if strings.HasPrefix(k, "@aws-cdk") {
			flags++
			continue
		}
		context[k] = v
	}
	if flags < 70 {
		t.Fatalf("cdk.json sets %d feature flags; `cdk flags --unstable=flags` recommends over 70", flags)
	}
	withoutFlags := synthesizeInProcess(context, stacks.AppConfig{Stage: stage, Step: design.FinalStep})

	for id, want := range statefulResources {
		t.Run(id, func(t *testing.T) {
			// WHEN both are read
			before, ok := resources(want.stack(withoutFlags), want.typ)[id]
			if !ok {
				t.Fatalf("no %s %s without the flags", want.typ, id)
			}
			after, ok := resources(want.stack(withFlags), want.typ)[id]
			// THEN the flags change nothing that would replace or delete it
			if !ok {
				t.Fatalf("the flags remove or rename %s %s: CloudFormation would delete it", want.typ, id)
			}
			for _, p := range want.replaces {
				if jsonString(props(after)[p]) != jsonString(props(before)[p]) {
					t.Errorf("the flags change %s.%s from %s to %s: CloudFormation would replace it", id, p, jsonString(props(before)[p]), jsonString(props(after)[p]))
				}
			}
			for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
				if jsonString(after[policy]) != jsonString(before[policy]) {
					t.Errorf("the flags change %s's %s from %s to %s", id, policy, jsonString(before[policy]), jsonString(after[policy]))
				}
			}
		})
	}
}
