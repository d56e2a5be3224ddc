package sns

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// notify hands one SNS message to a subscribed function as Lambda's SNS event, asynchronously.
func (s *Service) notify(sub subscription, entity events.SNSEntity) {
	event := events.SNSEvent{Records: []events.SNSEventRecord{{
		EventVersion: "1.0", EventSource: "aws:sns", EventSubscriptionArn: sub.subscriptionArn, SNS: entity,
	}}}
	payload, _ := json.Marshal(event)
	s.lambda.InvokeAsync(sub.functionArn, payload)
}

// snsDelivery is what SNS POSTs to an HTTP subscriber.
type snsDelivery struct {
	Type, MessageId, TopicArn, Subject, Message, Timestamp      string
	SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
	MessageAttributes                                           map[string]any
}

// deliver is the emulator's delivery to the HTTP subscription that stands for a Lambda one.
func (s *Service) deliver(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	sub, ok := s.subs[r.PathValue("token")]
	s.mu.RUnlock()
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
	s.notify(sub, events.SNSEntity{Type: d.Type, MessageID: d.MessageId, TopicArn: d.TopicArn, Subject: d.Subject,
		Message: d.Message, Timestamp: parseTime(d.Timestamp), SignatureVersion: d.SignatureVersion,
		Signature: d.Signature, SigningCertURL: d.SigningCertURL, UnsubscribeURL: d.UnsubscribeURL,
		MessageAttributes: attrs})
	w.WriteHeader(http.StatusOK)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
