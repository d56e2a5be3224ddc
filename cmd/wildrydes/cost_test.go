package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cost"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

var (
	testStepsOnce sync.Once
	testSteps     *synth.Steps
	testStepsErr  error
)

// stepDir is the cloud assembly of step, synthesized once (cached) for the stage "test", as the
// other packages' tests read it.
func stepDir(t *testing.T, step design.Step) string {
	t.Helper()
	testStepsOnce.Do(func() {
		testSteps, testStepsErr = synth.Synthesize(context.Background(), synth.Options{Stage: "test", Log: io.Discard})
	})
	if testStepsErr != nil {
		t.Fatal(testStepsErr)
	}
	asm, err := testSteps.Assembly(step)
	if err != nil {
		t.Fatal(err)
	}
	return asm.Dir
}

// comparisonJSON is what cost --compare... --json prints.
type comparisonJSON struct {
	Before, After cost.Report
	Comparison    cost.Comparison
}

func TestCostCommand(t *testing.T) {
	step0, final := stepDir(t, design.StepSynchronous), stepDir(t, design.FinalStep)
	missing := filepath.Join(t.TempDir(), "nothing-here")
	examples := func(t *testing.T, out []byte) {
		var got []cost.Example
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("stdout is not the examples as JSON: %v", err)
		}
		want, err := cost.Examples()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || got[0].Name != "lambda" || math.Abs(got[0].Report.TotalUSD-want[0].Report.TotalUSD) > 1e-9 {
			t.Errorf("the JSON has %d examples, the first %q at $%v; want %d, lambda at $%v", len(got), got[0].Name, got[0].Report.TotalUSD, len(want), want[0].Report.TotalUSD)
		}
	}
	report := func(t *testing.T, out []byte) {
		var r cost.Report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("stdout is not a report as JSON: %v", err)
		}
		publishes := false
		for _, l := range r.Lines {
			publishes = publishes || (l.Resource == "RidesSnsTopic" && l.Usage == "publishes" && l.Quantity == 1_000_000)
		}
		if r.Title != final || r.Region != "us-east-1" || !publishes || r.TotalUSD <= 0 {
			t.Errorf("the JSON report is of %q in %s, publishes a million rides %v, totals $%v; want the final step's, in us-east-1, a positive total",
				r.Title, r.Region, publishes, r.TotalUSD)
		}
	}
	comparison := func(t *testing.T, out []byte) {
		var c comparisonJSON
		if err := json.Unmarshal(out, &c); err != nil {
			t.Fatalf("stdout is not a comparison as JSON: %v", err)
		}
		if c.Before.Title != step0 || c.After.Title != final || c.Comparison.SavingUSD <= 0 ||
			math.Abs(c.Comparison.SavingUSD-(c.Before.TotalUSD-c.After.TotalUSD)) > 1e-9 {
			t.Errorf("the JSON compares %q ($%v) with %q ($%v), saving $%v; want step 0 before the final step, and the difference saved",
				c.Before.Title, c.Before.TotalUSD, c.After.Title, c.After.TotalUSD, c.Comparison.SavingUSD)
		}
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
		json   func(t *testing.T, out []byte)
	}{
		{name: "the examples print the seed's answers", args: []string{"--examples"}, code: 0,
			stdout: []string{"39.08", "14.08", "9.08", "4.08", "1.88", "1.53", "1.78", "Assumptions:"}},
		{name: "the examples print as JSON", args: []string{"--examples", "--json"}, code: 0, json: examples},
		{name: "one assembly prints its report", args: []string{"--dir", final}, code: 0,
			stdout: []string{"RequestRide", "PutRideRecordSns", "RidesSnsTopic", "publishes", "on-demand writes", "TOTAL"}},
		{name: "one assembly prints as JSON", args: []string{"--dir", final, "--json"}, code: 0, json: report},
		{name: "compare shows the saving of the final step over step 0",
			args: []string{"--compare-dir", step0, "--dir", final}, code: 0,
			stdout: []string{"before: " + step0, "after:  " + final, "saving: $"}},
		{name: "compare prints as JSON", args: []string{"--compare-dir", step0, "--dir", final, "--json"}, code: 0, json: comparison},
		{name: "--compare prices the refactor's steps, synthesized", args: []string{"--compare", "--stage", "test", "--json"}, code: 0, json: comparison},
		{name: "--step prices a step, synthesized", args: []string{"--step", "6", "--stage", "test", "--json"}, code: 0, json: report},
		{name: "a duration may name a function only one compared step has",
			args: []string{"--compare-dir", step0, "--dir", final, "--duration", "PutRideRecord=40ms", "--duration", "PutRideRecordSns=40ms"}, code: 0,
			stdout: []string{"saving:"}},
		{name: "us-east-2 works", args: []string{"--dir", final, "--region", "us-east-2"}, code: 0, stdout: []string{"us-east-2"}},
		{name: "the free tier is subtracted", args: []string{"--dir", final, "--free-tier"}, code: 0, stdout: []string{"free tier", "with free tier"}},
		{name: "an unknown region is a usage error", args: []string{"--dir", final, "--region", "eu-west-1"}, code: 2,
			stderr: `unknown region "eu-west-1": the price table has us-east-1, us-east-2`},
		{name: "a malformed duration is a usage error", args: []string{"--duration", "RequestRide=fast"}, code: 2, stderr: "neither a duration"},
		{name: "a duration for no function is a usage error", args: []string{"--dir", final, "--duration", "Nope=5ms"}, code: 2,
			stderr: "no function of that name"},
		{name: "an unknown flag is a usage error", args: []string{"--steps", "3"}, code: 2, stderr: "flag provided but not defined"},
		{name: "a step outside the refactor is a usage error", args: []string{"--step", "9"}, code: 2, stderr: "cost: --step needs a step from 0 to 6"},
		{name: "a stray argument is a usage error", args: []string{"cdk.out"}, code: 2, stderr: "unexpected argument"},
		{name: "negative rides are a usage error", args: []string{"--rides", "-1"}, code: 2, stderr: "must not be negative"},
		{name: "a missing assembly says to synthesize", args: []string{"--dir", missing}, code: 1, stderr: "run cdk synth first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := execute(context.Background(), append([]string{"cost"}, tt.args...), streams{Out: &stdout, Err: &stderr})
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if tt.stderr != "" && !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.json != nil {
				tt.json(t, stdout.Bytes())
			}
		})
	}
}

// The flags of cost, parsed without running it.
func TestCostFlags(t *testing.T) {
	o := parseAs[*costOptions](t, "cost", "--compare", "--step", "5", "--duration", "RequestRide=120ms", "--duration", "PutRideRecordSns=0.5s",
		"--rides", "5000000", "--region", "us-east-2", "--free-tier")
	want := map[string]float64{"RequestRide": 120, "PutRideRecordSns": 500}
	if o.Step != 5 || o.CompareStep != 0 || o.Stage != "dev" || o.Profile.RidesPerMonth != 5_000_000 || o.Profile.Region != "us-east-2" ||
		!o.Profile.FreeTier || len(o.Profile.DurationsMS) != 2 || o.Profile.DurationsMS["RequestRide"] != want["RequestRide"] ||
		o.Profile.DurationsMS["PutRideRecordSns"] != want["PutRideRecordSns"] {
		t.Errorf("cost --compare --step 5 ... = step %d compared with %d of %s, profile %+v", o.Step, o.CompareStep, o.Stage, o.Profile)
	}
	d := parseAs[*costOptions](t, "cost")
	if d.Step != -1 || d.CompareStep != -1 || d.Dir != "cdk.out" || d.Profile.DurationsMS != nil || d.Profile.RidesPerMonth != cost.DefaultProfile().RidesPerMonth {
		t.Errorf("cost = %+v, want the default profile priced on cdk.out", d)
	}
	if code, stderr := usageError(t, "cost", "--compare-step", "7"); code != 2 || !strings.Contains(stderr, "--compare-step needs a step from 0 to 6") {
		t.Errorf("cost --compare-step 7: exit %d, stderr %q", code, stderr)
	}
}
