package stacks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// routeAuthorization is the AuthorizationType of the route with routeKey ("NONE" when unset), as
// the model of the system reads it.
func routeAuthorization(t *testing.T, s *synthesized, routeKey string) string {
	t.Helper()
	return route(t, system(t, s, s), routeKey).Authorization
}

func TestOnlyTheLastStepLocksPOSTRecordWithIAM(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		want := "NONE"
		if step.HasLockedRecordRoute() {
			want = "AWS_IAM"
		}
		if got := routeAuthorization(t, s, "POST /record"); got != want {
			t.Errorf("step %d: POST /record authorization %s, want %s", step, got, want)
		}
		if got := routeAuthorization(t, s, "POST /ride"); got != "NONE" {
			t.Errorf("step %d: POST /ride authorization %s: riders book without signing in", step, got)
		}
	}
	if got := routeAuthorization(t, final(t), "POST /record"); got != "AWS_IAM" {
		t.Errorf("the final state leaves POST /record open (%s): anyone with the URL can insert rides", got)
	}
}

// lockedOut says why RequestRide, at the moment (wr, rr), POSTs its rides to a POST /record that
// refuses it: the model counts an AWS_IAM route as a path only for a caller whose role may
// execute-api:Invoke it.
func lockedOut(t *testing.T, wr, rr *synthesized) error {
	paths, problems := rideWriters(t, wr, rr)
	for _, p := range problems {
		if strings.Contains(p, "AWS_IAM") {
			return fmt.Errorf("%s (paths %v): every ride is refused with 403", p, paths)
		}
	}
	return nil
}

func TestNoMomentLocksRequestRideOutOfPOSTRecord(t *testing.T) {
	for _, m := range documentedOrder() {
		if err := lockedOut(t, synth(t, m.wildRydes), synth(t, m.rideRecord)); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	// Locking the route before RequestRide publishes is a deploy the analysis refuses.
	early := moment{design.StepTopic, design.StepLockRecord}
	err := lockedOut(t, synth(t, early.wildRydes), synth(t, early.rideRecord))
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("%s: the analysis does not see RequestRide locked out of POST /record (%v)", early, err)
	}
	if paths, _ := rideWriters(t, synth(t, early.wildRydes), synth(t, early.rideRecord)); len(paths) != 0 {
		t.Errorf("%s: a locked route still counts as a path: %v", early, paths)
	}
}
