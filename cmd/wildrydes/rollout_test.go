package main

import (
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// The flags of rollout and local-deploy, parsed without running them.
func TestRolloutAndLocalDeployFlags(t *testing.T) {
	o := parseAs[*rolloutOptions](t, "rollout", "--to", "3", "--local", "--dry-run", "--stage", "test")
	if o.To != 3 || !o.Local || !o.DryRun || o.Yes || o.Stage != "test" {
		t.Errorf("rollout --to 3 --local --dry-run --stage test = %+v", o)
	}
	if o := parseAs[*rolloutOptions](t, "rollout"); o.To != int(design.FinalStep) || o.Stage != design.DefaultStage || o.Local {
		t.Errorf("rollout = %+v, want the final step of the default stage, on AWS", o)
	}
	c := parseAs[*rolloutOptions](t, "rollout", "--continue-update-rollback", "wild-rydes-ride-record", "--skip", "RolloutGuard,Other", "--local")
	if c.ContinueRollback != design.RideRecord || strings.Join(c.Skip, " ") != "RolloutGuard Other" || !c.Local {
		t.Errorf("rollout --continue-update-rollback wild-rydes-ride-record --skip RolloutGuard,Other --local = %+v", c)
	}
	d := parseAs[*localDeployOptions](t, "local-deploy", "--stack", "wild-rydes-ride-record", "--step", "2")
	if d.Stack != design.RideRecord || d.Step != 2 || d.Stage != design.DefaultStage {
		t.Errorf("local-deploy --stack wild-rydes-ride-record --step 2 = %+v", d)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rollout", "--to", "9"}, "rollout: step 9"},
		{[]string{"rollout", "--continue-update-rollback", "record"}, "rollout: --continue-update-rollback is wild-rydes or wild-rydes-ride-record"},
		{[]string{"rollout", "--skip", "RolloutGuard"}, "rollout: --skip goes with --continue-update-rollback"},
		{[]string{"local-deploy", "--stack", "record"}, "local-deploy: --stack is wild-rydes or wild-rydes-ride-record"},
		{[]string{"local-deploy", "--stack", "wild-rydes", "--step", "-1"}, "local-deploy: step -1"},
	} {
		if code, stderr := usageError(t, tc.args...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}
