package stacks_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// The pieces behind "a 201 is a promise": a rider's retry is safe (the idempotency table), a ride
// no retry can store waits where it does not hold the dead-letter alarm (the unstorable queue),
// and every function says which stage its metrics belong to.

func TestARetriedRideRequestFindsTheRideBookedBefore(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		sys := system(t, s, s)
		name := fmt.Sprintf("step %d", step)

		table := resources(s.wrJSON, "AWS::DynamoDB::Table")[stacks.IdempotencyTableLogicalID]
		if table == nil {
			t.Fatalf("%s: wild-rydes has no table %s", name, stacks.IdempotencyTableLogicalID)
		}
		p := props(table)
		if got := jsonString(p["KeySchema"]); got != jsonString([]any{map[string]any{"AttributeName": design.IdempotencyKeyAttribute, "KeyType": "HASH"}}) {
			t.Errorf("%s: the idempotency table's key is %s, want %s", name, got, design.IdempotencyKeyAttribute)
		}
		if p["BillingMode"] != "PAY_PER_REQUEST" {
			t.Errorf("%s: the idempotency table is %v, want on-demand (a write per keyed request)", name, p["BillingMode"])
		}
		if got := jsonString(p["TimeToLiveSpecification"]); got != jsonString(map[string]any{"AttributeName": design.IdempotencyExpiryAttribute, "Enabled": true}) {
			t.Errorf("%s: the idempotency table's time to live is %s, want %s enabled: keys would pile up forever", name, got, design.IdempotencyExpiryAttribute)
		}

		requestRide := function(t, sys, "RequestRide")
		tb := sys.Table(requestRide, design.EnvIdempotencyTableName)
		if tb == nil || tb.LogicalID != stacks.IdempotencyTableLogicalID {
			t.Fatalf("%s: RequestRide's %s does not name the idempotency table", name, design.EnvIdempotencyTableName)
		}
		if !requestRide.Allows("dynamodb:PutItem", &tb.Resource) {
			t.Errorf("%s: RequestRide may not PutItem on the idempotency table: every keyed request would fail", name)
		}
		for _, action := range []string{"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:Scan"} {
			if requestRide.Allows(action, &tb.Resource) {
				t.Errorf("%s: RequestRide may %s on the idempotency table; it needs PutItem only (a failed condition returns the old item)", name, action)
			}
		}

		for id, api := range resources(s.wrJSON, "AWS::ApiGatewayV2::Api") {
			cors, _ := props(api)["CorsConfiguration"].(map[string]any)
			headers, _ := cors["AllowHeaders"].([]any)
			if !slices.Contains(headers, any("Idempotency-Key")) {
				t.Errorf("%s: API %s allows the headers %v: a browser's preflight would refuse the rider page's Idempotency-Key", name, id, headers)
			}
		}
	}
}

func TestARideNoRetryCanStoreIsSetAsideWithItsOwnAlarm(t *testing.T) {
	for _, step := range design.Steps() {
		if !step.HasSNSSubscriber() {
			continue
		}
		s := synth(t, step)
		sys := system(t, s, s)
		name := fmt.Sprintf("step %d", step)

		queue := resources(s.rrJSON, "AWS::SQS::Queue")[stacks.UnstorableQueueLogicalID]
		if queue == nil {
			t.Fatalf("%s: ride-record has no queue %s", name, stacks.UnstorableQueueLogicalID)
		}
		if queue["DeletionPolicy"] != "Retain" {
			t.Errorf("%s: the unstorable queue's DeletionPolicy is %v: deleting the stack would lose the rides a person must read", name, queue["DeletionPolicy"])
		}
		p := props(queue)
		if p["SqsManagedSseEnabled"] != true || jsonString(p["MessageRetentionPeriod"]) != "1209600" {
			t.Errorf("%s: the unstorable queue is %s, want SQS-managed encryption and 14 days' retention", name, jsonString(p))
		}

		for _, fn := range []string{"PutRideRecordSns", "RedriveDeadLetters"} {
			f := function(t, sys, fn)
			q := sys.Queue(f, design.EnvUnstorableQueueURL)
			if q == nil || q.LogicalID != stacks.UnstorableQueueLogicalID {
				t.Errorf("%s: %s's %s does not name the unstorable queue: unstorable rides would hold the dead-letter queue's alarm", name, fn, design.EnvUnstorableQueueURL)
				continue
			}
			if !f.Allows("sqs:SendMessage", &q.Resource) {
				t.Errorf("%s: %s may not send to the unstorable queue", name, fn)
			}
			if f.Allows("sqs:ReceiveMessage", &q.Resource) || f.Allows("sqs:DeleteMessage", &q.Resource) {
				t.Errorf("%s: %s may read or delete the unstorable queue; it only sends to it", name, fn)
			}
		}
		if _, ok := s.rrJSON["Outputs"].(map[string]any)["UnstorableQueueUrl"]; !ok {
			t.Errorf("%s: no UnstorableQueueUrl output: an operator cannot find the rides set aside", name)
		}
	}
}

func TestEveryRideFunctionSaysItsStage(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		sys := system(t, s, s)
		for _, f := range sys.Functions() {
			if f.Entry == "lambdas/rollout-guard" {
				continue // it publishes no ride metric
			}
			if got := f.Environment[design.EnvStage]; got != stage {
				t.Errorf("step %d: %s has %s=%v, want %q: its metrics would land under another stage's dashboard", step, f.LogicalID, design.EnvStage, got, stage)
			}
		}
	}
}

// function finds a function of the system by logical ID.
func function(t *testing.T, sys *model.System, logicalID string) *model.Function {
	t.Helper()
	for _, f := range sys.Functions() {
		if f.LogicalID == logicalID {
			return f
		}
	}
	t.Fatalf("no function %s", logicalID)
	return nil
}
