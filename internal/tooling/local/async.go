package local

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// asyncInvoker is Lambda's asynchronous invocation: the event is accepted at once, then tried,
// retried after the function's retry delays up to its MaximumRetryAttempts, and finally sent to
// its dead-letter queue with the attributes Lambda adds.
type asyncInvoker struct {
	sys     *System
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	pending int
	retries map[string]int // function name -> MaximumRetryAttempts
	// Counters for progress lines and tests.
	invoked, failedAttempts, deadLettered, dropped int
}

func newAsyncInvoker(sys *System) *asyncInvoker {
	ctx, cancel := context.WithCancel(context.Background())
	return &asyncInvoker{sys: sys, ctx: ctx, cancel: cancel, retries: map[string]int{}}
}

func (a *asyncInvoker) setRetries(functionName string, n int) {
	a.mu.Lock()
	a.retries[functionName] = n
	a.mu.Unlock()
}

func (a *asyncInvoker) maxRetries(functionName string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n, ok := a.retries[functionName]; ok {
		return n
	}
	return 2 // Lambda's default
}

// enqueue accepts an event for the function with arn and returns at once, as Lambda's
// Invoke with InvocationType Event does.
func (a *asyncInvoker) enqueue(arn string, payload []byte) {
	a.mu.Lock()
	a.pending++
	a.mu.Unlock()
	a.wg.Add(1)
	go a.run(arn, payload)
}

func (a *asyncInvoker) run(arn string, payload []byte) {
	defer a.wg.Done()
	defer func() {
		a.mu.Lock()
		a.pending--
		a.mu.Unlock()
	}()
	log := a.sys.opts.Log
	var last string
	var requestID string
	for attempt := 0; ; attempt++ {
		fn := a.sys.function(arn)
		if fn == nil {
			a.count(&a.dropped)
			fmt.Fprintf(log, "async: %s no longer exists; its event is dropped as Lambda drops the queue of a deleted function\n", arn)
			return
		}
		start := time.Now()
		res, err := a.sys.invoke(a.ctx, arn, payload)
		a.count(&a.invoked)
		if err == nil && res.FunctionError == "" {
			a.sys.attempted(fn.name, payload, attempt+1, start, "", false)
			return
		}
		if a.ctx.Err() != nil {
			return
		}
		a.count(&a.failedAttempts)
		requestID = res.RequestID
		if err != nil {
			last = err.Error()
		} else {
			last = res.ErrorMessage
			if res.ErrorType != "" {
				last = res.ErrorType + ": " + last
			}
		}
		retries := a.maxRetries(fn.name)
		a.sys.attempted(fn.name, payload, attempt+1, start, last, attempt < retries)
		if attempt >= retries {
			a.deadLetter(fn, payload, requestID, last, attempt+1)
			return
		}
		delay := a.sys.opts.RetryDelays[min(attempt, len(a.sys.opts.RetryDelays)-1)]
		fmt.Fprintf(log, "async: %s attempt %d failed (%s); retrying in %s\n", fn.name, attempt+1, truncate(last, 200), delay)
		select {
		case <-time.After(delay):
		case <-a.ctx.Done():
			return
		}
	}
}

func (a *asyncInvoker) deadLetter(fn *function, payload []byte, requestID, message string, attempts int) {
	log := a.sys.opts.Log
	if fn.dlqURL == "" {
		a.count(&a.dropped)
		a.sys.deadLettered(fn.name, payload, message, "")
		fmt.Fprintf(log, "async: %s failed %d attempts and has no dead-letter queue: the event is dropped (%s)\n", fn.name, attempts, truncate(message, 200))
		return
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		// Lambda's dead-letter attributes: the 3-digit HTTP status of the invoke (200 for a
		// function error) and the first kilobyte of the error message.
		"ErrorCode":    {DataType: aws.String("Number"), StringValue: aws.String("200")},
		"ErrorMessage": {DataType: aws.String("String"), StringValue: aws.String(truncate(message, 1024))},
	}
	if requestID != "" {
		attrs["RequestID"] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(requestID)}
	}
	_, err := a.sys.aws.sqs.SendMessage(a.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(fn.dlqURL),
		MessageBody: aws.String(string(payload)), MessageAttributes: attrs})
	if err != nil {
		a.count(&a.dropped)
		fmt.Fprintf(log, "async: %s: sending the failed event to its dead-letter queue failed: %v\n", fn.name, err)
		return
	}
	a.count(&a.deadLettered)
	a.sys.deadLettered(fn.name, payload, message, fn.dlqURL)
	fmt.Fprintf(log, "async: %s failed %d attempts; event sent to its dead-letter queue (%s)\n", fn.name, attempts, truncate(message, 200))
}

func (a *asyncInvoker) count(c *int) {
	a.mu.Lock()
	*c++
	a.mu.Unlock()
}

// AsyncStats counts asynchronous invocations since start.
type AsyncStats struct {
	Pending, Invoked, FailedAttempts, DeadLettered, Dropped int
}

func (a *asyncInvoker) stats() AsyncStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return AsyncStats{Pending: a.pending, Invoked: a.invoked, FailedAttempts: a.failedAttempts, DeadLettered: a.deadLettered, Dropped: a.dropped}
}

// AsyncStats reports the asynchronous invocations so far.
func (s *System) AsyncStats() AsyncStats { return s.async.stats() }

func (a *asyncInvoker) waitIdle(ctx context.Context) error {
	for {
		if a.stats().Pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d asynchronous invocations still pending: %w", a.stats().Pending, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop abandons retries and returns how many events were still pending.
func (a *asyncInvoker) stop() int {
	n := a.stats().Pending
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
