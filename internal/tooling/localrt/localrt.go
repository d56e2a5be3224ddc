// Package localrt runs Lambda functions on this machine the way the Lambda service does: each
// function's own binary talks to a local Runtime API, from a pool of warm processes.
package localrt

import (
	"context"
	"errors"
	"fmt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Lambda's defaults, used where a Config leaves a field zero.
const (
	defaultTimeout        = model.DefaultTimeout
	defaultMemoryMB       = model.DefaultMemoryMB
	defaultMaxConcurrency = 4
)

const (
	// initTimeout bounds how long a process may take to ask for its first invocation; Lambda
	// gives a runtime 10 seconds to initialise.
	initTimeout = 10 * time.Second
	// closeGrace is how long Close lets processes end on SIGTERM before it sends SIGKILL.
	closeGrace = 2 * time.Second
	// maxResponseBytes is Lambda's limit on a synchronous invocation's response.
	maxResponseBytes = 6 << 20
)

// ErrClosed is returned by Invoke once the Function is shut down.
var ErrClosed = errors.New("localrt: function is shut down")

// Config describes one function: the binary to run and the settings the Lambda service would
// apply to it.
type Config struct {
	// Name is the function's name, as Lambda tells it (AWS_LAMBDA_FUNCTION_NAME): its physical
	// name.
	Name string
	// ARN is the function's ARN, as the Runtime API tells it (Lambda-Runtime-Invoked-Function-Arn);
	// default the ARN of Name in AWS_REGION (or the local region) and the local account.
	ARN string
	// Label prefixes each line of its log; default Name.
	Label  string
	Binary string // a host build of the function; it calls lambda.Start
	// Env is the function's environment (AWS_REGION, credentials, endpoints, TABLE_NAME...).
	// Only PATH and HOME come from this process's environment, and Env can override them; the
	// variables Lambda reserves (AWS_LAMBDA_*, _HANDLER, TZ) cannot be overridden.
	Env            map[string]string
	Timeout        time.Duration // default 3s
	MemoryMB       int           // default 128; only reported to the function
	MaxConcurrency int           // processes, each running one invocation at a time; default 4
	// Inits are the Init phases that may run at once, shared by the functions of one service;
	// nil: the function's own, one per core.
	Inits Inits
	// LogFormat is the function's log format, JSON or Text (default), and LogLevel its
	// application log level: what Lambda tells the runtime (AWS_LAMBDA_LOG_FORMAT,
	// AWS_LAMBDA_LOG_LEVEL) and the shape of the report it writes after each invocation.
	LogFormat, LogLevel string
	// Log receives the function's stdout and stderr, each line prefixed with "[Label] ".
	// Default os.Stderr.
	Log io.Writer
}

// Result is what Lambda's Invoke API answers. A function error is a Result, not an error: its
// Payload is the error document ({"errorMessage","errorType",...}) as Lambda returns it.
type Result struct {
	Payload       []byte
	FunctionError string // "Unhandled" when the function failed, as X-Amz-Function-Error
	ErrorType     string // e.g. the Go error's type name, "Sandbox.Timedout", "Runtime.ExitError"
	ErrorMessage  string
	RequestID     string
	Duration      time.Duration // from handing the event to the runtime until its answer
	// InitDuration is how long the process took to start and ask for its first event, on the
	// invocation that started it (a cold start); zero on a warm one.
	InitDuration time.Duration
}

// Stats counts what a Function has done since New.
type Stats struct {
	ProcessesStarted int64
	Processes        int // running now
	Invocations      int64
	InFlight         int64
}

// Function is one Lambda function and its pool of warm processes. It is safe for concurrent use.
type Function struct {
	cfg   Config
	arn   string
	slots chan struct{} // one per invocation allowed to run at once
	done  chan struct{} // closed by Shutdown
	logMu sync.Mutex    // keeps lines from different processes whole in cfg.Log

	idle chan *process // warm processes; never more than the slots, so never full

	mu       sync.Mutex
	closed   bool
	procs    map[*process]struct{} // started and not yet reaped
	starting sync.WaitGroup        // spawns under way, so Shutdown can wait for them

	started     atomic.Int64
	invocations atomic.Int64
	inFlight    atomic.Int64
}

// New returns a Function with no process running; the first Invoke starts one.
func New(cfg Config) *Function {
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = defaultMemoryMB
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = defaultMaxConcurrency
	}
	if cfg.Inits == nil {
		cfg.Inits = NewInits(0)
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.Label == "" {
		cfg.Label = cfg.Name
	}
	if cfg.ARN == "" {
		region := cfg.Env["AWS_REGION"]
		if region == "" {
			region = localstate.Region
		}
		cfg.ARN = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, localstate.AccountID, cfg.Name)
	}
	return &Function{
		cfg:   cfg,
		arn:   cfg.ARN,
		slots: make(chan struct{}, cfg.MaxConcurrency),
		idle:  make(chan *process, cfg.MaxConcurrency),
		done:  make(chan struct{}),
		procs: make(map[*process]struct{}),
	}
}

// Invoke runs the function once with payload as the event and waits for its answer, like a
// synchronous (RequestResponse) Lambda invocation. When all MaxConcurrency processes are busy
// it waits for one. If ctx ends first Invoke returns ctx's error, and the invocation, once
// started, runs on to its end as it would on Lambda.
func (f *Function) Invoke(ctx context.Context, payload []byte) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	select {
	case <-f.done:
		return Result{}, ErrClosed
	default:
	}
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("waiting for a free %s process: %w", f.cfg.Label, ctx.Err())
	case <-f.done:
		return Result{}, ErrClosed
	}
	f.invocations.Add(1)
	f.inFlight.Add(1)
	type outcome struct {
		res Result
		err error
	}
	out := make(chan outcome, 1)
	go func() {
		defer func() {
			f.inFlight.Add(-1)
			<-f.slots
		}()
		res, err := f.run(payload)
		out <- outcome{res, err}
	}()
	select {
	case o := <-out:
		return o.res, o.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// run does one invocation on a warm or new process. It holds a slot, so the processes alive
// never outnumber the slots: a process that must go is reaped before the slot is given back.
func (f *Function) run(payload []byte) (Result, error) {
	for {
		p, err := f.get()
		if err != nil {
			return Result{}, err
		}
		res, reusable, err := p.invoke(payload)
		switch {
		case errors.Is(err, errExitedWhileIdle):
			continue
		case errors.Is(err, ErrClosed):
			// Shutdown stops the process, with the grace period it promises.
		case reusable:
			f.put(p)
		default:
			p.signal(syscall.SIGKILL)
			<-p.exited
		}
		return res, err
	}
}

// Inits holds one token per process in its Init phase. On Lambda every execution environment
// initializes on its own full vCPU ("On-demand Lambda functions use a full vCPU (non-throttled)
// ... during its initialization phase",
// https://serverlessland.com/content/service/lambda/guides/effectively-running-java-on-serverless/init-heavy-lifting),
// so a burst's cold starts take as long each as one alone. Locally they share this machine's
// cores: eight Go functions starting at once on two cores took 278 ms each instead of 49 ms, and
// each request arriving meanwhile started yet another. With Inits, an invocation that finds no
// warm process waits for whichever comes first, a token for its own Init or a process another
// invocation frees: Lambda would start it an environment at once; locally it may be served sooner
// by a warm one, never later than its own Init would take. Concurrency, throttling and the
// reported Init Duration are Lambda's either way. The functions of one Lambda service (one local
// system) share one.
type Inits chan struct{}

// NewInits allows n Inits at once; n <= 0: one per core of this machine.
func NewInits(n int) Inits {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	return make(Inits, n)
}

// get returns an idle process, or starts one when a core is free for its Init.
func (f *Function) get() (*process, error) {
	for {
		f.mu.Lock()
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		var p *process
		select {
		case p = <-f.idle:
		default:
			select {
			case p = <-f.idle:
			case f.cfg.Inits <- struct{}{}:
				return f.start()
			case <-f.done:
				return nil, ErrClosed
			}
		}
		if !p.hasExited() {
			return p, nil
		}
	}
}

// start spawns a process holding an Init token, given back once its Init is over.
func (f *Function) start() (*process, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		<-f.cfg.Inits
		return nil, ErrClosed
	}
	f.starting.Add(1)
	f.mu.Unlock()
	defer f.starting.Done()
	p, err := f.spawn()
	if err != nil {
		<-f.cfg.Inits
		return nil, err
	}
	go func() {
		select {
		case <-p.initDone:
		case <-p.initFailed:
		case <-p.exited:
		case <-time.After(initTimeout):
		}
		<-f.cfg.Inits
	}()
	return p, nil
}

func (f *Function) put(p *process) {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return // Shutdown stops every process it knows
	}
	select {
	case f.idle <- p:
	default: // cannot happen: processes never outnumber the slots, nor the idle ones
	}
}

// Stats returns the counters.
func (f *Function) Stats() Stats {
	f.mu.Lock()
	running := len(f.procs)
	f.mu.Unlock()
	return Stats{
		ProcessesStarted: f.started.Load(),
		Processes:        running,
		Invocations:      f.invocations.Load(),
		InFlight:         f.inFlight.Load(),
	}
}

// Shutdown stops every process: SIGTERM to each process group, then SIGKILL to those still
// running when ctx ends (Shutdown then returns ctx's error). It returns once all are reaped and
// their Runtime API listeners closed. Invocations in flight and later ones get ErrClosed.
func (f *Function) Shutdown(ctx context.Context) error {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.done)
	}
	f.mu.Unlock()

	// No spawn can register a process after this: each sees closed and stops its own.
	f.starting.Wait()
	f.mu.Lock()
	procs := make([]*process, 0, len(f.procs))
	for p := range f.procs {
		procs = append(procs, p)
	}
	f.mu.Unlock()

	for _, p := range procs {
		p.signal(syscall.SIGTERM)
	}
	var err error
	for _, p := range procs {
		select {
		case <-p.exited:
		case <-ctx.Done():
			err = ctx.Err()
			for _, q := range procs {
				q.signal(syscall.SIGKILL)
			}
			<-p.exited
		}
	}
	return err
}

// Close is Shutdown with a grace period of two seconds; a process killed after the grace period
// is not an error.
func (f *Function) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	if err := f.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
