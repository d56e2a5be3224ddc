// Package lambda is the local Lambda service: each function its real Go binary under a local
// Runtime API (localrt), invoked synchronously (an HTTP API's integration) or asynchronously (an
// SNS delivery) with Lambda's retries and dead-letter queue, within Lambda's concurrency (the
// account's and each function's reserved), its AWS/Lambda metrics recorded; and the host build
// of the functions.
package lambda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
)

// ErrNoFunction says no function of that ARN is deployed.
var ErrNoFunction = errors.New("no such function")

// Options configure the service.
type Options struct {
	// Limits turns on Lambda's concurrency: the account's (AccountConcurrency) and each
	// function's reserved concurrency; an invocation over it is throttled. Off, every invocation
	// runs (waiting for a process when Concurrency caps them).
	Limits bool
	// AccountConcurrency is the account's concurrent executions; 0: DefaultAccountConcurrency.
	AccountConcurrency int
	// Concurrency caps each function's processes on this machine: an invocation beyond them
	// waits for one. 0: with Limits, as many as Lambda's concurrency allows; without, 8.
	Concurrency int
	// Clock times Lambda's asynchronous retries and an event's maximum age (nil: real time).
	Clock *clock.Clock
	// Metrics, if set, records the functions' AWS/Lambda metrics.
	Metrics Metrics
	// DeadLetters sends a failed asynchronous event to its function's dead-letter queue.
	DeadLetters Queue
	Events      *events.Feed
	Log         io.Writer
	// EMF, if set, keeps the metrics the functions print in the embedded metric format, at their
	// timestamps on Clock.
	EMF EmbeddedMetrics
}

// Service runs the deployed functions.
type Service struct {
	opts  Options
	async *async
	conc  *concurrency
	inits localrt.Inits // the Init phases its functions' processes may run at once

	mu        sync.Mutex
	functions map[string]*function // by ARN
}

// NewService starts a Lambda service with no function.
func NewService(opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Concurrency <= 0 && !opts.Limits {
		opts.Concurrency = 8
	}
	s := &Service{opts: opts, functions: map[string]*function{}, conc: newConcurrency(opts.Limits, opts.AccountConcurrency),
		inits: localrt.NewInits(0)}
	s.async = newAsync(s)
	return s
}

// Function is what a deploy of one AWS::Lambda::Function gives the service.
type Function struct {
	// Name and ARN are the function's physical ones: what Lambda tells the function, and what
	// callers invoke it by.
	Name, ARN string
	// Label prefixes its log lines (its logical ID).
	Label  string
	Binary string
	Env    map[string]string
	// Timeout and MemoryMB as the template sets them (0: Lambda's defaults).
	Timeout  time.Duration
	MemoryMB int
	// LogFormat is the template's LoggingConfig LogFormat (JSON or Text; empty: Text), and
	// LogLevel its ApplicationLogLevel.
	LogFormat, LogLevel string
	// ReservedConcurrency is the template's ReservedConcurrentExecutions; nil: none.
	ReservedConcurrency *int
	// DeadLetterURL is the queue its failed asynchronous events go to; empty: none.
	DeadLetterURL string
}

// function is a deployed Lambda function.
type function struct {
	name, arn, dlqURL string
	rt                *localrt.Function
}

// Deploy creates the function, or replaces the one of the same ARN without dropping an
// invocation in flight: calls already running on the old one finish there.
func (s *Service) Deploy(f Function) {
	// Processes: one per invocation Lambda lets run at once, within this machine's cap.
	processes := s.opts.Concurrency
	if s.opts.Limits {
		limit := s.conc.account
		if f.ReservedConcurrency != nil {
			limit = *f.ReservedConcurrency
		}
		if processes <= 0 || limit < processes {
			processes = limit
		}
	} else if f.ReservedConcurrency != nil && *f.ReservedConcurrency < processes {
		processes = *f.ReservedConcurrency
	}
	s.conc.reserve(f.ARN, f.ReservedConcurrency)
	fn := &function{name: f.Name, arn: f.ARN, dlqURL: f.DeadLetterURL, rt: localrt.New(localrt.Config{
		Name: f.Name, ARN: f.ARN, Label: f.Label, Binary: f.Binary, Env: f.Env, Timeout: f.Timeout,
		MemoryMB: f.MemoryMB, LogFormat: f.LogFormat, LogLevel: f.LogLevel, MaxConcurrency: max(processes, 1), Inits: s.inits, Log: s.log(f.Label),
	})}
	s.mu.Lock()
	old := s.functions[f.ARN]
	s.functions[f.ARN] = fn
	s.mu.Unlock()
	if old != nil {
		go old.drain()
	}
}

// Delete removes the function; the invocations already running on it finish.
func (s *Service) Delete(arn string) {
	s.mu.Lock()
	fn := s.functions[arn]
	delete(s.functions, arn)
	s.mu.Unlock()
	s.conc.reserve(arn, nil)
	if fn != nil {
		go fn.drain()
	}
}

// Running reports whether the function of arn is running an invocation now.
func (s *Service) Running(arn string) bool {
	fn := s.function(arn)
	return fn != nil && fn.rt.Stats().InFlight > 0
}

func (s *Service) function(arn string) *function {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.functions[arn]
}

// Invoke calls the function synchronously (InvocationType RequestResponse). Over its
// concurrency the call is throttled (ErrThrottled) as Lambda throttles it. A function replaced
// by a deploy while the call was on its way is looked up again, so a swap never fails a request.
func (s *Service) Invoke(ctx context.Context, arn string, payload []byte) (localrt.Result, error) {
	for attempt := 0; ; attempt++ {
		fn := s.function(arn)
		if fn == nil {
			return localrt.Result{}, fmt.Errorf("%w: %s", ErrNoFunction, arn)
		}
		running, ok := s.conc.acquire(fn.arn)
		if !ok {
			s.metric(fn.name, "Throttles", 1, "Count")
			if s.opts.Events.Watching() {
				s.opts.Events.Invoked(fn.name, time.Now(), false, ErrThrottled.Error())
			}
			return localrt.Result{}, ErrThrottled
		}
		s.metric(fn.name, "ConcurrentExecutions", float64(running), "Count")
		start := time.Now()
		res, err := fn.rt.Invoke(ctx, payload)
		s.conc.release(fn.arn)
		if errors.Is(err, localrt.ErrClosed) && attempt < 3 {
			continue
		}
		if err == nil { // a call its caller stopped waiting for ends out of sight
			s.invoked(fn.name, res.FunctionError != "", res.Duration)
		}
		if s.opts.Events.Watching() {
			msg := res.ErrorMessage
			if err != nil {
				msg = err.Error()
			}
			s.opts.Events.Invoked(fn.name, start, err == nil && res.FunctionError == "", msg)
		}
		return res, err
	}
}

// failure says why an invocation failed, as a dead letter's ErrorMessage does; empty when it
// succeeded.
func failure(res localrt.Result, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case res.FunctionError == "":
		return ""
	case res.ErrorType != "":
		return res.ErrorType + ": " + res.ErrorMessage
	}
	return res.ErrorMessage
}

// Close abandons the asynchronous events still waiting (it returns how many) and stops every
// function.
func (s *Service) Close() int {
	pending := s.async.stop()
	s.mu.Lock()
	fns := s.functions
	s.functions = map[string]*function{}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Go(func() { _ = f.rt.Close() })
	}
	wg.Wait()
	return pending
}

// drain lets the invocations already running on a replaced function finish, then stops it.
func (f *function) drain() {
	deadline := time.Now().Add(2 * time.Minute)
	for f.rt.Stats().InFlight > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_ = f.rt.Close()
}
