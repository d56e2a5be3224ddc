package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Exit statuses of the bench subcommand.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// maxRides bounds one step's load: ten times the original high-load run.
const maxRides = 18000

// Main runs `wildrydes bench` and returns its exit status: 0 when no step lost a ride, 1 when one
// did or could not be run, 2 for bad flags.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, args, stdout, stderr)
}

type flags struct {
	opts    Options
	asJSON  bool
	verbose bool
	sizes   bool
	console bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "wildrydes bench: %v\n", err)
		return exitUsage
	}
	if f.opts.Root, err = synth.Root(); err != nil {
		fmt.Fprintf(stderr, "wildrydes bench: %v\n", err)
		return exitUsage
	}
	if f.sizes {
		return sizesMain(ctx, f.opts.Root, f.asJSON, stdout, stderr)
	}
	f.opts.Progress = stderr
	if f.verbose {
		f.opts.SystemLog = stderr
	}
	run := Run
	if f.console {
		run = RunConsole
	}
	results, err := run(ctx, f.opts)
	if err != nil && len(results) == 0 {
		fmt.Fprintf(stderr, "wildrydes bench: %v\n", err)
		return exitFailed
	}
	if f.asJSON {
		if err := writeJSON(stdout, f.opts, results); err != nil {
			fmt.Fprintf(stderr, "wildrydes bench: writing the report: %v\n", err)
			return exitFailed
		}
	} else {
		writeText(stdout, f.opts, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "wildrydes bench: %v\n", err)
		return exitFailed
	}
	if !allOK(results) {
		if f.asJSON { // the text report already lists them
			for _, r := range results {
				if r.Err != nil {
					fmt.Fprintf(stderr, "wildrydes bench: step %d: %v\n", r.Step, r.Err)
				}
				for _, failure := range r.Load.Failures {
					fmt.Fprintf(stderr, "wildrydes bench: step %d: %s\n", r.Step, failure)
				}
			}
		}
		return exitFailed
	}
	return exitOK
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("wildrydes bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: wildrydes bench [flags]

Sends the same load, POST /ride at a constant arrival rate, to refactor step 0 (RequestRide POSTs
each ride to the record API and waits) and to the final step (RequestRide publishes to SNS), each
on a fresh local system, checks that every accepted ride reached the table, and compares the
latencies the riders saw. Runs one step at a time; about a minute with the defaults.

Exit status: 0 no ride lost, 1 a ride lost or a step that could not run, 2 bad flags.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.Float64Var(&f.opts.Rate, "rate", DefaultRate, "`arrivals` per second")
	fs.DurationVar(&f.opts.Duration, "duration", DefaultDuration, "how long arrivals go on, per step (rate × duration rides)")
	fs.DurationVar(&f.opts.Settle, "settle", DefaultSettle, "how long to wait for accepted rides to reach the table")
	steps := fs.String("steps", fmt.Sprintf("%d,%d", design.StepSynchronous, design.FinalStep), "refactor `steps` to load, in order; the ratios compare the first with the last")
	fs.IntVar(&f.opts.Concurrency, "concurrency", 0, "warm processes per function at most (default: the local system's, 8)")
	fs.BoolVar(&f.asJSON, "json", false, "write the report as JSON")
	fs.BoolVar(&f.verbose, "verbose", false, "write the local systems' logs to stderr (default: a temporary file, kept when a step fails)")
	fs.BoolVar(&f.console, "console", false, "instead of comparing steps, load the final step without the web console, with it and a connected page, and without it again, on one local system")
	fs.BoolVar(&f.sizes, "sizes", false, "instead of loading, print each Lambda asset's zipped size (final step)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	var err error
	if f.opts.Steps, err = parseSteps(*steps); err != nil {
		return f, fmt.Errorf("--steps: %w", err)
	}
	o := f.opts
	n := o.Rate * o.Duration.Seconds()
	switch {
	case !(o.Rate > 0) || math.IsInf(o.Rate, 0):
		return f, fmt.Errorf("--rate must be a positive number of arrivals per second, not %v", o.Rate)
	case o.Duration <= 0:
		return f, fmt.Errorf("--duration must be positive, not %v", o.Duration)
	case math.Round(n) < 1:
		return f, fmt.Errorf("%g arrivals/s for %v sends no ride", o.Rate, o.Duration)
	case n > maxRides:
		return f, fmt.Errorf("%g arrivals/s for %v is %.0f rides per step, more than the %d a bench may send", o.Rate, o.Duration, n, maxRides)
	case o.Settle <= 0:
		return f, fmt.Errorf("--settle must be positive, not %v", o.Settle)
	case o.Concurrency < 0:
		return f, fmt.Errorf("--concurrency must not be negative, not %d", o.Concurrency)
	}
	return f, nil
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
