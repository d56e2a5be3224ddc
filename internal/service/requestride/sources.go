package requestride

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// UnicornSource chooses the unicorn for a ride.
type UnicornSource interface {
	Unicorn(ctx context.Context) (ride.Unicorn, error)
}

// Handoff hands a new ride on to the ride-record service, which stores it.
type Handoff interface {
	HandOff(ctx context.Context, r ride.Ride) error
	// Path is how: design.HandoffSNS or design.HandoffHTTP (the Path dimension of RidesHandedOff).
	Path() string
}

// Publisher is the part of the SNS client SNSPublisher uses.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// upstreamError is a failure of a service RequestRide depends on. Reason is what the rider may be
// told; the wrapped error (AWS request IDs, ARNs, addresses) only goes to the log.
type upstreamError struct {
	reason string
	err    error
}

func (e *upstreamError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *upstreamError) Unwrap() error { return e.err }

// publicReason is the part of err that may go into a response body.
func publicReason(err error) string {
	if ue, ok := errors.AsType[*upstreamError](err); ok {
		return ue.reason
	}
	return "internal error"
}

// Fleet picks a unicorn from the built-in fleet; it never fails.
type Fleet struct {
	// Intn chooses an index in [0, n); nil means at random.
	Intn func(n int) int
}

func (f Fleet) Unicorn(context.Context) (ride.Unicorn, error) { return ride.Pick(f.Intn), nil }

// HTTPUnicornSource asks a unicorn fleet service: GET URL answers {"Name":..,"Color":..}.
type HTTPUnicornSource struct {
	URL string
	// Client should have a timeout of a few seconds: a slow fleet service must not hold the rider
	// until API Gateway gives up at 30 s. Nil means a client with DefaultTimeout.
	Client *http.Client
}

func (s HTTPUnicornSource) Unicorn(ctx context.Context) (ride.Unicorn, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return ride.Unicorn{}, fmt.Errorf("unicorn service URL: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := orDefault(s.Client).Do(req)
	if err != nil {
		return ride.Unicorn{}, &upstreamError{reason: transportReason(err), err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return ride.Unicorn{}, &upstreamError{reason: transportReason(err), err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		reason := "answered " + resp.Status
		return ride.Unicorn{}, &upstreamError{reason: reason, err: fmt.Errorf("GET %s: %s", s.URL, snippet(body))}
	}
	var u ride.Unicorn
	if err := json.Unmarshal(body, &u); err != nil {
		return ride.Unicorn{}, &upstreamError{reason: "answered with something other than a unicorn", err: err}
	}
	if strings.TrimSpace(u.Name) == "" || strings.TrimSpace(u.Color) == "" {
		return ride.Unicorn{}, &upstreamError{reason: "answered a unicorn without a name or a color", err: fmt.Errorf("body %s", snippet(body))}
	}
	return u, nil
}

// SNSPublisher publishes the ride JSON to the rides topic, as the original did: the message is the
// ride, with no subject and no attributes.
type SNSPublisher struct {
	Client   Publisher
	TopicARN string
}

func (SNSPublisher) Path() string { return design.HandoffSNS }

func (p SNSPublisher) HandOff(ctx context.Context, r ride.Ride) error {
	msg, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode ride %s: %w", r.RideID, err)
	}
	_, err = p.Client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(p.TopicARN), Message: aws.String(string(msg))})
	if err != nil {
		reason := "publish failed"
		if ae, ok := errors.AsType[smithy.APIError](err); ok {
			reason += " (" + ae.ErrorCode() + ")"
		} else if errors.Is(err, context.DeadlineExceeded) {
			reason = "publish timed out"
		}
		return &upstreamError{reason: reason, err: fmt.Errorf("publish ride %s: %w", r.RideID, err)}
	}
	return nil
}

// HTTPRecorder POSTs the ride JSON to the ride-record service (refactor steps 0..3, before SNS).
type HTTPRecorder struct {
	URL string
	// Client should have a timeout; nil means a client with DefaultTimeout.
	Client *http.Client
}

func (HTTPRecorder) Path() string { return design.HandoffHTTP }

func (h HTTPRecorder) HandOff(ctx context.Context, r ride.Ride) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode ride %s: %w", r.RideID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("ride record URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := orDefault(h.Client).Do(req)
	if err != nil {
		return &upstreamError{reason: transportReason(err), err: fmt.Errorf("post ride %s: %w", r.RideID, err)}
	}
	defer resp.Body.Close()
	// Read (a bounded amount of) the answer so the connection can be reused.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &upstreamError{reason: "record service answered " + resp.Status,
			err: fmt.Errorf("post ride %s: %s", r.RideID, snippet(answer))}
	}
	return nil
}

// transportReason describes a failed HTTP exchange without the URL or the addresses in it.
func transportReason(err error) string {
	var ue *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ue) && ue.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "request canceled"
	default:
		return "connection failed"
	}
}

// snippet shortens a response body for a log line.
func snippet(b []byte) string {
	const max = 200
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	return fmt.Sprintf("%q", b)
}

// DefaultTimeout bounds a call to another service over HTTP when the caller gives no client.
const DefaultTimeout = 3 * time.Second

func orDefault(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: DefaultTimeout} // shares http.DefaultTransport and its connections
}
