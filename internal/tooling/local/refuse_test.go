package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

// TestTheLocalSystemRefusesWhatCloudFormationRefuses attempts the deploys CloudFormation refuses
// on a running final state: each fails before anything changes, and rides still flow.
func TestTheLocalSystemRefusesWhatCloudFormationRefuses(t *testing.T) {
	sys := final(t)
	obs := observe(t, sys)
	stackAt := func(kind design.StackKind, step design.Step) *cfn.Stack {
		st, err := env.Steps.Stack(kind, step)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for _, tc := range []struct {
		name       string
		kind       design.StackKind
		step       design.Step
		mentioning []string
	}{
		{"ride-record rolled back below the subscriber while wild-rydes publishes", design.RideRecord, design.StepSharedPutPath,
			[]string{"Received response status [FAILED]", "/wild-rydes/test/RideDelivery", `"sns"`}},
		{"wild-rydes rolled back to before the topic while ride-record subscribes", design.WildRydes, design.StepSynchronous,
			[]string{"Received response status [FAILED]", "/wild-rydes-ride-record/test/SubscriberReady"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := stackAt(tc.kind, tc.step)
			name := stack.Name
			before := state(t, sys).Stacks[name]
			err := sys.Deploy(context.Background(), stack)
			if err == nil {
				t.Fatalf("deploying %s at step %d was accepted", name, tc.step)
			}
			for _, m := range tc.mentioning {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("the refusal %q does not mention %s", err, m)
				}
			}
			after := state(t, sys).Stacks[name]
			if b, a := jsonOf(before), jsonOf(after); a != b {
				t.Errorf("the refused deploy changed %s:\nbefore %s\nafter  %s", name, b, a)
			}
			if got, want := after.Outputs[design.StepOutput], fmt.Sprint(int(design.FinalStep.StackStep(tc.kind))); got != want {
				t.Errorf("%s says step %q after the refusal, want %s", name, got, want)
			}
		})
	}

	t.Run("rides still flow", func(t *testing.T) {
		resp := post(t, state(t, sys).ApiUrl+"/ride", rideBody)
		if resp.status != 201 {
			t.Fatalf("POST /ride = %d %s", resp.status, resp.body)
		}
		var got ride.Ride
		if err := json.Unmarshal(resp.body, &got); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "the ride is not in the table", func() bool {
			for _, r := range obs.rides(t) {
				if r.RideID == got.RideID {
					return true
				}
			}
			return false
		})
	})
}

func TestANewSystemRefusesThePublishingStateBeforeItsSubscriber(t *testing.T) {
	t.Parallel() // on a system of its own: beside the other tests that start one
	sys := env.Start(t, localtest.Options{})
	wr, err := env.Steps.Stack(design.WildRydes, design.FinalStep)
	if err != nil {
		t.Fatal(err)
	}
	err = sys.Deploy(context.Background(), wr)
	if err == nil || !strings.Contains(err.Error(), "Unable to fetch parameters [/wild-rydes-ride-record/test/SubscriberReady]") {
		t.Fatalf("deploying the final wild-rydes on a new system: %v, want CloudFormation's refusal naming SubscriberReady", err)
	}
	if _, ok := state(t, sys).Stacks[wr.Name]; ok {
		t.Errorf("the refused deploy created %s", wr.Name)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
