package sqsproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// fakeQueue is what the fake SQS was asked, and the messages it says are in flight.
type fakeQueue struct {
	mu                  sync.Mutex
	attributesQuestions int
	inFlight            int
}

// fakeSQS answers the JSON protocol as SQS does, for one queue holding what was sent, and says
// how often it was asked for the queue's attributes.
func fakeSQS(t *testing.T) (*httptest.Server, *fakeQueue) {
	var held []string
	n := 0
	q := &fakeQueue{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Entries []struct{ Id string } }
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch r.Header.Get("X-Amz-Target") {
		case targetSend:
			n++
			held = append(held, fmt.Sprint("m", n))
			fmt.Fprintf(w, `{"MessageId":"m%d","MD5OfMessageBody":"99914b932bd37a50b983c5e7c90ae93b"}`, n) // the MD5 of "{}"
		case targetReceive:
			var ms []string
			for _, id := range held {
				ms = append(ms, fmt.Sprintf(`{"MessageId":"%s","ReceiptHandle":"r-%s","Body":"{}","MD5OfBody":"99914b932bd37a50b983c5e7c90ae93b"}`, id, id))
			}
			fmt.Fprintf(w, `{"Messages":[%s]}`, strings.Join(ms, ","))
		case targetDelete:
			held = held[1:]
			fmt.Fprint(w, `{}`)
		case "AmazonSQS.GetQueueAttributes":
			q.mu.Lock()
			q.attributesQuestions++
			fmt.Fprintf(w, `{"Attributes":{"ApproximateNumberOfMessages":"%d","ApproximateNumberOfMessagesNotVisible":"%d"}}`, len(held), q.inFlight)
			q.mu.Unlock()
		default:
			t.Errorf("unexpected call %s", r.Header.Get("X-Amz-Target"))
		}
	})), q
}

// startProxy serves a proxy to upstream on a clock whose minute lasts 100 ms, its metrics kept by
// a CloudWatch of its own; it stops when t ends.
func startProxy(t *testing.T, upstream string) (*Proxy, *cloudwatch.Service, *clock.Clock) {
	t.Helper()
	c := clock.Scaled(600)
	cw := cloudwatch.New(cloudwatch.Options{Clock: c})
	p, err := Start(upstream, cw.Store, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	return p, cw, c
}

// The emulator is asked again only when a queue's counts may have changed; in between, the same
// counts are recorded each minute, as SQS reports them.
func TestSamplingAsksTheEmulatorOnlyWhenTheCountsMayHaveChanged(t *testing.T) {
	upstream, q := fakeSQS(t)
	defer upstream.Close()
	p, cw, c := startProxy(t, upstream.URL)
	ctx := context.Background()
	viaProxy := sqs.NewFromConfig(localstate.Config("", p.URL()))
	direct := sqs.NewFromConfig(localstate.Config("", upstream.URL))
	const queue = "http://sqs.local/123456789012/dlq"
	asked := func() int {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.attributesQuestions
	}
	sampleWant := func(step string, wantAsked int) {
		t.Helper()
		if err := p.Sample(ctx, direct, []string{queue}); err != nil {
			t.Fatal(err)
		}
		if got := asked(); got != wantAsked {
			t.Errorf("%s: the emulator was asked %d times, want %d", step, got, wantAsked)
		}
	}
	send := func() {
		t.Helper()
		if _, err := viaProxy.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	send()
	sampleWant("first sample", 1)
	sampleWant("nothing happened since", 1)
	sampleWant("still nothing", 1)
	send()
	sampleWant("a message sent through the proxy", 2)
	q.mu.Lock()
	q.inFlight = 1 // a receive elsewhere: its visibility timeout ends on its own
	q.mu.Unlock()
	send()
	sampleWant("after a send", 3)
	sampleWant("a message in flight", 4)
	q.mu.Lock()
	q.inFlight = 0
	q.mu.Unlock()
	sampleWant("in flight no more", 5)
	sampleWant("nothing since", 5)

	stats, _ := cw.Store.Statistics(cloudwatch.Metric{Namespace: "AWS/SQS", Name: "ApproximateNumberOfMessagesVisible", Dimensions: map[string]string{"QueueName": "dlq"}},
		"SampleCount", c.Now().Add(-time.Hour), c.Now().Add(time.Minute), 2*time.Hour)
	if len(stats) != 1 || stats[0].Value != 8 {
		t.Errorf("ApproximateNumberOfMessagesVisible sample counts %+v, want one of 8: every sample recorded, asked or not", stats)
	}
	max, _ := cw.Store.Statistics(cloudwatch.Metric{Namespace: "AWS/SQS", Name: "ApproximateNumberOfMessagesVisible", Dimensions: map[string]string{"QueueName": "dlq"}},
		"Maximum", c.Now().Add(-time.Hour), c.Now().Add(time.Minute), 2*time.Hour)
	if len(max) != 1 || max[0].Value != 3 {
		t.Errorf("ApproximateNumberOfMessagesVisible maximum %+v, want 3 (the messages sent)", max)
	}
}

func TestTheProxyRecordsWhatSQSRecordsOfAQueue(t *testing.T) {
	upstream, _ := fakeSQS(t)
	defer upstream.Close()
	p, cw, c := startProxy(t, upstream.URL)
	ctx := context.Background()
	client := sqs.NewFromConfig(localstate.Config("", p.URL()))
	const queue = "http://sqs.local/123456789012/dlq"
	for range 2 {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(c.Wall(2 * time.Minute))
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{}})
	if err != nil || len(out.Messages) != 2 {
		t.Fatalf("received %v, %v", out, err)
	}
	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queue), ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if err := p.Sample(ctx, client, []string{queue}); err != nil {
		t.Fatal(err)
	}
	stat := func(name, stat string) float64 {
		stats, _ := cw.Store.Statistics(cloudwatch.Metric{Namespace: "AWS/SQS", Name: name, Dimensions: map[string]string{"QueueName": "dlq"}},
			stat, c.Now().Add(-time.Hour), c.Now().Add(time.Minute), 2*time.Hour)
		if len(stats) == 0 {
			return -1
		}
		return stats[0].Value
	}
	if got := stat("NumberOfMessagesSent", "Sum"); got != 2 {
		t.Errorf("NumberOfMessagesSent %g, want 2", got)
	}
	if got := stat("ApproximateNumberOfMessagesVisible", "Maximum"); got != 1 {
		t.Errorf("ApproximateNumberOfMessagesVisible %g, want the 1 message not deleted", got)
	}
	if got := stat("ApproximateAgeOfOldestMessage", "Maximum"); got < 120 || got > 600 {
		t.Errorf("ApproximateAgeOfOldestMessage %g s, want the 2 minutes (and a little) the message has waited", got)
	}
}
