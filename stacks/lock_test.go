package stacks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// routeAuthorization is the AuthorizationType of the route with routeKey ("NONE" when unset).
func routeAuthorization(t *testing.T, tpl map[string]any, routeKey string) string {
	t.Helper()
	for _, r := range resources(tpl, "AWS::ApiGatewayV2::Route") {
		if p := props(r); p["RouteKey"] == routeKey {
			if a, ok := p["AuthorizationType"].(string); ok {
				return a
			}
			return "NONE"
		}
	}
	t.Fatalf("no route %s", routeKey)
	return ""
}

func TestOnlyTheLastStepLocksPOSTRecordWithIAM(t *testing.T) {
	for _, step := range stacks.Steps() {
		s := synth(t, step)
		want := "NONE"
		if step.HasLockedRecordRoute() {
			want = "AWS_IAM"
		}
		if got := routeAuthorization(t, s.rrJSON, "POST /record"); got != want {
			t.Errorf("step %d: POST /record authorization %s, want %s", step, got, want)
		}
		if got := routeAuthorization(t, s.wrJSON, "POST /ride"); got != "NONE" {
			t.Errorf("step %d: POST /ride authorization %s: riders book without signing in", step, got)
		}
	}
	if got := routeAuthorization(t, final(t).rrJSON, "POST /record"); got != "AWS_IAM" {
		t.Errorf("the final state leaves POST /record open (%s): anyone with the URL can insert rides", got)
	}
}

// lockedOut says why RequestRide, at the moment (wr, rr), POSTs its rides to a POST /record that
// refuses it: the route requires IAM and RequestRide's role may not execute-api:Invoke it.
func lockedOut(t *testing.T, wr, rr map[string]any) error {
	if _, posts := env(t, wr, "RequestRide")["RIDE_RECORD_URL"]; !posts {
		return nil
	}
	if routeAuthorization(t, rr, "POST /record") != "AWS_IAM" {
		return nil
	}
	for _, st := range policyStatements(wr) {
		for _, a := range st.actions {
			if a == "execute-api:Invoke" {
				return nil
			}
		}
	}
	return fmt.Errorf("RequestRide POSTs each ride to POST /record, which requires AWS_IAM, and its role may not execute-api:Invoke: every ride is refused with 403")
}

func TestNoMomentLocksRequestRideOutOfPOSTRecord(t *testing.T) {
	for _, m := range documentedOrder() {
		if err := lockedOut(t, synth(t, m.wildRydes).wrJSON, synth(t, m.rideRecord).rrJSON); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	// Locking the route before RequestRide publishes is a deploy the analysis refuses.
	early := moment{stacks.StepTopic, stacks.StepLockRecord}
	err := lockedOut(t, synth(t, early.wildRydes).wrJSON, synth(t, early.rideRecord).rrJSON)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("%s: the analysis does not see RequestRide locked out of POST /record (%v)", early, err)
	}
}
