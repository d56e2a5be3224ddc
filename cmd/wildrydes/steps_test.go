package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// TestTheMatrixShowsNoAcceptedDeployThatLosesRides runs `wildrydes steps --matrix` on the real
// cloud assemblies (the same cached ones the diff test synthesizes).
func TestTheMatrixShowsNoAcceptedDeployThatLosesRides(t *testing.T) {
	root, err := synth.Root()
	if err == nil {
		if _, statErr := os.Stat(synth.CDK(root)); statErr != nil {
			t.Fatal("the CDK CLI is not installed: run `make setup`")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := execute(context.Background(), []string{"steps", "--matrix", "--stage", "test"}, streams{Out: &out, Err: &errs}); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errs.String())
	}
	for _, want := range []string{
		"accepted into a LOST pair: 0 deploys",
		"refused by guard /wild-rydes/test/RideDelivery",
		"refused by parameter /wild-rydes-ride-record/test/SubscriberReady",
		"cdk deploy -c stage=test -c step=6 wild-rydes-test",
		"cdk deploy -c stage=test -c step=6 wild-rydes-ride-record-test",
		"refused by guard /wild-rydes-ride-record/test/RecordAuthorization",
		"3136 pairs of deploys, 3136 serialized by the guards",
		"ending in a LOST pair: 0 pairs of deploys",
		"from wild-rydes step 3, ride-record step 3, wild-rydes to step 4 and ride-record to step 2 at once: [wild-rydes step 4, ride-record step 2]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the matrix does not say %q:\n%s", want, out.String())
		}
	}
}

// A step alone is the range from it to it.
func TestStepsStepIsFromAndTo(t *testing.T) {
	o := parseAs[*stepsOptions](t, "steps", "--step", "3", "--stage", "prod")
	if o.From != 3 || o.To != 3 || o.Stage != "prod" || o.Matrix {
		t.Errorf("steps --step 3 --stage prod = %+v, want steps 3..3 of prod", o)
	}
	if o := parseAs[*stepsOptions](t, "steps"); o.From != 1 || o.To != 6 || o.Stage != "dev" {
		t.Errorf("steps = %+v, want steps 1..6 of dev", o)
	}
}
