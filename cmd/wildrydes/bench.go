package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/bench"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// maxBenchRides bounds one step's load: ten times the original high-load run.
const maxBenchRides = 18000

// benchOptions are what `wildrydes bench` reads: the load, the steps to load on fresh local
// systems, and what to print.
type benchOptions struct {
	streams
	bench.Options
	steps   string
	JSON    bool
	Verbose bool
	// Console loads the final step without the web console, with it, and without it again;
	// Sizes prints each Lambda asset's zipped size instead of loading.
	Console, Sizes bool
	// Profile "workshop" replays the workshop's high load against every step, and ReportDir is
	// the folder its JSON and HTML reports go to.
	Profile, ReportDir string
	fs                 *flag.FlagSet // to tell the flags given from the defaults
}

func newBenchOptions(s streams) (options, *flag.FlagSet) {
	o := &benchOptions{streams: s}
	fs := flag.NewFlagSet("wildrydes bench", flag.ContinueOnError)
	o.fs = fs
	fs.Usage = func() {
		fmt.Fprintf(s.Err, `usage: wildrydes bench [flags]

Sends the same load, POST /ride at a constant arrival rate, to refactor step 0 (RequestRide POSTs
each ride to the record API and waits) and to the final step (RequestRide publishes to SNS), each
on a fresh local system, checks that every accepted ride reached the table, and compares the
latencies the riders saw. Runs one step at a time; about a minute with the defaults.

Exit status: 0 no ride lost, 1 a ride lost or a step that could not run, 2 bad flags.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.Float64Var(&o.Rate, "rate", bench.DefaultRate, "`arrivals` per second")
	fs.DurationVar(&o.Duration, "duration", bench.DefaultDuration, "how long arrivals go on, per step (rate × duration rides)")
	fs.DurationVar(&o.Settle, "settle", bench.DefaultSettle, "how long to wait for accepted rides to reach the table")
	fs.StringVar(&o.steps, "steps", fmt.Sprintf("%d,%d", design.StepSynchronous, design.FinalStep), "refactor `steps` to load, in order; the ratios compare the first with the last")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "warm processes per function at most (default: the local system's, 8)")
	fs.BoolVar(&o.JSON, "json", false, "write the report as JSON")
	fs.BoolVar(&o.Verbose, "verbose", false, "write the local systems' logs to stderr (default: a temporary file, kept when a step fails)")
	fs.BoolVar(&o.Console, "console", false, "instead of comparing steps, load the final step without the web console, with it and a connected page, and without it again, on one local system")
	fs.BoolVar(&o.Sizes, "sizes", false, "instead of loading, print each Lambda asset's zipped size (final step)")
	fs.StringVar(&o.Profile, "profile", "", "workshop: the workshop's high load (10 rides/s for 180 s) against every step in the refactor's order, with AWS's limits; a table per step, and JSON and HTML reports in --out")
	fs.StringVar(&o.ReportDir, "out", "", "folder for --profile workshop's workshop.json and workshop.html (default cdk.out/bench)")
	fs.BoolVar(&o.NoLimits, "no-limits", false, "run each local system without AWS's limits (tables take any load, Lambda any number of invocations)")
	fs.Float64Var(&o.TimeScale, "time-scale", 1, "run AWS's timings that take minutes (Lambda's retry delays) this many times faster")
	return o, fs
}

func (o *benchOptions) complete(args []string) error {
	if err := noArguments(args, " (flags only; see -h)"); err != nil {
		return err
	}
	if err := o.applyProfile(); err != nil {
		return err
	}
	var err error
	if o.Steps, err = parseSteps(o.steps); err != nil {
		return fmt.Errorf("--steps: %w", err)
	}
	n := o.Rate * o.Duration.Seconds()
	switch {
	case !(o.Rate > 0) || math.IsInf(o.Rate, 0):
		return fmt.Errorf("--rate must be a positive number of arrivals per second, not %v", o.Rate)
	case o.Duration <= 0:
		return fmt.Errorf("--duration must be positive, not %v", o.Duration)
	case math.Round(n) < 1:
		return fmt.Errorf("%g arrivals/s for %v sends no ride", o.Rate, o.Duration)
	case n > maxBenchRides:
		return fmt.Errorf("%g arrivals/s for %v is %.0f rides per step, more than the %d a bench may send", o.Rate, o.Duration, n, maxBenchRides)
	case o.Settle <= 0:
		return fmt.Errorf("--settle must be positive, not %v", o.Settle)
	case o.Concurrency < 0:
		return fmt.Errorf("--concurrency must not be negative, not %d", o.Concurrency)
	case !(o.TimeScale >= 1) || math.IsInf(o.TimeScale, 0):
		return fmt.Errorf("--time-scale must be 1 (AWS's timings at their real length) or more, not %v", o.TimeScale)
	}
	return nil
}

// applyProfile sets what a profile changes, where a flag does not say otherwise.
func (o *benchOptions) applyProfile() error {
	switch o.Profile {
	case "":
		return nil
	case "workshop":
	default:
		return fmt.Errorf("--profile %q: the one profile is workshop", o.Profile)
	}
	if o.Console || o.Sizes {
		return errors.New("--profile workshop loads every step: it does not go with --console or --sizes")
	}
	set := map[string]bool{}
	o.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["rate"] {
		o.Rate = bench.WorkshopRate
	}
	if !set["duration"] {
		o.Duration = bench.WorkshopDuration
	}
	if !set["steps"] {
		o.steps = joinSteps(design.Steps())
	}
	return nil
}

func joinSteps(steps []design.Step) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, strconv.Itoa(int(s)))
	}
	return strings.Join(parts, ",")
}

// run returns 0 when no step lost a ride, 1 when one did or could not be run.
func (o *benchOptions) run(ctx context.Context) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	var err error
	if o.Root, err = synth.Root(); err != nil {
		fmt.Fprintf(o.Err, "wildrydes bench: %v\n", err)
		return 2
	}
	if o.Sizes {
		return o.printSizes(ctx)
	}
	if o.Profile == "workshop" {
		return o.runWorkshop(ctx)
	}
	o.Progress = o.Err
	if o.Verbose {
		o.SystemLog = o.Err
	}
	run := bench.Run
	if o.Console {
		run = bench.RunConsole
	}
	results, err := run(ctx, o.Options)
	if err != nil && len(results) == 0 {
		fmt.Fprintf(o.Err, "wildrydes bench: %v\n", err)
		return 1
	}
	if o.JSON {
		if err := bench.WriteJSON(o.Out, o.Options, results); err != nil {
			fmt.Fprintf(o.Err, "wildrydes bench: writing the report: %v\n", err)
			return 1
		}
	} else {
		bench.WriteText(o.Out, o.Options, results)
	}
	if err != nil {
		fmt.Fprintf(o.Err, "wildrydes bench: %v\n", err)
		return 1
	}
	if !bench.AllOK(results) {
		if o.JSON { // the text report already lists them
			for _, r := range results {
				if r.Err != nil {
					fmt.Fprintf(o.Err, "wildrydes bench: step %d: %v\n", r.Step, r.Err)
				}
				for _, failure := range r.Load.Failures {
					fmt.Fprintf(o.Err, "wildrydes bench: step %d: %s\n", r.Step, failure)
				}
			}
		}
		return 1
	}
	return 0
}

// runWorkshop is --profile workshop: the table on stdout (or the JSON with --json), and both
// reports in --out.
func (o *benchOptions) runWorkshop(ctx context.Context) int {
	o.Progress = o.Err
	if o.Verbose {
		o.SystemLog = o.Err
	}
	if o.ReportDir == "" {
		o.ReportDir = filepath.Join(o.Root, "cdk.out", "bench")
	}
	steps, err := bench.RunWorkshop(ctx, o.Options)
	if err != nil && len(steps) == 0 {
		fmt.Fprintf(o.Err, "wildrydes bench: %v\n", err)
		return 1
	}
	if o.JSON {
		err = bench.WriteWorkshopJSON(o.Out, o.Options, steps)
	} else {
		bench.WriteWorkshopText(o.Out, o.Options, steps)
	}
	if werr := writeWorkshopReports(o.ReportDir, o.Options, steps); werr != nil {
		fmt.Fprintf(o.Err, "wildrydes bench: %v\n", werr)
		return 1
	}
	fmt.Fprintf(o.Err, "bench: reports in %s (workshop.json, workshop.html)\n", o.ReportDir)
	if err != nil {
		fmt.Fprintf(o.Err, "wildrydes bench: %v\n", err)
		return 1
	}
	if !bench.WorkshopOK(steps) {
		return 1
	}
	return 0
}

// writeWorkshopReports writes workshop.json and workshop.html into dir.
func writeWorkshopReports(dir string, o bench.Options, steps []bench.WorkshopStep) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer, bench.Options, []bench.WorkshopStep) error{
		"workshop.json": bench.WriteWorkshopJSON, "workshop.html": bench.WriteWorkshopHTML,
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = write(f, o, steps)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// printSizes is --sizes: the final step's assets, zipped, against the budget.
func (o *benchOptions) printSizes(ctx context.Context) int {
	steps, err := synth.Synthesize(ctx, synth.Options{Root: o.Root, Stage: bench.Stage, Log: o.Err})
	var sizes []bench.AssetSize
	if err == nil {
		asm, err2 := steps.Assembly(design.FinalStep)
		if err = err2; err == nil {
			sizes, err = bench.AssetSizes(asm)
		}
	}
	if err != nil {
		fmt.Fprintf(o.Err, "wildrydes bench: %v\n", err)
		return 1
	}
	over := 0
	for _, s := range sizes {
		if s.Zipped > bench.MaxZipped {
			over++
		}
	}
	if o.JSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sizes); err != nil {
			fmt.Fprintf(o.Err, "wildrydes bench: writing the sizes: %v\n", err)
			return 1
		}
	} else {
		bench.WriteSizes(o.Out, sizes)
	}
	if over > 0 {
		fmt.Fprintf(o.Err, "wildrydes bench: %d function packages are over %d bytes zipped\n", over, bench.MaxZipped)
		return 1
	}
	return 0
}

// parseSteps reads "0,5".
func parseSteps(s string) ([]design.Step, error) {
	var steps []design.Step
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%q is not a step number", part)
		}
		step := design.Step(n)
		if err := step.Validate(); err != nil {
			return nil, err
		}
		steps = append(steps, step)
	}
	return steps, nil
}
