// Package sns is SNS to Lambda on the local system: the functions' SNS endpoint (a publish to a
// topic with Lambda subscribers fans out here), the bridge that receives the emulator's own
// deliveries, and the Lambda subscriptions both hand messages to, as SNS invokes Lambda:
// asynchronously (https://docs.aws.amazon.com/sns/latest/dg/sns-lambda-as-subscriber.html).
// Topics and subscriptions themselves live in the emulator; the email subscriptions deliver into
// the local outbox (email.go).
package sns

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
)

// Lambda invokes a subscribed function asynchronously.
type Lambda interface {
	InvokeAsync(arn string, payload []byte)
}

// Service is the SNS front and bridge on one loopback listener.
type Service struct {
	srv    *loopback.Server
	proxy  *httputil.ReverseProxy
	lambda Lambda
	events *events.Feed

	// Now is the time of the emails sent (the local system's clock); nil: the wall clock.
	Now func() time.Time

	mu     sync.RWMutex
	subs   map[string]subscription // token -> subscription
	emails map[string]emailSub     // subscription ARN -> email subscription
	outbox []Mail
}

type subscription struct{ topicArn, functionArn, subscriptionArn string }

// Start serves SNS for the functions in front of the emulator at endpoint, on a free loopback
// port.
func Start(endpoint string, lambda Lambda, feed *events.Feed) (*Service, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("emulator endpoint %q: %w", endpoint, err)
	}
	s := &Service{proxy: httputil.NewSingleHostReverseProxy(target), lambda: lambda, events: feed,
		subs: map[string]subscription{}, emails: map[string]emailSub{}}
	s.proxy.ModifyResponse = s.subscribed
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sns/{token}", s.deliver) // the emulator's delivery to an HTTP subscriber
	mux.HandleFunc("/", s.front)                   // the SNS API, for the functions
	if s.srv, err = loopback.Serve("SNS", 0, mux); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the functions' SNS endpoint (AWS_ENDPOINT_URL_SNS).
func (s *Service) URL() string { return s.srv.URL }

// Endpoint is where the emulator delivers the messages of the subscription token names.
func (s *Service) Endpoint(token string) string { return s.srv.URL + "/sns/" + token }

// Shutdown stops the listener.
func (s *Service) Shutdown(ctx context.Context) {
	if s != nil {
		s.srv.Shutdown(ctx)
	}
}

// Subscribe hands the messages of topicArn to the function: the subscription token names, whose
// ARN is subscriptionArn.
func (s *Service) Subscribe(token, topicArn, functionArn, subscriptionArn string) {
	s.mu.Lock()
	s.subs[token] = subscription{topicArn, functionArn, subscriptionArn}
	s.mu.Unlock()
}

// Unsubscribe ends the subscription token names.
func (s *Service) Unsubscribe(token string) {
	s.mu.Lock()
	delete(s.subs, token)
	s.mu.Unlock()
}

// subscribers are the Lambda subscriptions of topicArn.
func (s *Service) subscribers(topicArn string) []subscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []subscription
	for _, sub := range s.subs {
		if sub.topicArn == topicArn {
			out = append(out, sub)
		}
	}
	return out
}

// hasSubscribers says whether the local system delivers the topic's messages itself: it has
// Lambda or email subscriptions.
func (s *Service) hasSubscribers(topicArn string) bool {
	return len(s.subscribers(topicArn)) > 0 || len(s.emailSubscribers(topicArn)) > 0
}

// unsubscribeArn ends the Lambda subscription of that ARN, as an Unsubscribe through the SNS
// API does (the deploy ends its own by token).
func (s *Service) unsubscribeArn(subscriptionArn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for token, sub := range s.subs {
		if sub.subscriptionArn == subscriptionArn {
			delete(s.subs, token)
		}
	}
}
