package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// localOptions are what `wildrydes local` reads: synthesize, start the whole system here, serve
// until Ctrl-C.
type localOptions struct {
	streams
	Stage string
	// Step is the refactor step to run, reached through steps 0..Step; -1: the final state.
	Step int
	// Dir, if set, is a cloud assembly to run instead of synthesizing.
	Dir string
	// Endpoint is an AWS-compatible endpoint to use instead of starting moto_server.
	Endpoint string
	// TimeScale runs AWS's timings that take minutes this many times faster (1: real length).
	TimeScale float64
	// NoLimits turns AWS's limits off; AccountConcurrency is the account's Lambda concurrency.
	NoLimits           bool
	AccountConcurrency int
	Concurrency        int
	Quiet              bool
	// Ports by local.PortInUseError.Listener; each is the flag --<listener>-port.
	Ports map[string]*int
}

func newLocalOptions(s streams) (options, *flag.FlagSet) {
	o := &localOptions{streams: s}
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.StringVar(&o.Stage, "stage", design.DefaultStage, "stage to synthesize")
	fs.IntVar(&o.Step, "step", -1, "refactor step to run, reached by deploying steps 0..N in the documented order (default: the final state)")
	fs.StringVar(&o.Dir, "dir", "", "run this cloud assembly instead of synthesizing (e.g. cdk.out)")
	fs.StringVar(&o.Endpoint, "endpoint", os.Getenv("AWS_ENDPOINT_URL"), "AWS-compatible endpoint to use instead of starting moto_server (AWS_ENDPOINT_URL)")
	fs.Float64Var(&o.TimeScale, "time-scale", 1, "run AWS's timings that take minutes (Lambda's 1- and 2-minute retry delays, an event's maximum age) this many times faster; 60 makes a minute last a second")
	fs.BoolVar(&o.NoLimits, "no-limits", false, "turn AWS's limits off: tables take any load whatever their capacity, Lambda runs any number of invocations")
	fs.IntVar(&o.AccountConcurrency, "account-concurrency", lambda.DefaultAccountConcurrency, "the account's Lambda concurrency (concurrent executions of all functions)")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "processes per function at most on this machine; an invocation beyond them waits (default: as many as Lambda's concurrency allows; with --no-limits, 8)")
	fs.BoolVar(&o.Quiet, "quiet", false, "do not print the functions' logs")
	o.Ports = map[string]*int{
		"api":      fs.Int("api-port", 4010, "port of the wild-rydes API (POST /ride)"),
		"record":   fs.Int("record-port", 4011, "port of the ride-record API (POST /record)"),
		"emulator": fs.Int("emulator-port", 4012, "port of the moto_server this command starts (not used with --endpoint)"),
		"console":  fs.Int("console-port", 4000, "loopback port of the web console (0: any free port)"),
	}
	fs.Usage = func() {
		fmt.Fprintf(s.Err, "usage: wildrydes local [flags]\n\nRuns both stacks on this machine from the synthesized templates until Ctrl-C.\n\n")
		fs.PrintDefaults()
	}
	return o, fs
}

func (o *localOptions) complete([]string) error {
	switch {
	case !(o.TimeScale >= 1) || math.IsInf(o.TimeScale, 0):
		return fmt.Errorf("--time-scale must be 1 (AWS's timings at their real length) or more, not %v", o.TimeScale)
	case o.AccountConcurrency < 1:
		return fmt.Errorf("--account-concurrency must be at least 1, not %d", o.AccountConcurrency)
	case o.Concurrency < 0:
		return fmt.Errorf("--concurrency must not be negative, not %d", o.Concurrency)
	}
	if o.Step >= 0 {
		return design.Step(o.Step).Validate()
	}
	return nil
}

func (o *localOptions) run(ctx context.Context) int {
	stderr := o.Err
	root, err := synth.Root()
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The stacks of the final state, or of each step up to --step: a step's two stacks may each
	// need an SSM parameter only the other writes (step 3), so a step is reached as users reach
	// it, through the documented order (a state from step 3 on cannot be created from nothing:
	// the install goes through step 2).
	steps, err := synth.Synthesize(ctx, synth.Options{Root: root, Stage: o.Stage, Log: stderr})
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 1
	}
	path := []design.Step{design.FinalStep}
	switch {
	case o.Dir != "":
		asm, err := cfn.LoadAssembly(o.Dir)
		if err != nil {
			fmt.Fprintln(stderr, "local:", err)
			return 1
		}
		steps.Use(design.FinalStep, asm)
	case o.Step >= 0:
		path = path[:0]
		for s := design.StepSynchronous; s <= design.Step(o.Step); s++ {
			path = append(path, s)
		}
	default:
		out := filepath.Join(root, "cdk.out")
		err := synth.Run(ctx, synth.Options{Root: root, Stage: o.Stage, OutDir: out, Log: stderr})
		var asm *cfn.Assembly
		if err == nil {
			asm, err = cfn.LoadAssembly(out)
		}
		if err != nil {
			fmt.Fprintln(stderr, "local:", err)
			return 1
		}
		steps.Use(design.FinalStep, asm)
	}

	start := time.Now()
	logs := stderr
	if o.Quiet {
		logs = io.Discard
	}
	sys, err := local.Start(ctx, local.Options{Root: root, Endpoint: o.Endpoint, TimeScale: o.TimeScale,
		NoLimits: o.NoLimits, AccountConcurrency: o.AccountConcurrency,
		Concurrency: o.Concurrency, StateFile: localstate.Path(root), Log: logs,
		APIPort: *o.Ports["api"], RecordPort: *o.Ports["record"], EmulatorPort: *o.Ports["emulator"], ConsolePort: *o.Ports["console"]})
	var inUse *local.PortInUseError
	if errors.As(err, &inUse) {
		fmt.Fprintf(stderr, "local: port %d is in use: choose another with --%s-port\n", inUse.Port, inUse.Listener)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 1
	}
	defer sys.Close()
	if err := sys.DeploySteps(ctx, steps, path, stderr); err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 1
	}
	var ro *localRollout
	if o.Dir == "" {
		ro = &localRollout{steps: steps, step: design.FinalStep, sys: sys, log: stderr}
		if o.Step >= 0 {
			ro.step = design.Step(o.Step)
		}
	}
	current, err := steps.Assembly(path[len(path)-1])
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 1
	}
	consoleURL, stopConsole, err := serveConsole(sys, current, ro, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 1
	}
	defer stopConsole()
	st, err := sys.State()
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 1
	}
	o.printRunning(st, consoleURL, time.Since(start), sys.Limits())
	<-ctx.Done()
	fmt.Fprintln(stderr, "\nstopping ...")
	sys.Close()
	// A clean stop is a success: `make run` must not report Ctrl-C as an error.
	fmt.Fprintln(stderr, "Wild Rydes stopped.")
	return 0
}

// printRunning says where everything the local system started is, and what to try.
func (o *localOptions) printRunning(st localstate.State, consoleURL string, took time.Duration, limits string) {
	w := o.Out
	fmt.Fprintf(w, "\nWild Rydes is running locally (started in %.1fs).\n%s.\n\n", took.Seconds(), limits)
	fmt.Fprintf(w, "  console       %s\n", consoleURL)
	fmt.Fprintf(w, "  POST /ride    %s/ride\n", st.ApiUrl)
	if st.RecordApiUrl != "" {
		fmt.Fprintf(w, "  POST /record  %s/record\n", st.RecordApiUrl)
	}
	fmt.Fprintf(w, "  emulator      %s (AWS_ENDPOINT_URL for the aws CLI and SDKs)\n", st.Endpoint)
	fmt.Fprintf(w, "  stacks        %s (AWS_ENDPOINT_URL_CLOUDFORMATION: DescribeStacks and the stacks' statuses)\n", st.CloudFormation)
	fmt.Fprintf(w, "  SNS           %s (subscribe an email to an alarm topic here: its alarms land in the outbox)\n", st.SNS)
	for _, id := range slices.Sorted(maps.Keys(st.Tables)) {
		fmt.Fprintf(w, "  table         %s = %s\n", id, st.Tables[id])
	}
	for _, id := range slices.Sorted(maps.Keys(st.Queues)) {
		fmt.Fprintf(w, "  queue         %s = %s\n", id, st.Queues[id])
	}
	fmt.Fprintf(w, "\nTry it:\n  curl -s -X POST %s/ride -H 'Content-Type: application/json' -d '{\"PickupLocation\":{\"Latitude\":42.3525,\"Longitude\":-71.0529}}'\n", st.ApiUrl)
	fmt.Fprintf(w, "\nThen: go run ./cmd/wildrydes load | fault --for 30s | alarms | dlq list | dlq redrive.  Ctrl-C stops everything.\n\n")
}
