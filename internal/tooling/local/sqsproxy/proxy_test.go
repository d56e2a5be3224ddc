package sqsproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// fakeSQS answers the JSON protocol as SQS does, for one queue holding what was sent.
func fakeSQS(t *testing.T) *httptest.Server {
	var held []string
	n := 0
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
			fmt.Fprintf(w, `{"Attributes":{"ApproximateNumberOfMessages":"%d","ApproximateNumberOfMessagesNotVisible":"0"}}`, len(held))
		default:
			t.Errorf("unexpected call %s", r.Header.Get("X-Amz-Target"))
		}
	}))
}

func TestTheProxyRecordsWhatSQSRecordsOfAQueue(t *testing.T) {
	upstream := fakeSQS(t)
	defer upstream.Close()
	c := clock.Scaled(600) // a minute lasts 100 ms
	cw := cloudwatch.New(cloudwatch.Options{Clock: c})
	p, err := Start(upstream.URL, cw.Store, c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
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
