package lambda

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// Queue is where failed asynchronous events go: the emulator's SQS.
type Queue interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Lambda's timings for asynchronous events
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), in AWS time
// (the service's clock may run them faster):
var (
	// functionErrorDelays: after a function error, "Lambda waits one minute before the second
	// attempt and two minutes before the third".
	functionErrorDelays = []time.Duration{time.Minute, 2 * time.Minute}
	// A throttled event goes back to the queue, "the retry interval increases exponentially from
	// 1 second after the first attempt to a maximum of 5 minutes".
	firstThrottleDelay = time.Second
	maxThrottleDelay   = 5 * time.Minute
)

// DefaultMaximumEventAge is how long Lambda keeps an event it could not process: 6 hours unless
// the function's EventInvokeConfig says otherwise (60 s to 6 h)
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html).
const DefaultMaximumEventAge = 6 * time.Hour

// EventInvokeConfig is a function's asynchronous invocation settings
// (AWS::Lambda::EventInvokeConfig).
type EventInvokeConfig struct {
	MaximumRetryAttempts int
	MaximumEventAge      time.Duration
}

// async is Lambda's asynchronous invocation
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html): the event is accepted at
// once, then tried; a throttled attempt waits in the queue and is tried again, a failed one is
// retried up to the function's MaximumRetryAttempts, each within its maximum event age; an event
// that runs out of either goes to the dead-letter queue with the attributes Lambda adds.
type async struct {
	svc     *Service
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	pending int
	configs map[string]EventInvokeConfig // by function name
	// Counters for tests.
	invoked, failedAttempts, throttled, deadLettered, dropped int
}

func newAsync(svc *Service) *async {
	ctx, cancel := context.WithCancel(context.Background())
	return &async{svc: svc, ctx: ctx, cancel: cancel, configs: map[string]EventInvokeConfig{}}
}

// SetEventInvokeConfig is a function's EventInvokeConfig.
func (s *Service) SetEventInvokeConfig(functionName string, c EventInvokeConfig) {
	a := s.async
	a.mu.Lock()
	a.configs[functionName] = c
	a.mu.Unlock()
}

func (a *async) config(functionName string) EventInvokeConfig {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.configs[functionName]; ok {
		if c.MaximumEventAge <= 0 {
			c.MaximumEventAge = DefaultMaximumEventAge
		}
		return c
	}
	return EventInvokeConfig{MaximumRetryAttempts: model.DefaultRetryAttempts, MaximumEventAge: DefaultMaximumEventAge}
}

// InvokeAsync accepts an event for the function with arn and returns at once, as Lambda's
// Invoke with InvocationType Event does.
func (s *Service) InvokeAsync(arn string, payload []byte) {
	a := s.async
	a.mu.Lock()
	a.pending++
	a.mu.Unlock()
	a.wg.Go(func() { a.run(arn, payload) })
}

// run tries the event until it succeeds, is dead-lettered or dropped. Its age is counted in AWS
// time: the delays it waits in the queue on the service's clock (which may run them faster), and
// each attempt's run at its real length, since the function takes as long here as on AWS. (Read
// on the scaled clock, a 2-second attempt at 300x would age the event 10 minutes.)
func (a *async) run(arn string, payload []byte) {
	defer func() {
		a.mu.Lock()
		a.pending--
		a.mu.Unlock()
	}()
	opts := a.svc.opts
	throttles := 0
	var age time.Duration
	for attempt := 0; ; {
		fn := a.svc.function(arn)
		if fn == nil {
			a.count(&a.dropped)
			fmt.Fprintf(opts.Log, "async: %s no longer exists; its event is dropped as Lambda drops the queue of a deleted function\n", arn)
			return
		}
		cfg := a.config(fn.name)
		start := time.Now()
		res, err := a.svc.Invoke(a.ctx, arn, payload)
		age += time.Since(start)
		if errors.Is(err, ErrThrottled) {
			a.count(&a.throttled)
			delay := min(firstThrottleDelay<<min(throttles, 20), maxThrottleDelay)
			throttles++
			opts.Events.Attempted(fn.name, payload, attempt+1, start, err.Error(), true)
			if !a.wait(fn, payload, &age, cfg, delay, "429", err.Error(), attempt+1) {
				return
			}
			continue
		}
		a.count(&a.invoked)
		if err == nil && res.FunctionError == "" {
			opts.Events.Attempted(fn.name, payload, attempt+1, start, "", false)
			return
		}
		if a.ctx.Err() != nil {
			return
		}
		a.count(&a.failedAttempts)
		last := failure(res, err)
		opts.Events.Attempted(fn.name, payload, attempt+1, start, last, attempt < cfg.MaximumRetryAttempts)
		if attempt >= cfg.MaximumRetryAttempts {
			a.deadLetter(fn, payload, "200", res.RequestID, last, attempt+1)
			return
		}
		delay := functionErrorDelays[min(attempt, len(functionErrorDelays)-1)]
		attempt++
		if !a.wait(fn, payload, &age, cfg, delay, "200", last, attempt) {
			return
		}
	}
}

// wait keeps a failed or throttled event in the queue for delay of AWS time before its next
// attempt. An event that would be older than its function's maximum event age by then goes to
// the dead-letter queue instead. It reports whether to try again.
func (a *async) wait(fn *function, payload []byte, age *time.Duration, cfg EventInvokeConfig, delay time.Duration, code, reason string, attempts int) bool {
	opts := a.svc.opts
	if *age+delay > cfg.MaximumEventAge {
		a.deadLetter(fn, payload, code, "", fmt.Sprintf("%s (the event reached its maximum age of %s)", reason, cfg.MaximumEventAge), attempts)
		return false
	}
	fmt.Fprintf(opts.Log, "async: %s attempt %d: %s; trying again in %s\n", fn.name, attempts, truncate(reason, 200), delay)
	*age += delay
	return opts.Clock.Sleep(a.ctx, delay) == nil
}

// deadLetter sends the event to its function's dead-letter queue. code is the invoke's HTTP
// status, as Lambda's ErrorCode attribute gives it: 200 for a function error, 429 for a throttle.
func (a *async) deadLetter(fn *function, payload []byte, code, requestID, message string, attempts int) {
	opts := a.svc.opts
	if fn.dlqURL == "" {
		a.count(&a.dropped)
		opts.Events.DeadLettered(fn.name, payload, message, "")
		fmt.Fprintf(opts.Log, "async: %s failed %d attempts and has no dead-letter queue: the event is dropped (%s)\n", fn.name, attempts, truncate(message, 200))
		return
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		// Lambda's dead-letter attributes: the 3-digit HTTP status of the invoke (200 for a
		// function error) and the first kilobyte of the error message
		// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq).
		"ErrorCode":    {DataType: aws.String("Number"), StringValue: aws.String(code)},
		"ErrorMessage": {DataType: aws.String("String"), StringValue: aws.String(truncate(message, 1024))},
	}
	if requestID != "" {
		attrs["RequestID"] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(requestID)}
	}
	_, err := opts.DeadLetters.SendMessage(a.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(fn.dlqURL),
		MessageBody: aws.String(string(payload)), MessageAttributes: attrs})
	if err != nil {
		a.count(&a.dropped)
		fmt.Fprintf(opts.Log, "async: %s: sending the failed event to its dead-letter queue failed: %v\n", fn.name, err)
		return
	}
	a.count(&a.deadLettered)
	opts.Events.DeadLettered(fn.name, payload, message, fn.dlqURL)
	fmt.Fprintf(opts.Log, "async: %s failed %d attempts; event sent to its dead-letter queue (%s)\n", fn.name, attempts, truncate(message, 200))
}

func (a *async) count(c *int) {
	a.mu.Lock()
	*c++
	a.mu.Unlock()
}

// AsyncStats counts asynchronous invocations since start.
type AsyncStats struct {
	Pending, Invoked, FailedAttempts, Throttled, DeadLettered, Dropped int
}

// AsyncStats reports the asynchronous invocations so far.
func (s *Service) AsyncStats() AsyncStats {
	a := s.async
	a.mu.Lock()
	defer a.mu.Unlock()
	return AsyncStats{Pending: a.pending, Invoked: a.invoked, FailedAttempts: a.failedAttempts, Throttled: a.throttled,
		DeadLettered: a.deadLettered, Dropped: a.dropped}
}

// WaitIdle waits until no asynchronous invocation is queued, running or waiting for a retry.
func (s *Service) WaitIdle(ctx context.Context) error {
	for {
		if s.AsyncStats().Pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d asynchronous invocations still pending: %w", s.AsyncStats().Pending, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop abandons retries and returns how many events were still pending.
func (a *async) stop() int {
	n := a.svc.AsyncStats().Pending
	a.cancel()
	a.wg.Wait()
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
