package lambda

import (
	"context"
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

// async is Lambda's asynchronous invocation
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html): the event is accepted at
// once, then tried, retried after the retry delays up to the function's MaximumRetryAttempts, and
// finally sent to its dead-letter queue with the attributes Lambda adds.
type async struct {
	svc     *Service
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	pending int
	retries map[string]int // function name -> MaximumRetryAttempts
	// Counters for tests.
	invoked, failedAttempts, deadLettered, dropped int
}

func newAsync(svc *Service) *async {
	ctx, cancel := context.WithCancel(context.Background())
	return &async{svc: svc, ctx: ctx, cancel: cancel, retries: map[string]int{}}
}

// SetRetries is a function's EventInvokeConfig: how many times a failed event is retried.
func (s *Service) SetRetries(functionName string, n int) {
	a := s.async
	a.mu.Lock()
	a.retries[functionName] = n
	a.mu.Unlock()
}

func (a *async) maxRetries(functionName string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n, ok := a.retries[functionName]; ok {
		return n
	}
	return model.DefaultRetryAttempts
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

func (a *async) run(arn string, payload []byte) {
	defer func() {
		a.mu.Lock()
		a.pending--
		a.mu.Unlock()
	}()
	opts := a.svc.opts
	for attempt := 0; ; attempt++ {
		fn := a.svc.function(arn)
		if fn == nil {
			a.count(&a.dropped)
			fmt.Fprintf(opts.Log, "async: %s no longer exists; its event is dropped as Lambda drops the queue of a deleted function\n", arn)
			return
		}
		start := time.Now()
		res, err := a.svc.Invoke(a.ctx, arn, payload)
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
		retries := a.maxRetries(fn.name)
		opts.Events.Attempted(fn.name, payload, attempt+1, start, last, attempt < retries)
		if attempt >= retries {
			a.deadLetter(fn, payload, res.RequestID, last, attempt+1)
			return
		}
		delay := opts.RetryDelays[min(attempt, len(opts.RetryDelays)-1)]
		fmt.Fprintf(opts.Log, "async: %s attempt %d failed (%s); retrying in %s\n", fn.name, attempt+1, truncate(last, 200), delay)
		select {
		case <-time.After(delay):
		case <-a.ctx.Done():
			return
		}
	}
}

func (a *async) deadLetter(fn *function, payload []byte, requestID, message string, attempts int) {
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
		"ErrorCode":    {DataType: aws.String("Number"), StringValue: aws.String("200")},
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
	Pending, Invoked, FailedAttempts, DeadLettered, Dropped int
}

// AsyncStats reports the asynchronous invocations so far.
func (s *Service) AsyncStats() AsyncStats {
	a := s.async
	a.mu.Lock()
	defer a.mu.Unlock()
	return AsyncStats{Pending: a.pending, Invoked: a.invoked, FailedAttempts: a.failedAttempts, DeadLettered: a.deadLettered, Dropped: a.dropped}
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
