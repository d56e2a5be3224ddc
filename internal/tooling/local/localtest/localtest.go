// Package localtest is the one way tests start the local system: every step of stage "test"
// synthesized once (cached while the app's sources do not change), a system at a step on free
// ports (never the fixed ones), its log kept, and the part of it a failing test caused printed.
// A system the tests of a package share is started once, on first use. The systems of a package
// run on the moto_servers it started, each handed on, reset, from a system that stopped to the
// next one: a package pays moto's start once for each system running at the same time, not once
// for each system. A shared system no test is using gives its moto_server up to a system started
// for one test when no other is free; so a test that starts a system of its own calls t.Parallel:
// it then runs after the tests that share one, beside the other such tests, and the shared system
// stops once, when those are over, not between them.
package localtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/emulator"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Stage is the stage the tests synthesize, so their assemblies never stand in for "dev".
const Stage = "test"

// tailLines is how much of a system's log a failing test prints.
const tailLines = 60

// Env is what the tests of a package share: the repository, every step's templates, and the
// systems started for all of them.
type Env struct {
	Root  string
	Steps *synth.Steps

	mu     sync.Mutex
	shared map[string]*shared
	// idle are the moto_servers this Env started that no running system holds, reset; all, every
	// one it started.
	idle, all []*emulator.Emulator
}

type shared struct {
	start sync.Mutex // held while the system starts
	// users counts the tests using the system now; with none, a system that needs an emulator
	// when the Env has none idle stops it and takes its emulator (the next test that shares it
	// starts it again).
	users int
	sys   *local.System
	emu   *emulator.Emulator
	log   *Log
	err   error
}

// Setup synthesizes every step of Stage once, for TestMain. It exits the test binary when the
// templates cannot be had: no test of the local system can run without them.
func Setup() *Env {
	e, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return e
}

// Load is Setup for one test of a package whose other tests need no local system; the systems
// it starts are stopped when t ends.
func Load(t testing.TB) *Env {
	t.Helper()
	e, err := setup()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.closeAll() })
	return e
}

// synthesized is every step's templates, had once for all the Envs of a test binary: the tests of
// a package that each Load pay for the synth's check (the hash of the app's sources) once between
// them. (The functions' go build runs at most once per test binary too: lambda.NewBuilder shares
// what a process built, and none when a stamp says the binaries are of the current sources.)
var synthesized struct {
	once  sync.Once
	root  string
	steps *synth.Steps
	err   error
}

func setup() (*Env, error) {
	s := &synthesized
	s.once.Do(func() {
		s.root, s.err = synth.Root()
		if s.err == nil {
			s.steps, s.err = synth.Synthesize(context.Background(), synth.Options{Root: s.root, Stage: Stage, Log: os.Stderr})
		}
		if s.err == nil {
			_, s.err = s.steps.All()
		}
		if s.err != nil {
			s.err = fmt.Errorf("synthesizing every step: %w", s.err)
		}
	})
	if s.err != nil {
		return nil, s.err
	}
	return &Env{Root: s.root, Steps: s.steps, shared: map[string]*shared{}}, nil
}

// WithEchoFunction builds localrt's test function (internal/tooling/localrt/testdata/echofn: its
// event says what it does) into *bin, runs the package's tests and removes it: TestMain's
// os.Exit(localtest.WithEchoFunction(m, &echofn)) in the tests of localrt and of the Lambda
// service.
func WithEchoFunction(m *testing.M, bin *string) int {
	root, err := synth.Root()
	dir := ""
	if err == nil {
		dir, err = os.MkdirTemp("", "echofn")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	*bin = filepath.Join(dir, "echofn")
	build := exec.Command("go", "build", "-o", *bin, "./internal/tooling/localrt/testdata/echofn")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test function:", err)
		return 1
	}
	return m.Run()
}

// Run runs the package's tests, then stops the systems they shared: TestMain's
// os.Exit(env.Run(m)).
func (e *Env) Run(m *testing.M) int {
	code := m.Run()
	e.closeAll()
	return code
}

// closeAll stops the shared systems and every moto_server the Env started.
func (e *Env) closeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.shared {
		if s.sys != nil {
			s.sys.Close()
		}
	}
	for _, emu := range e.all {
		emu.Close()
	}
	e.shared, e.idle, e.all = map[string]*shared{}, nil, nil
}

// emulator is a reset moto_server no running system holds; else the one of a shared system no
// test is using, which it stops; else a new one.
func (e *Env) emulator(log io.Writer) (*emulator.Emulator, error) {
	for {
		e.mu.Lock()
		if n := len(e.idle); n > 0 {
			emu := e.idle[n-1]
			e.idle = e.idle[:n-1]
			e.mu.Unlock()
			return emu, nil
		}
		var sys *local.System
		var emu *emulator.Emulator
		for _, s := range e.shared {
			if s.users == 0 && s.sys != nil {
				sys, emu, s.sys, s.emu = s.sys, s.emu, nil, nil
				break
			}
		}
		e.mu.Unlock()
		if sys == nil {
			break
		}
		sys.Close()
		e.release(emu)
	}
	emu, err := emulator.Start(context.Background(), log, 0)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.all = append(e.all, emu)
	e.mu.Unlock()
	return emu, nil
}

// release takes back the emulator of a system that stopped: reset, for the next system, or
// stopped if it cannot be reset.
func (e *Env) release(emu *emulator.Emulator) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := emu.Reset(ctx); err != nil {
		emu.Close()
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.idle = append(e.idle, emu)
}

// Options say what system a test needs; the zero value is a system with nothing deployed.
type Options struct {
	// Path is deployed as local.System.DeploySteps does: the first step installed, then each
	// later step's changed stack.
	Path []design.Step
	// StateFile, if set, receives the system's state file.
	StateFile string
	// Concurrency caps each function's processes; default 100, so that the retries of an
	// outage's backlog run at once, as Lambda scales an asynchronous backlog out.
	Concurrency int
	// TimeScale runs AWS's timings faster (local.Options.TimeScale); default DefaultTimeScale, so
	// Lambda's one- and two-minute retry delays take 200 ms and 400 ms.
	TimeScale float64
	// NoLimits turns AWS's limits off (local.Options.NoLimits).
	NoLimits bool
}

// DefaultTimeScale is how much faster than on AWS the tests' systems run AWS's timings: a minute
// lasts 200 ms, a CloudWatch alarm of 5-minute periods decides within a second.
const DefaultTimeScale = 300

// At is a system at one step, as users reach it.
func At(step design.Step) Options { return Options{Path: []design.Step{step}} }

// Start starts a system for t alone, stopped when t ends; when t fails, the end of its log is
// printed.
func (e *Env) Start(t testing.TB, o Options) *local.System {
	t.Helper()
	sys, emu, log, err := e.start(o)
	if sys != nil {
		t.Cleanup(func() {
			sys.Close()
			e.release(emu)
		})
	}
	e.tailOnFailure(t, log, 0)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// Shared is the system of o that the package's tests share, started on first use and stopped by
// Run; while no test uses it, a system started for one test may stop it for its emulator, and
// the next test that shares it starts it again. A test that uses it must leave it as it found it
// (or assert only on what it changed itself) and must not count on what other tests left in it;
// when t fails, what the system logged during t is printed.
func (e *Env) Shared(t testing.TB, o Options) *local.System {
	t.Helper()
	key := fmt.Sprintf("%+v", o)
	e.mu.Lock()
	s := e.shared[key]
	if s == nil {
		s = &shared{}
		e.shared[key] = s
	}
	s.users++
	e.mu.Unlock()
	t.Cleanup(func() {
		e.mu.Lock()
		s.users--
		e.mu.Unlock()
	})
	s.start.Lock()
	e.mu.Lock()
	started := s.sys != nil || s.err != nil
	e.mu.Unlock()
	if !started {
		sys, emu, log, err := e.start(o)
		e.mu.Lock()
		s.sys, s.emu, s.log, s.err = sys, emu, log, err
		e.mu.Unlock()
	}
	s.start.Unlock()
	e.mu.Lock()
	sys, log, err := s.sys, s.log, s.err
	e.mu.Unlock()
	if err != nil {
		e.tailOnFailure(t, log, 0)
		t.Fatal(err)
	}
	e.tailOnFailure(t, log, log.Len())
	return sys
}

// start starts a system of o on an emulator of the Env's; the system does not stop the emulator
// when it stops: whoever stops the system releases it.
func (e *Env) start(o Options) (*local.System, *emulator.Emulator, *Log, error) {
	if o.Concurrency == 0 {
		o.Concurrency = 100
	}
	if o.TimeScale == 0 {
		o.TimeScale = DefaultTimeScale
	}
	log := &Log{}
	emu, err := e.emulator(log)
	if err != nil {
		return nil, nil, log, err
	}
	sys, err := local.Start(context.Background(), local.Options{Root: e.Root, Log: log, StateFile: o.StateFile,
		Endpoint: emu.Endpoint, Concurrency: o.Concurrency, TimeScale: o.TimeScale, NoLimits: o.NoLimits})
	if err != nil {
		e.release(emu)
		return nil, nil, log, err
	}
	if len(o.Path) > 0 {
		if err := sys.DeploySteps(context.Background(), e.Steps, o.Path, nil); err != nil {
			sys.Close()
			e.release(emu)
			return nil, nil, log, err
		}
	}
	return sys, emu, log, nil
}

// tailOnFailure prints, when t has failed, what log got after offset.
func (e *Env) tailOnFailure(t testing.TB, log *Log, offset int) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("local system log (the last %d lines):\n%s", tailLines, log.Tail(offset, tailLines))
		}
	})
}
