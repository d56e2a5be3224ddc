package stepdiff

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

func TestDangersFindsReplacedAndRemovedStatefulResources(t *testing.T) {
	for _, tc := range []struct {
		name, diff string
		dangers    int
	}{
		{"an in-place billing change is safe", "[~] AWS::DynamoDB::Table RideRecordTable RideRecordTable\n └─ [+] BillingMode", 0},
		{"a replaced table is a danger", "[~] AWS::DynamoDB::Table RideRecordTable RideRecordTable replace\n └─ [~] KeySchema (requires replacement)", 1},
		{"a removed queue is a danger", "[-] AWS::SQS::Queue PutRideRecordSnsDLQ destroy", 1},
		{"a removed function is not stateful", "[-] AWS::Lambda::Function PutRideRecord PutRideRecord destroy", 0},
		{"an added topic is safe", "[+] AWS::SNS::Topic RidesSnsTopic RidesSnsTopic", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Dangers(tc.diff); len(got) != tc.dangers {
				t.Errorf("Dangers(%q) = %v, want %d", tc.diff, got, tc.dangers)
			}
		})
	}
}

// TestEveryStepDiffsOnlyItsStackAndKeepsState runs the real offline `cdk diff --template` of
// every step, as `wildrydes steps --fail` does in CI.
func TestEveryStepDiffsOnlyItsStackAndKeepsState(t *testing.T) {
	root, err := synth.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(synth.CDK(root)); err != nil {
		t.Fatal("the CDK CLI is not installed: run `make setup`")
	}
	diffs, err := Run(context.Background(), Options{Stage: "test", From: 1, To: design.FinalStep})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 2*int(design.FinalStep) {
		t.Fatalf("%d diffs, want one per stack and step", len(diffs))
	}
	for _, d := range diffs {
		for _, p := range d.Problems() {
			t.Error(p)
		}
		if d.Expected && !d.Changed {
			t.Errorf("step %d is meant to change %s, but its diff is empty", d.Step, d.Stack)
		}
		if d.Expected && !strings.Contains(d.Output, "Resources") {
			t.Errorf("step %d, %s: the diff lists no resources:\n%s", d.Step, d.Stack, d.Output)
		}
	}
}
