package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// localMain is `wildrydes local`: synthesize, start the whole system here, serve until Ctrl-C.
func localMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", design.DefaultStage, "stage to synthesize")
	step := fs.Int("step", -1, "refactor step to run, reached by deploying steps 0..N in the documented order (default: the final state)")
	dir := fs.String("dir", "", "run this cloud assembly instead of synthesizing (e.g. cdk.out)")
	endpoint := fs.String("endpoint", os.Getenv("AWS_ENDPOINT_URL"), "AWS-compatible endpoint to use instead of starting moto_server (AWS_ENDPOINT_URL)")
	delays := fs.String("retry-delays", "1s,2s", "delays between Lambda's asynchronous attempts (AWS: about 1m,2m)")
	concurrency := fs.Int("concurrency", 8, "warm processes per function at most")
	quiet := fs.Bool("quiet", false, "do not print the functions' logs")
	ports := map[string]*int{ // by local.PortInUseError.Listener; each is the flag --<listener>-port
		"api":      fs.Int("api-port", 4010, "port of the wild-rydes API (POST /ride)"),
		"record":   fs.Int("record-port", 4011, "port of the ride-record API (POST /record)"),
		"emulator": fs.Int("emulator-port", 4012, "port of the moto_server this command starts (not used with --endpoint)"),
		"console":  fs.Int("console-port", 4000, "loopback port of the web console (0: any free port)"),
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wildrydes local [flags]\n\nRuns both stacks on this machine from the synthesized templates until Ctrl-C.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	retryDelays, err := parseDurations(*delays)
	if err != nil {
		fmt.Fprintln(stderr, "local: --retry-delays:", err)
		return 2
	}
	root, err := synth.Root()
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The stacks of the final state, or of each step up to --step: a step's two stacks may each
	// need an SSM parameter only the other writes (step 3), so a step is reached as users reach
	// it, through the documented order (a state from step 3 on cannot be created from nothing:
	// the install goes through step 2).
	steps, err := synth.Synthesize(ctx, synth.Options{Root: root, Stage: *stage, Log: stderr})
	if err != nil {
		fmt.Fprintln(stderr, "local:", err)
		return 1
	}
	path := []design.Step{design.FinalStep}
	switch {
	case *dir != "":
		asm, err := cfn.LoadAssembly(*dir)
		if err != nil {
			fmt.Fprintln(stderr, "local:", err)
			return 1
		}
		steps.Use(design.FinalStep, asm)
	case *step >= 0:
		if err := design.Step(*step).Validate(); err != nil {
			fmt.Fprintln(stderr, "local:", err)
			return 2
		}
		path = path[:0]
		for s := design.StepSynchronous; s <= design.Step(*step); s++ {
			path = append(path, s)
		}
	default:
		out := filepath.Join(root, "cdk.out")
		err := synth.Run(ctx, synth.Options{Root: root, Stage: *stage, OutDir: out, Log: stderr})
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
	if *quiet {
		logs = io.Discard
	}
	sys, err := local.Start(ctx, local.Options{Root: root, Endpoint: *endpoint, RetryDelays: retryDelays,
		Concurrency: *concurrency, StateFile: localstate.Path(root), Log: logs,
		APIPort: *ports["api"], RecordPort: *ports["record"], EmulatorPort: *ports["emulator"], ConsolePort: *ports["console"]})
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
	var ro *rollout
	if *dir == "" {
		ro = &rollout{steps: steps, step: design.FinalStep, sys: sys, log: stderr}
		if *step >= 0 {
			ro.step = design.Step(*step)
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
	fmt.Fprintf(stdout, "\nWild Rydes is running locally (started in %.1fs).\n\n", time.Since(start).Seconds())
	fmt.Fprintf(stdout, "  console       %s\n", consoleURL)
	fmt.Fprintf(stdout, "  POST /ride    %s/ride\n", st.ApiUrl)
	if st.RecordApiUrl != "" {
		fmt.Fprintf(stdout, "  POST /record  %s/record\n", st.RecordApiUrl)
	}
	fmt.Fprintf(stdout, "  emulator      %s (AWS_ENDPOINT_URL for the aws CLI and SDKs)\n", st.Endpoint)
	for id, t := range st.Tables {
		fmt.Fprintf(stdout, "  table         %s = %s\n", id, t)
	}
	for id, q := range st.Queues {
		fmt.Fprintf(stdout, "  queue         %s = %s\n", id, q)
	}
	fmt.Fprintf(stdout, "\nTry it:\n  curl -s -X POST %s/ride -H 'Content-Type: application/json' -d '{\"PickupLocation\":{\"Latitude\":42.3525,\"Longitude\":-71.0529}}'\n", st.ApiUrl)
	fmt.Fprintf(stdout, "\nThen: go run ./cmd/wildrydes load | fault --for 30s | dlq list | dlq redrive.  Ctrl-C stops everything.\n\n")
	<-ctx.Done()
	fmt.Fprintln(stderr, "\nstopping ...")
	sys.Close()
	// A clean stop is a success: `make run` must not report Ctrl-C as an error.
	fmt.Fprintln(stderr, "Wild Rydes stopped.")
	return 0
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
