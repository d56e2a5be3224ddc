package local

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// bridge receives the emulator's SNS deliveries over HTTP and hands each to the subscribed
// function as Lambda's SNS event, asynchronously, as SNS invokes Lambda. Its listener also
// serves the local system's admin endpoints (admin.go).
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
	registerAdmin(mux, sys)
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
