package lambda_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

// echofn is localrt's test function (its event says what it does), built by TestMain.
var echofn string

func TestMain(m *testing.M) { os.Exit(localtest.WithEchoFunction(m, &echofn)) }

// queue is a dead-letter queue that keeps what it is sent.
type queue struct {
	mu   sync.Mutex
	sent []*sqs.SendMessageInput
}

func (q *queue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, in)
	return &sqs.SendMessageOutput{}, nil
}

func (q *queue) messages() []*sqs.SendMessageInput {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*sqs.SendMessageInput(nil), q.sent...)
}

// service is a Lambda service with the limits on, its AWS time scale times faster, and one
// function of that reserved concurrency (nil: none) whose dead-letter queue is dlq.
func service(t *testing.T, scale float64, reserved *int, dlq *queue, feed *events.Feed) (*lambda.Service, *cloudwatch.Store, string) {
	t.Helper()
	c := clock.Scaled(scale)
	store := cloudwatch.NewStore(c)
	s := lambda.NewService(lambda.Options{Limits: true, Clock: c, Metrics: store, DeadLetters: dlq, Events: feed, Log: t.Output()})
	t.Cleanup(func() { s.Close() })
	arn := "arn:aws:lambda:us-east-1:000000000000:function:PutRideRecordSns"
	s.Deploy(lambda.Function{Name: "PutRideRecordSns", ARN: arn, Binary: echofn, Timeout: 5 * time.Second,
		ReservedConcurrency: reserved, DeadLetterURL: "http://local/queue/dlq"})
	return s, store, arn
}

func sum(t *testing.T, store *cloudwatch.Store, name string) float64 {
	t.Helper()
	now := store.Now()
	m := cloudwatch.Metric{Namespace: "AWS/Lambda", Name: name, Dimensions: map[string]string{"FunctionName": "PutRideRecordSns"}}
	stats, err := store.Statistics(m, "Sum", now.Add(-24*time.Hour), now.Add(time.Second), 25*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) == 0 {
		return 0
	}
	return stats[0].Value
}

// busy starts a synchronous call that sleeps for d, and returns once it runs.
func busy(t *testing.T, s *lambda.Service, store *cloudwatch.Store, arn string, d time.Duration) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := s.Invoke(context.Background(), arn, fmt.Appendf(nil, `{"do":"sleep","ms":%d}`, d.Milliseconds()))
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); len(store.Metrics("AWS/Lambda")) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first call never started")
		}
		time.Sleep(time.Millisecond)
	}
	return done
}

func TestReservedConcurrencyThrottlesASynchronousCallOverIt(t *testing.T) {
	one := 1
	s, store, arn := service(t, 1, &one, &queue{}, &events.Feed{})
	first := busy(t, s, store, arn, 300*time.Millisecond)

	_, err := s.Invoke(context.Background(), arn, []byte(`{"do":"echo","value":2}`))
	if !errors.Is(err, lambda.ErrThrottled) || err.Error() != "TooManyRequestsException: Rate Exceeded." {
		t.Errorf("a second call while the one reserved execution runs answered %v, want TooManyRequestsException: Rate Exceeded.", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if res, err := s.Invoke(context.Background(), arn, []byte(`{"do":"echo","value":3}`)); err != nil || string(res.Payload) != "3" {
		t.Errorf("once the first call ended, a call answered %s, %v", res.Payload, err)
	}
	if th, inv := sum(t, store, "Throttles"), sum(t, store, "Invocations"); th != 1 || inv != 2 {
		t.Errorf("AWS/Lambda Throttles %v and Invocations %v, want 1 throttled and 2 run", th, inv)
	}
}

func TestAnAsynchronousEventOverReservedConcurrencyWaitsInTheQueueAndRunsLater(t *testing.T) {
	one := 1
	feed := &events.Feed{}
	attempts, stop := feed.Watch(100)
	defer stop()
	// At 100 times AWS's pace, the throttle back-off of 1 s, 2 s, 4 s... takes 10 ms, 20 ms...
	s, store, arn := service(t, 100, &one, &queue{}, feed)
	first := busy(t, s, store, arn, 300*time.Millisecond)

	s.InvokeAsync(arn, []byte(`{"do":"echo","value":"ride"}`))
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	released := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.AsyncStats()
	if st.Throttled < 1 || st.Invoked != 1 || st.FailedAttempts != 0 || st.DeadLettered != 0 {
		t.Errorf("the event was throttled %d times, run %d times, failed %d, dead-lettered %d; want throttled, then run once",
			st.Throttled, st.Invoked, st.FailedAttempts, st.DeadLettered)
	}
	var ran time.Time
	for len(attempts) > 0 {
		if ev := <-attempts; ev.Kind == "attempt" && ev.OK {
			ran = ev.Time
		}
	}
	if ran.Before(released) {
		t.Errorf("the event ran at %s, before the reserved execution was free at %s", ran, released)
	}
}

func TestAThrottledEventOlderThanItsMaximumAgeGoesToTheDeadLetterQueue(t *testing.T) {
	zero := 0 // every invocation throttled
	dlq := &queue{}
	s, _, arn := service(t, 100, &zero, dlq, &events.Feed{})
	s.SetEventInvokeConfig("PutRideRecordSns", lambda.EventInvokeConfig{MaximumRetryAttempts: 2, MaximumEventAge: time.Minute})
	s.InvokeAsync(arn, []byte(`{"do":"echo"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	// Back-off 1+2+4+8+16 s = 31 s; the next wait of 32 s would pass the minute.
	if st := s.AsyncStats(); st.Throttled != 6 || st.Invoked != 0 {
		t.Errorf("throttled %d times and run %d, want 6 throttles (1 s to 32 s apart) and no run", st.Throttled, st.Invoked)
	}
	msgs := dlq.messages()
	if len(msgs) != 1 || aws.ToString(msgs[0].MessageAttributes["ErrorCode"].StringValue) != "429" {
		t.Fatalf("dead letters %v, want the event with ErrorCode 429", msgs)
	}
}

func TestAFailedEventIsRetriedAfterOneAndTwoMinutesOfAWSTime(t *testing.T) {
	feed := &events.Feed{}
	attempts, stop := feed.Watch(100)
	defer stop()
	dlq := &queue{}
	const scale = 600 // a minute lasts 100 ms
	s, store, arn := service(t, scale, nil, dlq, feed)
	s.InvokeAsync(arn, []byte(`{"do":"fail","name":"the table is unavailable"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var at []time.Time
	for len(attempts) > 0 {
		if ev := <-attempts; ev.Kind == "attempt" {
			at = append(at, ev.Time)
		}
	}
	if len(at) != 3 {
		t.Fatalf("%d attempts, want the first and Lambda's 2 retries", len(at))
	}
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute} {
		gap := time.Duration(float64(at[i+1].Sub(at[i])) * scale)
		if gap < want || gap > want+45*time.Second {
			t.Errorf("retry %d came %s (AWS time) after the attempt before it, want %s", i+1, gap.Round(time.Second), want)
		}
	}
	if len(dlq.messages()) != 1 || aws.ToString(dlq.messages()[0].MessageAttributes["ErrorCode"].StringValue) != "200" {
		t.Errorf("dead letters %v, want the event with ErrorCode 200 (a function error)", dlq.messages())
	}
	if errs, inv := sum(t, store, "Errors"), sum(t, store, "Invocations"); errs != 3 || inv != 3 {
		t.Errorf("AWS/Lambda Errors %v of Invocations %v, want 3 of 3", errs, inv)
	}
}

// An event's age counts what it waits in the queue on the service's clock and each attempt at its
// real length: the function runs as long here as on AWS, however fast the clock makes Lambda's
// minutes. Three attempts of 50 ms and retries after 1 and 2 minutes stay within a 10-minute
// maximum age, even with a minute lasting 2 ms.
func TestAnEventsAgeCountsItsAttemptsAtTheirRealLength(t *testing.T) {
	dlq := &queue{}
	s, _, arn := service(t, 30000, nil, dlq, &events.Feed{})
	s.SetEventInvokeConfig("PutRideRecordSns", lambda.EventInvokeConfig{MaximumRetryAttempts: 2, MaximumEventAge: 10 * time.Minute})
	s.InvokeAsync(arn, []byte(`{"do":"fail","name":"the table is unavailable","ms":50}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.AsyncStats(); st.Invoked != 3 {
		t.Errorf("%d attempts, want the first and Lambda's 2 retries, all within the event's 10 minutes", st.Invoked)
	}
	msgs := dlq.messages()
	if len(msgs) != 1 || strings.Contains(aws.ToString(msgs[0].MessageAttributes["ErrorMessage"].StringValue), "maximum age") {
		t.Errorf("dead letters %v, want the event after its retries, not for its age", msgs)
	}
}

func TestTheAccountsConcurrencyIsSharedByTheFunctionsWithoutAReservation(t *testing.T) {
	c := clock.Real()
	store := cloudwatch.NewStore(c)
	s := lambda.NewService(lambda.Options{Limits: true, AccountConcurrency: 2, Clock: c, Metrics: store, Events: &events.Feed{}, Log: t.Output()})
	t.Cleanup(func() { s.Close() })
	one := 1
	reserved := "arn:aws:lambda:us-east-1:000000000000:function:RedriveDeadLetters"
	shared := "arn:aws:lambda:us-east-1:000000000000:function:PutRideRecordSns"
	s.Deploy(lambda.Function{Name: "RedriveDeadLetters", ARN: reserved, Binary: echofn, Timeout: 5 * time.Second, ReservedConcurrency: &one})
	s.Deploy(lambda.Function{Name: "PutRideRecordSns", ARN: shared, Binary: echofn, Timeout: 5 * time.Second})
	// The account's 2, less the 1 reserved: one execution for every other function.
	first := busy(t, s, store, shared, 300*time.Millisecond)
	if _, err := s.Invoke(context.Background(), shared, []byte(`{}`)); !errors.Is(err, lambda.ErrThrottled) {
		t.Errorf("a second unreserved call answered %v, want it throttled", err)
	}
	if _, err := s.Invoke(context.Background(), reserved, []byte(`{}`)); err != nil {
		t.Errorf("the reserved function's call answered %v, want it run on its reservation", err)
	}
	<-first
}

func TestWithoutLimitsNoCallIsThrottled(t *testing.T) {
	zero := 0
	s := lambda.NewService(lambda.Options{Events: &events.Feed{}, Log: t.Output()})
	t.Cleanup(func() { s.Close() })
	arn := "arn:aws:lambda:us-east-1:000000000000:function:PutRideRecordSns"
	s.Deploy(lambda.Function{Name: "PutRideRecordSns", ARN: arn, Binary: echofn, Timeout: 5 * time.Second, ReservedConcurrency: &zero})
	if res, err := s.Invoke(context.Background(), arn, []byte(`{"do":"echo","value":1}`)); err != nil || string(res.Payload) != "1" {
		t.Errorf("without limits a call answered %s, %v", res.Payload, err)
	}
}
