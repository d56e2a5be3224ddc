package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
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
		res, err := a.sys.invoke(a.ctx, arn, payload)
		a.count(&a.invoked)
		if err == nil && res.FunctionError == "" {
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

// bridge receives the emulator's SNS deliveries over HTTP and hands each to the subscribed
// function as Lambda's SNS event, asynchronously, as SNS invokes Lambda. It also serves the
// local system's admin endpoints.
type bridge struct {
	sys  *System
	url  string
	srv  *http.Server
	mu   sync.RWMutex
	subs map[string]subscription // token -> subscription
}

type subscription struct{ topicArn, functionArn, subscriptionArn string }

func newBridge(sys *System) (*bridge, error) {
	b := &bridge{sys: sys, subs: map[string]subscription{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sns/{token}", b.deliver)
	mux.HandleFunc("POST /_local/faults/table", b.fault)
	mux.HandleFunc("POST /_local/deploy", b.deploy)
	srv, addr, err := serve(mux)
	if err != nil {
		return nil, err
	}
	b.srv, b.url = srv, "http://"+addr
	return b, nil
}

func (b *bridge) register(token, topicArn, functionArn, subscriptionArn string) {
	b.mu.Lock()
	b.subs[token] = subscription{topicArn, functionArn, subscriptionArn}
	b.mu.Unlock()
}

// subscribers are the Lambda subscriptions of topicArn.
func (b *bridge) subscribers(topicArn string) []subscription {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []subscription
	for _, sub := range b.subs {
		if sub.topicArn == topicArn {
			out = append(out, sub)
		}
	}
	return out
}

// notify hands one SNS message to a subscribed function as Lambda's SNS event, asynchronously.
func (b *bridge) notify(sub subscription, entity events.SNSEntity) {
	event := events.SNSEvent{Records: []events.SNSEventRecord{{
		EventVersion: "1.0", EventSource: "aws:sns", EventSubscriptionArn: sub.subscriptionArn, SNS: entity,
	}}}
	payload, _ := json.Marshal(event)
	b.sys.async.enqueue(sub.functionArn, payload)
}

func (b *bridge) unregister(token string) {
	b.mu.Lock()
	delete(b.subs, token)
	b.mu.Unlock()
}

// snsDelivery is what SNS POSTs to an HTTP subscriber.
type snsDelivery struct {
	Type, MessageId, TopicArn, Subject, Message, Timestamp      string
	SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
	MessageAttributes                                           map[string]any
}

func (b *bridge) deliver(w http.ResponseWriter, r *http.Request) {
	b.mu.RLock()
	sub, ok := b.subs[r.PathValue("token")]
	b.mu.RUnlock()
	if !ok {
		http.Error(w, "unknown subscription", http.StatusNotFound)
		return
	}
	var d snsDelivery
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &d); err != nil {
		http.Error(w, "not an SNS delivery: "+err.Error(), http.StatusBadRequest)
		return
	}
	if d.Type != "Notification" {
		w.WriteHeader(http.StatusOK) // subscription confirmations need nothing locally
		return
	}
	attrs := map[string]any{}
	for k, v := range d.MessageAttributes {
		attrs[k] = v
	}
	b.notify(sub, events.SNSEntity{Type: d.Type, MessageID: d.MessageId, TopicArn: d.TopicArn, Subject: d.Subject,
		Message: d.Message, Timestamp: parseTime(d.Timestamp), SignatureVersion: d.SignatureVersion,
		Signature: d.Signature, SigningCertURL: d.SigningCertURL, UnsubscribeURL: d.UnsubscribeURL,
		MessageAttributes: attrs})
	w.WriteHeader(http.StatusOK)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// fault is POST /_local/faults/table {"unavailableFor":"30s"} ("0s" ends it).
func (b *bridge) fault(w http.ResponseWriter, r *http.Request) {
	var req struct{ UnavailableFor string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, `body must be {"unavailableFor":"30s"}`, http.StatusBadRequest)
		return
	}
	d, err := time.ParseDuration(req.UnavailableFor)
	if err != nil {
		http.Error(w, fmt.Sprintf("unavailableFor %q: %v", req.UnavailableFor, err), http.StatusBadRequest)
		return
	}
	b.sys.SetTableUnavailable(d)
	w.WriteHeader(http.StatusNoContent)
}
