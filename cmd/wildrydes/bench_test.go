package main

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

func TestBenchFlags(t *testing.T) {
	tests := []struct {
		name, mentions string
		args           []string
	}{
		{"a step outside the refactor", "step 7 does not exist", []string{"--steps", "0,7"}},
		{"a step that is not a number", `"final" is not a step number`, []string{"--steps", "final"}},
		{"a rate of zero", "--rate must be a positive", []string{"--rate", "0"}},
		{"a negative duration", "--duration must be positive", []string{"--duration", "-1s"}},
		{"a load that sends no ride", "sends no ride", []string{"--rate", "1", "--duration", "100ms"}},
		{"a load over the bench's bound", "more than the 18000", []string{"--rate", "1000", "--duration", "1m"}},
		{"a settle of zero", "--settle must be positive", []string{"--settle", "0s"}},
		{"negative concurrency", "--concurrency must not be negative", []string{"--concurrency", "-1"}},
		{"an unknown flag", "flag provided but not defined: -url", []string{"--url", "http://127.0.0.1:3000"}},
		{"an unknown profile", `--profile "artillery": the one profile is workshop`, []string{"--profile", "artillery"}},
		{"the workshop with --console", "does not go with --console", []string{"--profile", "workshop", "--console"}},
		{"a time scale below 1", "--time-scale must be 1", []string{"--time-scale", "0.5"}},
		{"a stray argument", `unexpected argument "5"`, []string{"5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" exits 2 before anything starts", func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := execute(context.Background(), append([]string{"bench"}, tc.args...), streams{Out: &stdout, Err: &stderr}); code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.mentions) {
				t.Errorf("stderr does not say %q:\n%s", tc.mentions, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}

	t.Run("-h prints the flags and exits 0", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := execute(context.Background(), []string{"bench", "-h"}, streams{Out: &stdout, Err: &stderr}); code != exitOK {
			t.Fatalf("exit %d, want 0", code)
		}
		if !strings.Contains(stderr.String(), "-steps") {
			t.Errorf("usage lacks --steps:\n%s", stderr.String())
		}
	})

	t.Run("the defaults are the original high-load run's 1,800 rides against step 0 and the final step", func(t *testing.T) {
		o := parseAs[*benchOptions](t, "bench")
		if n := math.Round(o.Rate * o.Duration.Seconds()); n != 1800 || o.Rate != 100 {
			t.Errorf("default load = %v rides at %g/s, want 1800 at 100/s", n, o.Rate)
		}
		if len(o.Steps) != 2 || o.Steps[0] != design.StepSynchronous || o.Steps[1] != design.FinalStep {
			t.Errorf("default steps = %v, want [0 %d]", o.Steps, design.FinalStep)
		}
	})

	t.Run("the workshop profile is its high load, 10 rides/s for 180 s, against every step in order", func(t *testing.T) {
		o := parseAs[*benchOptions](t, "bench", "--profile", "workshop")
		if o.Rate != 10 || o.Duration != 180*time.Second || !slices.Equal(o.Steps, design.Steps()) || o.NoLimits {
			t.Errorf("--profile workshop = %g/s for %s against %v (no limits: %v)", o.Rate, o.Duration, o.Steps, o.NoLimits)
		}
		o = parseAs[*benchOptions](t, "bench", "--profile", "workshop", "--rate", "5", "--steps", "0,5", "--time-scale", "60")
		if o.Rate != 5 || o.Duration != 180*time.Second || len(o.Steps) != 2 || o.TimeScale != 60 {
			t.Errorf("--profile workshop with --rate 5 --steps 0,5 = %g/s against %v at %gx: a flag given wins over the profile", o.Rate, o.Steps, o.TimeScale)
		}
	})
}
