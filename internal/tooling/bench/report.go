package bench

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
)

// Ratios compare the latency of the first step run with the last one's: 4 means the first step's
// riders waited four times as long.
type Ratios struct {
	From, To int // the steps compared
	P50, P99 float64
}

// ratios is nil with fewer than two steps, or when the last step has no latency to divide by.
func ratios(results []StepResult) *Ratios {
	if len(results) < 2 {
		return nil
	}
	first, last := results[0], results[len(results)-1]
	a, b := first.Load.Latency, last.Load.Latency
	if b.Median <= 0 || b.P99 <= 0 || a.Median <= 0 || a.P99 <= 0 {
		return nil
	}
	return &Ratios{
		From: int(first.Step), To: int(last.Step),
		P50: float64(a.Median) / float64(b.Median),
		P99: float64(a.P99) / float64(b.P99),
	}
}

// WriteText prints the steps side by side, the ratios, and why the run failed if it did.
func WriteText(w io.Writer, o Options, results []StepResult) {
	where := "each step on a fresh local system"
	if len(results) > 0 && results[0].Label != "" {
		where = "each run on the same local system"
	}
	fmt.Fprintf(w, "POST /ride, %d rides at %g/s (%s), %s\n\n", rides(o.Rate, o.Duration), o.Rate, o.Duration, where)
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	row := func(label string, cell func(r StepResult) string) {
		cells := []string{label}
		for _, r := range results {
			cells = append(cells, cell(r))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	row("", func(r StepResult) string { return fmt.Sprintf("step %d", r.Step) })
	row("", func(r StepResult) string { return cmp.Or(r.Label, stepDesign(r.Step)) })
	row("requests sent", func(r StepResult) string { return strconv.Itoa(r.Load.Sent) })
	row("arrival rate (/s)", func(r StepResult) string { return strconv.FormatFloat(r.Load.RPSSent, 'f', 1, 64) })
	for _, code := range unionKeys(results, func(r load.Result) map[int]int { return r.Codes }) {
		row(fmt.Sprintf("status %d", code), func(r StepResult) string { return strconv.Itoa(r.Load.Codes[code]) })
	}
	for _, label := range unionKeys(results, func(r load.Result) map[string]int { return r.Errors }) {
		row("no response: "+label, func(r StepResult) string { return strconv.Itoa(r.Load.Errors[label]) })
	}
	latency := []struct {
		name string
		get  func(load.Latencies) time.Duration
	}{
		{"min", func(l load.Latencies) time.Duration { return l.Min }},
		{"p50", func(l load.Latencies) time.Duration { return l.Median }},
		{"p95", func(l load.Latencies) time.Duration { return l.P95 }},
		{"p99", func(l load.Latencies) time.Duration { return l.P99 }},
		{"max", func(l load.Latencies) time.Duration { return l.Max }},
	}
	for _, l := range latency {
		row("latency "+l.name+" (ms)", func(r StepResult) string { return ms(l.get(r.Load.Latency)) })
	}
	row("rides accepted (201)", func(r StepResult) string { return strconv.Itoa(r.Load.RidesAccepted) })
	row("rides persisted", func(r StepResult) string { return checked(r, r.Load.RidesFound) })
	row("rides missing", func(r StepResult) string { return checked(r, len(r.Load.Missing)) })
	row("start-up (s)", func(r StepResult) string { return strconv.FormatFloat(r.Startup.Seconds(), 'f', 1, 64) })
	tw.Flush()

	if q := ratios(results); q != nil && len(results) > 0 && results[0].Label == "" {
		fmt.Fprintf(w, "\nstep %d over step %d: p50 %s, p99 %s\n", q.From, q.To, times(q.P50), times(q.P99))
		if q.P50 < 1 && q.P99 < 1 {
			fmt.Fprintf(w, "(step %d is the slower: p50 %s, p99 %s)\n", q.To, times(1/q.P50), times(1/q.P99))
		}
	}
	var failures []string
	for _, r := range results {
		if r.Err != nil {
			failures = append(failures, fmt.Sprintf("step %d: %v", r.Step, r.Err))
		}
		for _, f := range r.Load.Failures {
			failures = append(failures, fmt.Sprintf("step %d: %s", r.Step, f))
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(w, "\nFAILED:\n  %s\n", strings.Join(failures, "\n  "))
		return
	}
	fmt.Fprintf(w, "\nOK: every accepted ride is in the table, as accepted.\n")
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }

// times writes a ratio with three significant digits ("4.2×", "0.00127×"), so that a ratio far
// below one still says how far.
func times(x float64) string {
	if x >= 100 {
		return strconv.FormatFloat(x, 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(x, 'g', 3, 64) + "×"
}

// checked is n, or "-" when the table was not read (the run stopped before the check).
func checked(r StepResult, n int) string {
	if !r.Load.Checked {
		return "-"
	}
	return strconv.Itoa(n)
}

func unionKeys[K int | string](results []StepResult, m func(load.Result) map[K]int) []K {
	set := map[K]bool{}
	for _, r := range results {
		for k := range m(r.Load) {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// jsonReport is --json: the figures of the text report, without the 1,800 rides themselves.
type jsonReport struct {
	Rate            float64
	DurationSeconds float64
	SettleSeconds   float64
	Steps           []jsonStep
	// Ratios is null with fewer than two steps.
	Ratios *Ratios
	OK     bool
}

type jsonStep struct {
	Step           int
	Design         string
	StartupSeconds float64
	Sent           int
	Completed      int
	RPSSent        float64
	Codes          map[int]int
	Errors         map[string]int
	Latency        load.Latencies
	RidesAccepted  int
	Checked        bool
	RidesPersisted int
	Missing        []string
	Failures       []string
	Error          string `json:",omitempty"`
}

// WriteJSON writes the steps' figures, the ratios and whether every step passed.
func WriteJSON(w io.Writer, o Options, results []StepResult) error {
	rep := jsonReport{Rate: o.Rate, DurationSeconds: o.Duration.Seconds(), SettleSeconds: o.Settle.Seconds(),
		Steps: []jsonStep{}, Ratios: ratios(results), OK: AllOK(results)}
	for _, r := range results {
		s := jsonStep{
			Step: int(r.Step), Design: stepDesign(r.Step), StartupSeconds: r.Startup.Seconds(),
			Sent: r.Load.Sent, Completed: r.Load.Completed, RPSSent: r.Load.RPSSent,
			Codes: r.Load.Codes, Errors: r.Load.Errors, Latency: r.Load.Latency,
			RidesAccepted: r.Load.RidesAccepted, Checked: r.Load.Checked, RidesPersisted: r.Load.RidesFound,
			Missing: orEmpty(r.Load.Missing), Failures: orEmpty(r.Load.Failures),
		}
		if r.Err != nil {
			s.Error = r.Err.Error()
		}
		rep.Steps = append(rep.Steps, s)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AllOK reports whether there were results and every step ran and lost no ride.
func AllOK(results []StepResult) bool {
	for _, r := range results {
		if !r.OK() {
			return false
		}
	}
	return len(results) > 0
}
