// Package sqsproxy sits between the functions (and the Lambda service's dead-letter sends) and
// the emulator's SQS, to record what SQS records in CloudWatch that the emulator does not say:
// the messages sent to each queue and the age of its oldest message; and, every minute of the
// local clock, each queue's messages visible and not visible.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
package sqsproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
)

// Metrics keeps the queues' AWS/SQS metrics.
type Metrics interface {
	Put(m cloudwatch.Metric, value float64, unit string)
}

// Proxy forwards SQS calls to the emulator on its own loopback listener. It reads the calls of
// the AWS JSON protocol (the SDK's for SQS): SendMessage and SendMessageBatch count the messages
// sent, ReceiveMessage learns their receipt handles, DeleteMessage and DeleteMessageBatch forget
// them. Calls of the query protocol pass through uncounted.
type Proxy struct {
	srv     *loopback.Server
	proxy   *httputil.ReverseProxy
	metrics Metrics
	clock   *clock.Clock

	// calls counts every call through the proxy: while it stays put, a queue the emulator last
	// said held no message in flight or delayed still holds what it held.
	calls atomic.Int64

	mu       sync.Mutex
	sent     map[string]map[string]time.Time // queue name -> message ID -> sent at (AWS time)
	receipts map[string]string               // receipt handle -> message ID
	sampled  map[string]sample               // queue URL -> what the emulator last said
}

// sample is what the emulator said of a queue, after how many calls through the proxy, and when.
type sample struct {
	calls                    int64
	visible, hidden, delayed int
	at                       time.Time // wall time
}

// resampleAfter is how long a queue's counts are reused at most without asking the emulator: a
// call to the emulator's own endpoint (not through the proxy) shows within it.
const resampleAfter = 5 * time.Second

// Start serves a proxy to the emulator at endpoint on a free loopback port.
func Start(endpoint string, metrics Metrics, c *clock.Clock) (*Proxy, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("emulator endpoint %q: %w", endpoint, err)
	}
	p := &Proxy{proxy: httputil.NewSingleHostReverseProxy(target), metrics: metrics, clock: c,
		sent: map[string]map[string]time.Time{}, receipts: map[string]string{}, sampled: map[string]sample{}}
	p.proxy.ModifyResponse = p.answered
	if p.srv, err = loopback.Serve("SQS proxy", 0, p); err != nil {
		return nil, err
	}
	return p, nil
}

// URL is the proxy's endpoint: what the functions get as AWS_ENDPOINT_URL_SQS.
func (p *Proxy) URL() string { return p.srv.URL }

// Shutdown stops the listener.
func (p *Proxy) Shutdown(ctx context.Context) {
	if p != nil {
		p.srv.Shutdown(ctx)
	}
}

// The JSON protocol's targets the proxy reads.
const (
	targetSend        = "AmazonSQS.SendMessage"
	targetSendBatch   = "AmazonSQS.SendMessageBatch"
	targetReceive     = "AmazonSQS.ReceiveMessage"
	targetDelete      = "AmazonSQS.DeleteMessage"
	targetDeleteBatch = "AmazonSQS.DeleteMessageBatch"
)

// readCall carries a call's target and body to its answer.
type readCall struct{}

type callInfo struct {
	target string
	body   []byte
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	switch target := r.Header.Get("X-Amz-Target"); target {
	case targetSend, targetSendBatch, targetReceive, targetDelete, targetDeleteBatch:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 2<<20))
		r = r.WithContext(context.WithValue(r.Context(), readCall{}, callInfo{target, body}))
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	p.proxy.ServeHTTP(w, r)
}

// answered reads the emulator's answer to a call the proxy reads, and passes it on unchanged.
func (p *Proxy) answered(resp *http.Response) error {
	call, ok := resp.Request.Context().Value(readCall{}).(callInfo)
	if !ok || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err == nil {
		p.observe(call.target, call.body, body)
	}
	return err
}

// call is the parts of the requests and responses the proxy reads.
type call struct {
	QueueURL      string `json:"QueueUrl"`
	MessageID     string `json:"MessageId"`
	ReceiptHandle string
	Successful    []struct{ Id, MessageId string }
	Entries       []struct{ Id, ReceiptHandle string }
	Messages      []struct{ MessageId, ReceiptHandle string }
}

func (p *Proxy) observe(target string, reqBody, respBody []byte) {
	var req, resp call
	if json.Unmarshal(reqBody, &req) != nil || json.Unmarshal(respBody, &resp) != nil {
		return
	}
	queue := path.Base(req.QueueURL)
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	sent := func(id string) {
		if p.sent[queue] == nil {
			p.sent[queue] = map[string]time.Time{}
		}
		p.sent[queue][id] = now
		p.put(queue, "NumberOfMessagesSent", 1, "Count")
	}
	switch target {
	case targetSend:
		sent(resp.MessageID)
	case targetSendBatch:
		for _, s := range resp.Successful {
			sent(s.MessageId)
		}
	case targetReceive:
		for _, m := range resp.Messages {
			p.receipts[m.ReceiptHandle] = m.MessageId
		}
	case targetDelete:
		p.forget(queue, req.ReceiptHandle)
	case targetDeleteBatch:
		deleted := map[string]bool{}
		for _, s := range resp.Successful {
			deleted[s.Id] = true
		}
		for _, e := range req.Entries {
			if deleted[e.Id] {
				p.forget(queue, e.ReceiptHandle)
			}
		}
	}
}

// forget drops a deleted message. The caller holds p.mu.
func (p *Proxy) forget(queue, receipt string) {
	if id, ok := p.receipts[receipt]; ok {
		delete(p.receipts, receipt)
		delete(p.sent[queue], id)
	}
}

func (p *Proxy) put(queue, name string, v float64, unit string) {
	if p.metrics != nil {
		p.metrics.Put(cloudwatch.Metric{Namespace: "AWS/SQS", Name: name, Dimensions: map[string]string{"QueueName": queue}}, v, unit)
	}
}

// Sample records each queue's ApproximateNumberOfMessagesVisible and NotVisible (read from the
// emulator) and ApproximateAgeOfOldestMessage (of the messages sent through the proxy and not
// deleted), as SQS reports them every minute. A queue the emulator says is empty has no message
// left to age: one deleted behind the proxy's back is forgotten then.
//
// The emulator is asked again only when its answer may have changed: after a call through the
// proxy, while messages are in flight or delayed (their timeouts end on their own), or after
// resampleAfter. Otherwise its last counts are recorded again, as SQS reports every minute.
func (p *Proxy) Sample(ctx context.Context, client *sqs.Client, queueURLs []string) error {
	var firstErr error
	for _, u := range queueURLs {
		calls := p.calls.Load() // before asking: a call during the question is seen next time
		p.mu.Lock()
		last, ok := p.sampled[u]
		p.mu.Unlock()
		if !ok || last.calls != calls || last.hidden+last.delayed > 0 || time.Since(last.at) >= resampleAfter {
			out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
					sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
					sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("sampling %s: %w", u, err)
				}
				p.mu.Lock()
				delete(p.sampled, u)
				p.mu.Unlock()
				continue
			}
			count := func(a sqstypes.QueueAttributeName) int {
				n, _ := strconv.Atoi(out.Attributes[string(a)])
				return n
			}
			last = sample{calls: calls, at: time.Now(), visible: count(sqstypes.QueueAttributeNameApproximateNumberOfMessages),
				hidden:  count(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
				delayed: count(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed)}
		}
		queue := path.Base(u)
		now := p.clock.Now()
		p.mu.Lock()
		p.sampled[u] = last
		if last.visible+last.hidden+last.delayed == 0 {
			delete(p.sent, queue)
		}
		age := time.Duration(0)
		for _, at := range p.sent[queue] {
			age = max(age, now.Sub(at))
		}
		p.put(queue, "ApproximateNumberOfMessagesVisible", float64(last.visible), "Count")
		p.put(queue, "ApproximateNumberOfMessagesNotVisible", float64(last.hidden), "Count")
		p.put(queue, "ApproximateAgeOfOldestMessage", age.Seconds(), "Seconds")
		p.mu.Unlock()
	}
	return firstErr
}
