package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
)

// workshopLabel says in a few words what a step runs.
func workshopLabel(s design.Step) string {
	switch s {
	case design.StepSynchronous:
		return "synchronous"
	case design.StepSharedPutPath:
		return "sync, shared put"
	case design.StepTopic:
		return "sync, topic"
	case design.StepSubscriber:
		return "sync, subscriber"
	case design.StepPublish:
		return "SNS, provisioned"
	case design.StepOnDemand:
		return "SNS, on-demand"
	case design.StepLockRecord:
		return "final"
	}
	return stepDesign(s)
}

// workshopRows are the report's table: a heading row, a label row, then one row per figure with a
// cell per step.
func workshopRows(steps []WorkshopStep) [][]string {
	var rows [][]string
	row := func(label string, cell func(WorkshopStep) string) {
		r := []string{label}
		for _, s := range steps {
			if s.Err != nil && label != "" {
				r = append(r, "-")
				continue
			}
			r = append(r, cell(s))
		}
		rows = append(rows, r)
	}
	row("", func(s WorkshopStep) string { return fmt.Sprintf("step %d", s.Step) })
	rows = append(rows, append([]string{""}, mapSteps(steps, func(s WorkshopStep) string { return workshopLabel(s.Step) })...))
	row("requests sent", func(s WorkshopStep) string { return strconv.Itoa(s.Load.Sent) })
	for _, code := range sortedCodes(steps) {
		row(fmt.Sprintf("answered %d", code), func(s WorkshopStep) string { return strconv.Itoa(s.Load.Codes[code]) })
	}
	for _, label := range unionErrors(steps) {
		row("no answer: "+label, func(s WorkshopStep) string { return strconv.Itoa(s.Load.Errors[label]) })
	}
	for _, l := range []struct {
		name string
		get  func(load.Latencies) time.Duration
	}{
		{"p50", func(l load.Latencies) time.Duration { return l.Median }},
		{"p95", func(l load.Latencies) time.Duration { return l.P95 }},
		{"p99", func(l load.Latencies) time.Duration { return l.P99 }},
	} {
		row("latency "+l.name+" (ms)", func(s WorkshopStep) string { return ms(l.get(s.Load.Latency)) })
	}
	row("rides stored at once", func(s WorkshopStep) string { return strconv.Itoa(s.StoredAtOnce) })
	row("rides stored after retries", func(s WorkshopStep) string { return strconv.Itoa(s.StoredAfterRetries) })
	row("rides dead-lettered", func(s WorkshopStep) string { return strconv.Itoa(s.DeadLettered) })
	row("rides lost", func(s WorkshopStep) string { return strconv.Itoa(s.Lost) })
	row("throttled writes", func(s WorkshopStep) string { return strconv.FormatInt(s.ThrottledWrites, 10) })
	row("throttled invocations", func(s WorkshopStep) string { return strconv.Itoa(s.ThrottledInvocations) })
	row("this load on AWS (USD)", func(s WorkshopStep) string {
		if s.CostErr != nil {
			return "?"
		}
		return strconv.FormatFloat(s.CostUSD, 'f', 4, 64)
	})
	return rows
}

func mapSteps(steps []WorkshopStep, f func(WorkshopStep) string) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = f(s)
	}
	return out
}

func unionErrors(steps []WorkshopStep) []string {
	var results []StepResult
	for _, s := range steps {
		results = append(results, StepResult{Load: s.Load})
	}
	return unionKeys(results, func(r load.Result) map[string]int { return r.Errors })
}

// workshopTitle says what was run.
func workshopTitle(o Options) string {
	limits := "with AWS's limits"
	if o.NoLimits {
		limits = "without AWS's limits (--no-limits)"
	}
	scale := ""
	if o.TimeScale > 1 {
		scale = fmt.Sprintf(", AWS timings %g times faster", o.TimeScale)
	}
	return fmt.Sprintf("The workshop's high load: POST /ride, %d rides at %g/s (%s), each step on a fresh local system %s%s",
		rides(o.Rate, o.Duration), o.Rate, o.Duration, limits, scale)
}

// WriteWorkshopText prints the table, and what failed.
func WriteWorkshopText(w io.Writer, o Options, steps []WorkshopStep) {
	fmt.Fprintf(w, "%s\n\n", workshopTitle(o))
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, r := range workshopRows(steps) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	var failures []string
	for _, s := range steps {
		if s.Err != nil {
			failures = append(failures, fmt.Sprintf("step %d: %v", s.Step, s.Err))
		}
		if s.Lost > 0 {
			failures = append(failures, fmt.Sprintf("step %d: %d accepted rides are in neither the table nor the dead-letter queue", s.Step, s.Lost))
		}
		if s.CostErr != nil {
			fmt.Fprintf(w, "\nstep %d: no cost: %v\n", s.Step, s.CostErr)
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(w, "\nFAILED:\n  %s\n", strings.Join(failures, "\n  "))
		return
	}
	fmt.Fprintf(w, "\nOK: every accepted ride is in the table or the dead-letter queue.\n")
}

// WorkshopOK reports whether every step ran and lost no accepted ride.
func WorkshopOK(steps []WorkshopStep) bool {
	for _, s := range steps {
		if s.Err != nil || s.Lost > 0 {
			return false
		}
	}
	return len(steps) > 0
}

// workshopReport is the JSON report, and the data of the HTML page.
type workshopReport struct {
	Title           string
	Rate            float64
	DurationSeconds float64
	TimeScale       float64
	Limits          bool
	Steps           []workshopJSONStep
	OK              bool
}

type workshopJSONStep struct {
	Step                                                 int
	Design                                               string
	StartupSeconds, DrainSeconds                         float64
	Sent, RidesAccepted                                  int
	Codes                                                map[int]int
	Errors                                               map[string]int
	Latency                                              load.Latencies
	StoredAtOnce, StoredAfterRetries, DeadLettered, Lost int
	ThrottledWrites                                      int64
	ThrottledInvocations                                 int
	CostUSD                                              *float64 `json:",omitempty"`
	Timeline                                             []Second
	Error                                                string `json:",omitempty"`
}

func newWorkshopReport(o Options, steps []WorkshopStep) workshopReport {
	rep := workshopReport{Title: workshopTitle(o), Rate: o.Rate, DurationSeconds: o.Duration.Seconds(),
		TimeScale: max(o.TimeScale, 1), Limits: !o.NoLimits, Steps: []workshopJSONStep{}, OK: WorkshopOK(steps)}
	for _, s := range steps {
		j := workshopJSONStep{Step: int(s.Step), Design: workshopLabel(s.Step), StartupSeconds: s.Startup.Seconds(),
			DrainSeconds: s.Drain.Seconds(), Sent: s.Load.Sent, RidesAccepted: s.Load.RidesAccepted, Codes: s.Load.Codes,
			Errors: s.Load.Errors, Latency: s.Load.Latency, StoredAtOnce: s.StoredAtOnce, StoredAfterRetries: s.StoredAfterRetries,
			DeadLettered: s.DeadLettered, Lost: s.Lost, ThrottledWrites: s.ThrottledWrites,
			ThrottledInvocations: s.ThrottledInvocations, Timeline: s.Timeline}
		if s.CostErr == nil {
			j.CostUSD = &s.CostUSD
		}
		if s.Err != nil {
			j.Error = s.Err.Error()
		}
		rep.Steps = append(rep.Steps, j)
	}
	return rep
}

// WriteWorkshopJSON writes the report as JSON: the table's figures and each step's timeline.
func WriteWorkshopJSON(w io.Writer, o Options, steps []WorkshopStep) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(newWorkshopReport(o, steps))
}
