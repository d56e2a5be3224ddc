package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
)

var benchOpts = Options{Rate: 100, Duration: 18 * time.Second, Settle: 30 * time.Second}

// synchronous is step 0 as the published run saw it: some rides refused by the gateway.
func synchronous() StepResult {
	return StepResult{Step: design.StepSynchronous, Startup: 4400 * time.Millisecond, Load: load.Result{
		Sent: 1800, Completed: 1798, RPSSent: 99.96,
		Codes:  map[int]int{201: 1790, 502: 8},
		Errors: map[string]int{"ETIMEDOUT": 2},
		Latency: load.Latencies{Min: 5100 * time.Microsecond, Median: 8 * time.Millisecond,
			P95: 57400 * time.Microsecond, P99: 150 * time.Millisecond, Max: 241400 * time.Microsecond},
		RidesAccepted: 1790, Checked: true, RidesFound: 1790,
	}}
}

func final() StepResult {
	return StepResult{Step: design.FinalStep, Startup: 5 * time.Second, Load: load.Result{
		Sent: 1800, Completed: 1800, RPSSent: 100,
		Codes: map[int]int{201: 1800},
		Latency: load.Latencies{Min: time.Millisecond, Median: 2 * time.Millisecond,
			P95: 5 * time.Millisecond, P99: 12 * time.Millisecond, Max: 30 * time.Millisecond},
		RidesAccepted: 1800, Checked: true, RidesFound: 1800,
	}}
}

func TestRatios(t *testing.T) {
	noLatency := final()
	noLatency.Load.Latency = load.Latencies{}
	tests := []struct {
		name    string
		results []StepResult
		want    *Ratios
	}{
		{"step 0 over the final step divides the medians and the p99s", []StepResult{synchronous(), final()},
			&Ratios{From: 0, To: int(design.FinalStep), P50: 4, P99: 12.5}},
		{"the final step over step 0 is below one", []StepResult{final(), synchronous()},
			&Ratios{From: int(design.FinalStep), To: 0, P50: 0.25, P99: 0.08}},
		{"with three steps the first is compared with the last", []StepResult{synchronous(), noLatency, final()},
			&Ratios{From: 0, To: int(design.FinalStep), P50: 4, P99: 12.5}},
		{"a single step has nothing to compare", []StepResult{final()}, nil},
		{"a step that answered nothing gives no ratio rather than infinity", []StepResult{synchronous(), noLatency}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ratios(tc.results)
			if (got == nil) != (tc.want == nil) {
				t.Fatalf("ratios = %+v, want %+v", got, tc.want)
			}
			if got == nil {
				return
			}
			if got.From != tc.want.From || got.To != tc.want.To ||
				math.Abs(got.P50-tc.want.P50) > 1e-9 || math.Abs(got.P99-tc.want.P99) > 1e-9 {
				t.Errorf("ratios = %+v, want %+v", *got, *tc.want)
			}
		})
	}
}

func TestTimes(t *testing.T) {
	for _, tc := range []struct {
		ratio float64
		want  string
	}{
		{4, "4×"}, {12.5, "12.5×"}, {0.25, "0.25×"}, {0.0012693, "0.00127×"}, {1003.2, "1003×"},
	} {
		if got := times(tc.ratio); got != tc.want {
			t.Errorf("times(%v) = %q, want %q", tc.ratio, got, tc.want)
		}
	}
}

func TestTextReport(t *testing.T) {
	t.Run("the report shows each step's codes, latencies and rides side by side, then the ratios", func(t *testing.T) {
		var out bytes.Buffer
		WriteText(&out, benchOpts, []StepResult{synchronous(), final()})
		report := squeeze(out.String())
		for _, want := range []string{
			"POST /ride, 1800 rides at 100/s (18s), each step on a fresh local system\n",
			"step 0 step 6",
			"synchronous final: SNS",
			"requests sent 1800 1800",
			"arrival rate (/s) 100.0 100.0",
			"status 201 1790 1800",
			"status 502 8 0",
			"no response: ETIMEDOUT 2 0",
			"latency min (ms) 5.1 1.0",
			"latency p50 (ms) 8.0 2.0",
			"latency p95 (ms) 57.4 5.0",
			"latency p99 (ms) 150.0 12.0",
			"latency max (ms) 241.4 30.0",
			"rides accepted (201) 1790 1800",
			"rides persisted 1790 1800",
			"rides missing 0 0",
			"start-up (s) 4.4 5.0",
			"step 0 over step 6: p50 4×, p99 12.5×\n",
			"OK: every accepted ride is in the table, as accepted.\n",
		} {
			if !strings.Contains(report, want) {
				t.Errorf("the report lacks %q:\n%s", want, report)
			}
		}
	})

	t.Run("when the last step is the slower the report also says how many times slower", func(t *testing.T) {
		slow := final()
		slow.Load.Latency.Median, slow.Load.Latency.P99 = 5400*time.Millisecond, 10400*time.Millisecond
		var out bytes.Buffer
		WriteText(&out, benchOpts, []StepResult{synchronous(), slow})
		if want := "step 0 over step 6: p50 0.00148×, p99 0.0144×\n(step 6 is the slower: p50 675×, p99 69.3×)\n"; !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	})

	t.Run("a lost ride and a step that could not run are listed under FAILED", func(t *testing.T) {
		lost := final()
		lost.Load.RidesFound = 1799
		lost.Load.Missing = []string{"6f1c2b8e-6c1e-4c55-9a43-0d6a3b1f2e10"}
		lost.Load.Failures = []string{"1 of 1800 accepted rides are not in the table: 6f1c2b8e-6c1e-4c55-9a43-0d6a3b1f2e10"}
		broken := StepResult{Step: design.StepSynchronous, Err: errors.New("starting the local system: moto_server is not on PATH")}
		var out bytes.Buffer
		WriteText(&out, benchOpts, []StepResult{broken, lost})
		report := squeeze(out.String())
		for _, want := range []string{
			"rides persisted - 1799",
			"rides missing - 1",
			"FAILED:\n step 0: starting the local system: moto_server is not on PATH\n" +
				" step 6: 1 of 1800 accepted rides are not in the table: 6f1c2b8e-6c1e-4c55-9a43-0d6a3b1f2e10\n",
		} {
			if !strings.Contains(report, want) {
				t.Errorf("the report lacks %q:\n%s", want, report)
			}
		}
		if strings.Contains(report, "OK:") || strings.Contains(report, " over ") {
			t.Errorf("a failed run claims OK or a ratio it has no figures for:\n%s", report)
		}
	})
}

func TestJSONReport(t *testing.T) {
	var out bytes.Buffer
	if err := WriteJSON(&out, benchOpts, []StepResult{synchronous(), final()}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rate, DurationSeconds float64
		Steps                 []struct {
			Step, RidesAccepted, RidesPersisted int
			Codes                               map[string]int
			Latency                             struct{ MedianMs, P99Ms float64 }
			Missing                             []string
		}
		Ratios *Ratios
		OK     bool
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("--json wrote something that is not JSON: %v\n%s", err, out.String())
	}
	if got.Rate != 100 || got.DurationSeconds != 18 || !got.OK || len(got.Steps) != 2 {
		t.Fatalf("report = %+v", got)
	}
	s0 := got.Steps[0]
	if s0.Step != 0 || s0.Codes["502"] != 8 || s0.Latency.MedianMs != 8 || s0.Latency.P99Ms != 150 ||
		s0.RidesPersisted != 1790 || s0.Missing == nil {
		t.Errorf("step 0 = %+v", s0)
	}
	if got.Ratios == nil || got.Ratios.P50 != 4 || got.Ratios.P99 != 12.5 {
		t.Errorf("ratios = %+v, want p50 4 and p99 12.5", got.Ratios)
	}
	if strings.Contains(out.String(), `"Rides"`) {
		t.Error("the JSON report carries every ride; it should carry only the figures")
	}
}

// squeeze collapses the table's column padding, so that the tests do not depend on column widths.
func squeeze(s string) string { return regexp.MustCompile(` {2,}`).ReplaceAllString(s, " ") }

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		step design.Step
		want []design.Step
	}{
		{"step 0 deploys whole", design.StepSynchronous, []design.Step{0}},
		{"the final step deploys whole", design.FinalStep, []design.Step{design.FinalStep}},
		{"step 3 is reached through steps 0, 1 and 2, whose stacks write what step 3 reads", design.StepSubscriber, []design.Step{0, 1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := path(tc.step); !slices.Equal(got, tc.want) {
				t.Errorf("path(%d) = %v, want %v", tc.step, got, tc.want)
			}
		})
	}
}
