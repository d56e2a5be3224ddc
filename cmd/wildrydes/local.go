package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
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
	// RetryDelays are the delays between Lambda's asynchronous attempts, from --retry-delays.
	RetryDelays []time.Duration
	retryDelays string
	Concurrency int
	Quiet       bool
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
	fs.StringVar(&o.retryDelays, "retry-delays", "1s,2s", "delays between Lambda's asynchronous attempts (AWS: about 1m,2m)")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "warm processes per function at most")
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
	var err error
	if o.RetryDelays, err = parseDurations(o.retryDelays); err != nil {
		return fmt.Errorf("--retry-delays: %w", err)
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
	sys, err := local.Start(ctx, local.Options{Root: root, Endpoint: o.Endpoint, RetryDelays: o.RetryDelays,
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
	o.printRunning(st, consoleURL, time.Since(start))
	<-ctx.Done()
	fmt.Fprintln(stderr, "\nstopping ...")
	sys.Close()
	// A clean stop is a success: `make run` must not report Ctrl-C as an error.
	fmt.Fprintln(stderr, "Wild Rydes stopped.")
	return 0
}

// printRunning says where everything the local system started is, and what to try.
func (o *localOptions) printRunning(st localstate.State, consoleURL string, took time.Duration) {
	w := o.Out
	fmt.Fprintf(w, "\nWild Rydes is running locally (started in %.1fs).\n\n", took.Seconds())
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

func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration such as 1s", part)
		}
		out = append(out, d)
	}
	return out, nil
}
