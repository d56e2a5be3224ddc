// Package localtest is the one way tests start the local system: every step of stage "test"
// synthesized once (cached while the app's sources do not change), a system at a step on free
// ports (never the fixed ones), its log kept, and the part of it a failing test caused printed.
// A system the tests of a package share is started once, on first use.
//
// Every system runs on one moto_server in an AWS account of its own (emulator.Front), as separate
// AWS accounts keep their resources apart: the test run's (MotoEnv: `make test` starts one for all
// the test binaries, localtest/withmoto), else one the test binary starts on first use.
// moto's start, about 3 CPU-seconds with its services loaded, is paid once per run, not once per
// system or package. A test that starts a system of its own may call t.Parallel.
package localtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/emulator"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
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
	// motoURL is the test binary's moto_server, which the Env holds from its first system on
	// until it closes ("": not yet).
	motoURL string
}

type shared struct {
	start sync.Mutex // held while the system starts
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
// event says what it does) into *bin and runs the package's tests: TestMain's
// os.Exit(localtest.WithEchoFunction(m, &echofn)) in the tests of localrt and of the Lambda
// service. It is built as the functions are (lambda.Builder), into their folder: a binary
// stamped with the sources it has now is not built again.
func WithEchoFunction(m *testing.M, bin *string) int {
	root, err := synth.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	const entry = "internal/tooling/localrt/testdata/echofn"
	bins, err := lambda.NewBuilder(root, os.Stderr).Binaries(context.Background(), []string{entry})
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the test function:", err)
		return 1
	}
	*bin = bins[entry]
	return m.Run()
}

// Run runs the package's tests, then stops the systems they shared: TestMain's
// os.Exit(env.Run(m)).
func (e *Env) Run(m *testing.M) int {
	code := m.Run()
	e.closeAll()
	return code
}

// closeAll stops the shared systems, and the test binary's moto_server if no other Env holds it.
func (e *Env) closeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.shared {
		if s.sys != nil {
			s.sys.Close()
			s.emu.Close()
		}
	}
	e.shared = map[string]*shared{}
	if e.motoURL != "" {
		e.motoURL = ""
		releaseMoto()
	}
}

// emulator is a front to the test binary's moto_server in a new account: the system started on
// it sees none of the other systems' resources.
func (e *Env) emulator() (*emulator.Emulator, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.motoURL == "" {
		url, err := acquireMoto()
		if err != nil {
			return nil, "", err
		}
		e.motoURL = url
	}
	account := newAccount()
	emu, err := emulator.Front(e.motoURL, account)
	return emu, account, err
}

// newAccount is a random 12-digit AWS account ID, other than localstate's.
func newAccount() string {
	for {
		if id := strconv.FormatInt(rand.Int64N(9e11)+1e11, 10); id != localstate.AccountID {
			return id
		}
	}
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
			emu.Close()
		})
	}
	e.tailOnFailure(t, log, 0)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// Shared is the system of o that the package's tests share, started on first use and stopped by
// Run. A test that uses it must leave it as it found it
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
	e.mu.Unlock()
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

// start starts a system of o on a front of its own to the test binary's moto_server, in an
// account of its own; the system does not stop the front when it stops: whoever stops the system
// closes it.
func (e *Env) start(o Options) (*local.System, *emulator.Emulator, *Log, error) {
	if o.Concurrency == 0 {
		o.Concurrency = 100
	}
	if o.TimeScale == 0 {
		o.TimeScale = DefaultTimeScale
	}
	log := &Log{}
	emu, account, err := e.emulator()
	if err != nil {
		return nil, nil, log, err
	}
	sys, err := local.Start(context.Background(), local.Options{Root: e.Root, Log: log, StateFile: o.StateFile,
		Endpoint: emu.Endpoint, AccountID: account, Concurrency: o.Concurrency, TimeScale: o.TimeScale, NoLimits: o.NoLimits})
	if err != nil {
		emu.Close()
		return nil, nil, log, err
	}
	if len(o.Path) > 0 {
		if err := sys.DeploySteps(context.Background(), e.Steps, o.Path, nil); err != nil {
			sys.Close()
			emu.Close()
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
