// Package bench sends the same load to the synchronous design (refactor step 0) and to the final
// SNS design, each on a fresh local system, and compares what the riders saw and what was stored.
package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Stage is the stage the benchmark synthesizes: its own, so its cached assemblies never stand in
// for the dev stage's.
const Stage = "bench"

// Defaults: the original high-load run's 1,800 rides, sent ten times as fast (100/s for 18 s
// instead of 10/s for 180 s), so that a step takes seconds.
const (
	DefaultRate     = 100.0
	DefaultDuration = 18 * time.Second
	DefaultSettle   = load.DefaultSettle
)

// Options say what to load and how hard.
type Options struct {
	// Root is the repository (the folder with cdk.json).
	Root string
	// Steps are run in this order, each on its own system; the ratios compare the first with the
	// last.
	Steps    []design.Step
	Rate     float64
	Duration time.Duration
	// Settle is how long to wait for accepted rides to reach the table.
	Settle time.Duration
	// Concurrency caps each function's warm processes (local.Options.Concurrency; 0: its default).
	Concurrency int
	// NoLimits runs each step without AWS's limits (local.Options.NoLimits); TimeScale runs
	// AWS's timings that take minutes faster (local.Options.TimeScale; 0 or 1: real length).
	NoLimits  bool
	TimeScale float64
	// SystemLog receives the local systems' logs; nil writes each to a temporary file, kept only
	// when its step fails.
	SystemLog io.Writer
	// Progress receives a line per phase and the load's progress; nil discards them.
	Progress io.Writer
}

// StepResult is what one step measured.
type StepResult struct {
	Step design.Step
	// Label names the run when it is not the step alone (bench --console).
	Label string `json:",omitempty"`
	// Startup is how long the local system took to start and deploy both stacks.
	Startup time.Duration
	Load    load.Result
	// Err is a run that could not be carried out or checked; Load then holds what was measured.
	Err error
}

// OK reports whether the step ran and lost no ride.
func (r StepResult) OK() bool { return r.Err == nil && r.Load.OK() }

// Run loads each step in turn on a fresh system (eachStep). The error is for a step that could
// not be synthesized; a step that failed to run is a StepResult with Err.
func Run(ctx context.Context, o Options) ([]StepResult, error) {
	return eachStep(ctx, o, runStep)
}

// eachStep synthesizes every step first (so no synthesis competes with a load for the CPU), then
// runs each of o.Steps in turn.
func eachStep[R any](ctx context.Context, o Options, run func(context.Context, Options, design.Step, *synth.Steps, io.Writer) R) ([]R, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	steps, err := synth.Synthesize(ctx, synth.Options{Root: o.Root, Stage: Stage, Log: progress})
	if err != nil {
		return nil, err
	}
	if _, err := steps.All(); err != nil {
		return nil, err
	}
	var results []R
	for _, step := range o.Steps {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		results = append(results, run(ctx, o, step, steps, progress))
	}
	return results, nil
}

// path is the steps whose templates reaching step deploys. Step 0 and the final state deploy
// whole; an intermediate step is reached as users reach it, step 0 first and then each step's
// changed stack in order, as `wildrydes local --step` does: at step 3 each stack reads an SSM
// parameter that only the other one writes.
func path(step design.Step) []design.Step {
	if step == design.StepSynchronous || step == design.FinalStep {
		return []design.Step{step}
	}
	var steps []design.Step
	for s := design.StepSynchronous; s <= step; s++ {
		steps = append(steps, s)
	}
	return steps
}

// startStep starts a fresh local system and deploys step on it as users reach it, setting
// startup to how long that took. A system it returns, with or without an error, is the caller's
// to close.
func startStep(ctx context.Context, o Options, step design.Step, steps *synth.Steps, logs, progress io.Writer, startup *time.Duration) (*local.System, error) {
	fmt.Fprintf(progress, "bench: step %d (%s): starting a local system ...\n", step, stepDesign(step))
	start := time.Now()
	sys, err := local.Start(ctx, o.localOptions(logs))
	if err != nil {
		return nil, fmt.Errorf("starting the local system: %w", err)
	}
	if err := sys.DeploySteps(ctx, steps, path(step), nil); err != nil {
		return sys, err
	}
	*startup = time.Since(start)
	return sys, nil
}

// runStep starts a system with the step's stacks, loads it and stops it.
func runStep(ctx context.Context, o Options, step design.Step, steps *synth.Steps, progress io.Writer) (res StepResult) {
	res.Step = step
	logs, keep := systemLog(o, step, progress)
	defer func() { keep(!res.OK()) }()

	sys, err := startStep(ctx, o, step, steps, logs, progress, &res.Startup)
	if sys != nil {
		defer func() {
			fmt.Fprintf(progress, "bench: step %d: stopping the local system\n", step)
			sys.Close()
		}()
	}
	if err != nil {
		res.Err = err
		return res
	}
	st, err := sys.State()
	if err != nil {
		res.Err = err
		return res
	}
	table := st.RideTable
	if st.ApiUrl == "" || table == "" {
		res.Err = fmt.Errorf("step %d has no route that books rides or no table that stores them", step)
		return res
	}
	fmt.Fprintf(progress, "bench: step %d: started in %.1fs; sending %d rides at %g/s to %s/ride\n",
		step, res.Startup.Seconds(), rides(o.Rate, o.Duration), o.Rate, st.ApiUrl)
	res.Load, res.Err = load.Run(ctx, load.Options{
		URL: st.ApiUrl, Rate: o.Rate, Duration: o.Duration,
		TableName: table, Endpoint: st.Endpoint, Region: st.Region, Settle: o.Settle,
		Progress: progress, ProgressEvery: 5 * time.Second,
	})
	if res.Err == nil {
		fmt.Fprintf(progress, "bench: step %d: %d of %d accepted rides found in the table\n",
			step, res.Load.RidesFound, res.Load.RidesAccepted)
	}
	return res
}

// rides is how many requests a run sends, as load's pacer counts them.
func rides(rate float64, d time.Duration) int {
	return int(rate*d.Seconds() + 0.5)
}

// stepDesign names what a step runs, for the report's column headings.
func stepDesign(s design.Step) string {
	switch {
	case s == design.FinalStep:
		return "final: SNS"
	case s.PublishesToTopic():
		return "SNS"
	default:
		return "synchronous"
	}
}
