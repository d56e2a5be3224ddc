package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/console"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// localRollout is where `local --step N` stands in the refactor, so the console can show each
// stack's step and deploy the next one as the --step loop does.
type localRollout struct {
	mu    sync.Mutex
	steps *synth.Steps
	step  design.Step
	sys   *local.System
	log   io.Writer
}

// stackSteps is each stack's step: the last step at or before the current one that changed it.
func (r *localRollout) stackSteps() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, kind := range []design.StackKind{design.WildRydes, design.RideRecord} {
		out[design.StackName(kind, r.steps.Stage)] = int(r.step.StackStep(kind))
	}
	return out
}

func (r *localRollout) deployNext(ctx context.Context) (*cfn.Assembly, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := r.step + 1
	if err := next.Validate(); err != nil {
		return nil, fmt.Errorf("step %d is the last one", r.step)
	}
	fmt.Fprintf(r.log, "step %d: %s\n", next, next.Summary())
	if err := r.sys.DeployStep(ctx, r.steps, next); err != nil {
		return nil, err
	}
	r.step = next
	return r.steps.Assembly(next)
}

// serveConsole serves the console of sys on its loopback port and records its URL in the state
// file; r is nil when the steps are not known (--dir).
func serveConsole(sys *local.System, asm *cfn.Assembly, r *localRollout, log io.Writer) (string, func(), error) {
	cfg := console.Config{System: sys, Assembly: asm, Log: log}
	if r != nil {
		cfg.Steps = r.stackSteps
		if r.step < design.FinalStep {
			cfg.DeployNext = r.deployNext
		}
	}
	srv, err := console.New(cfg)
	if err != nil {
		return "", nil, err
	}
	url, stop, err := srv.Listen(sys.ConsoleAddr())
	if err != nil {
		return "", nil, err
	}
	if err := sys.SetConsoleURL(url); err != nil {
		stop()
		return "", nil, err
	}
	return url, stop, nil
}

// consoleOptions are what `wildrydes console --api-url URL` reads: the rider's page against a
// deployed API.
type consoleOptions struct {
	streams
	// APIURL is the deployed wild-rydes API, with or without /ride.
	APIURL string
	// Port is the console's loopback port; 0 takes any free one.
	Port int
}

func newConsoleOptions(s streams) (options, *flag.FlagSet) {
	o := &consoleOptions{streams: s}
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.StringVar(&o.APIURL, "api-url", "", "the deployed wild-rydes API (the stack's RideUrl output without /ride, or with it)")
	fs.IntVar(&o.Port, "port", 4000, "loopback port of the console (0: any free port)")
	return o, fs
}

func (o *consoleOptions) complete([]string) error {
	if o.APIURL == "" {
		return errors.New("--api-url is required (for the local system, `wildrydes local` serves the whole console)")
	}
	return nil
}

func (o *consoleOptions) run(ctx context.Context) int {
	srv, err := console.New(console.Config{APIURL: trimRide(o.APIURL)})
	if err != nil {
		fmt.Fprintln(o.Err, "console:", err)
		return 1
	}
	url, stop, err := srv.Listen(fmt.Sprintf("127.0.0.1:%d", o.Port))
	if err != nil {
		fmt.Fprintln(o.Err, "console:", err)
		return 1
	}
	defer stop()
	fmt.Fprintf(o.Out, "The rider's page: %s (against %s; the system view needs the local system). Ctrl-C stops it.\n", url, o.APIURL)
	ctx, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	<-ctx.Done()
	return 0
}

func trimRide(u string) string {
	for len(u) > 0 && u[len(u)-1] == '/' {
		u = u[:len(u)-1]
	}
	if len(u) >= 5 && u[len(u)-5:] == "/ride" {
		u = u[:len(u)-5]
	}
	return u
}
