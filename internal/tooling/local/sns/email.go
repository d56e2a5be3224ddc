package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// The email subscriptions (protocols email and email-json): the emulator keeps them but sends
// nothing, so the local system delivers to them itself, into an outbox a person (wildrydes alarms,
// the console) or a test reads. A subscription is confirmed at once: its confirmation request
// lands in the outbox too. https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html

// Mail is one email SNS sent.
type Mail struct {
	Time                      time.Time
	To, Protocol              string
	TopicArn, SubscriptionArn string
	MessageID                 string `json:",omitempty"`
	Subject, Body             string
}

// keptMails bounds the outbox.
const keptMails = 1000

type emailSub struct{ topicArn, protocol, endpoint string }

// IsEmail says whether a subscription's protocol delivers by email.
func IsEmail(protocol string) bool { return protocol == "email" || protocol == "email-json" }

// SubscribeEmail delivers the messages of topicArn to an email address from now on, and mails it
// the confirmation request.
func (s *Service) SubscribeEmail(topicArn, protocol, endpoint, subscriptionArn string) {
	s.mu.Lock()
	s.emails[subscriptionArn] = emailSub{topicArn, protocol, endpoint}
	s.mu.Unlock()
	s.mail(Mail{To: endpoint, Protocol: protocol, TopicArn: topicArn, SubscriptionArn: subscriptionArn,
		Subject: "AWS Notification - Subscription Confirmation",
		Body: fmt.Sprintf("You have chosen to subscribe to the topic:\n%s\n\nTo confirm this subscription, click or visit the link in the message AWS sends. "+
			"The local system confirms it at once.\n", topicArn)})
}

// UnsubscribeEmail ends an email subscription.
func (s *Service) UnsubscribeEmail(subscriptionArn string) {
	s.mu.Lock()
	delete(s.emails, subscriptionArn)
	s.mu.Unlock()
}

func (s *Service) emailSubscribers(topicArn string) map[string]emailSub {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]emailSub{}
	for arn, e := range s.emails {
		if e.topicArn == topicArn {
			out[arn] = e
		}
	}
	return out
}

func (s *Service) mail(m Mail) {
	if s.Now != nil {
		m.Time = s.Now().UTC()
	} else {
		m.Time = time.Now().UTC()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outbox = append(s.outbox, m)
	if len(s.outbox) > keptMails {
		s.outbox = slices.Delete(s.outbox, 0, len(s.outbox)-keptMails)
	}
}

// Outbox lists the emails sent, oldest first.
func (s *Service) Outbox() []Mail {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.outbox)
}

// Publish publishes a message to a topic as SNS's Publish with a message structure does: each
// subscription gets the message of its protocol ("lambda", "email", "email-json"), else
// messages["default"]. It is how the local CloudWatch's alarm actions notify.
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
func (s *Service) Publish(_ context.Context, topicArn, subject string, messages map[string]string) error {
	if messages["default"] == "" {
		return fmt.Errorf("publish to %s: the message structure has no default message", topicArn)
	}
	entity := events.SNSEntity{Type: "Notification", MessageID: uuid.NewString(), TopicArn: topicArn, Subject: subject,
		Timestamp: time.Now().UTC(), SignatureVersion: "1", MessageAttributes: map[string]any{}}
	s.fanOut(entity, messages)
	return nil
}

// fanOut hands one message to every Lambda and email subscription of its topic.
func (s *Service) fanOut(entity events.SNSEntity, messages map[string]string) {
	of := func(protocol string) string {
		if m, ok := messages[protocol]; ok {
			return m
		}
		return messages["default"]
	}
	s.events.Published(entity.MessageID, entity.TopicArn, messages["default"])
	for _, sub := range s.subscribers(entity.TopicArn) {
		e := entity
		e.Message = of("lambda")
		s.notify(sub, e)
	}
	for arn, e := range s.emailSubscribers(entity.TopicArn) {
		body := of(e.protocol)
		if e.protocol == "email-json" {
			b, _ := json.Marshal(snsDelivery{Type: "Notification", MessageId: entity.MessageID, TopicArn: entity.TopicArn,
				Subject: entity.Subject, Message: body, Timestamp: entity.Timestamp.Format(time.RFC3339Nano), SignatureVersion: "1"})
			body = string(b)
		}
		s.mail(Mail{To: e.endpoint, Protocol: e.protocol, TopicArn: entity.TopicArn, SubscriptionArn: arn,
			MessageID: entity.MessageID, Subject: entity.Subject, Body: body})
	}
}

var subscriptionArn = regexp.MustCompile(`<SubscriptionArn>([^<]+)</SubscriptionArn>`)

// subscribing carries a Subscribe or Unsubscribe call's form to the emulator's answer.
type subscribing struct{}

// subscribe passes an email Subscribe (or an Unsubscribe) on to the emulator; subscribed keeps
// the subscription from its answer, so that what is published to the topic reaches the outbox,
// and an Unsubscribe ends a Lambda or an email subscription locally too.
func (s *Service) subscribe(w http.ResponseWriter, r *http.Request, form url.Values, body []byte) {
	r = r.WithContext(context.WithValue(r.Context(), subscribing{}, form))
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	s.proxy.ServeHTTP(w, r)
}

func (s *Service) subscribed(resp *http.Response) error {
	form, ok := resp.Request.Context().Value(subscribing{}).(url.Values)
	if !ok || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	switch form.Get("Action") {
	case "Subscribe":
		if m := subscriptionArn.FindSubmatch(body); m != nil {
			s.SubscribeEmail(form.Get("TopicArn"), form.Get("Protocol"), form.Get("Endpoint"), string(m[1]))
		}
	case "Unsubscribe":
		s.UnsubscribeEmail(form.Get("SubscriptionArn"))
		s.unsubscribeArn(form.Get("SubscriptionArn"))
	}
	return err
}
