package rolloutguard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
)

// MaxResponseBytes is CloudFormation's limit on the body of a custom resource's answer
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
const MaxResponseBytes = 4096

// cut marks a Reason shortened to fit the limit.
const cut = " …(cut to fit CloudFormation's 4,096-byte answer)"

// Body is r as JSON, its Reason cut (at a character boundary) so that the body fits
// MaxResponseBytes; if even an empty Reason does not fit, its Data is dropped.
func Body(r cfn.Response) ([]byte, error) {
	b, err := encode(r)
	for err == nil && len(b) > MaxResponseBytes && r.Reason != "" {
		keep := len(r.Reason) - (len(b) - MaxResponseBytes) - len(cut)
		if keep <= 0 {
			r.Reason = ""
		} else {
			for keep > 0 && !utf8.RuneStart(r.Reason[keep]) {
				keep--
			}
			r.Reason = r.Reason[:keep] + cut
		}
		b, err = encode(r)
	}
	if err == nil && len(b) > MaxResponseBytes {
		r.Data = nil
		b, err = encode(r)
	}
	if err == nil && len(b) > MaxResponseBytes {
		err = fmt.Errorf("the answer is %d bytes without a reason or data, over CloudFormation's %d", len(b), MaxResponseBytes)
	}
	return b, err
}

func encode(r cfn.Response) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Responder PUTs answers to the pre-signed ResponseURL of a request.
type Responder struct {
	// Client sends each attempt; its Timeout bounds one attempt.
	Client *http.Client
	// Attempts in all, and the pause before the second (doubled before each later one); each
	// is also bounded by the context.
	Attempts int
	Backoff  time.Duration
}

// DefaultResponder bounds each attempt to 5 s and makes three.
func DefaultResponder() Responder {
	return Responder{Client: &http.Client{Timeout: 5 * time.Second}, Attempts: 3, Backoff: 250 * time.Millisecond}
}

// Send PUTs r to url, retrying a failed connection or a 5xx answer. A 4xx answer (an expired
// URL) is not retried.
func (s Responder) Send(ctx context.Context, url string, r cfn.Response) error {
	body, err := Body(r)
	if err != nil {
		return err
	}
	wait := s.Backoff
	for attempt := 1; ; attempt++ {
		err = s.put(ctx, url, body)
		var status statusError
		if err == nil || attempt >= s.Attempts || (errors.As(err, &status) && status < 500) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (then %w)", err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (s Responder) put(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	// The URL is pre-signed without a content type: sending one would break the signature.
	req.Header.Del("Content-Type")
	resp, err := s.Client.Do(req)
	if err != nil {
		return fmt.Errorf("answering CloudFormation: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answering CloudFormation: %w: %s", statusError(resp.StatusCode), bytes.TrimSpace(msg))
	}
	return nil
}

// statusError is the HTTP status of a refused answer.
type statusError int

func (e statusError) Error() string { return fmt.Sprintf("HTTP %d", int(e)) }
