package requestride

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

const (
	topicARN    = "arn:aws:sns:us-east-1:123456789012:wild-rydes-rides"
	workshopReq = `{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`
)

var requestTime = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)

// fakeSNS records what is published and fails with err when it is set.
type fakeSNS struct {
	mu     sync.Mutex
	inputs []*sns.PublishInput
	err    error
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.inputs = append(f.inputs, in)
	return &sns.PublishOutput{}, nil
}

func (f *fakeSNS) published() []*sns.PublishInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.inputs)
}

// newHandler is RequestRide publishing to a fake topic, choosing Rocinante at a fixed time.
func newHandler(pub *fakeSNS) *Handler {
	return &Handler{
		Unicorns: Fleet{Intn: func(int) int { return 2 }},
		Handoff:  SNSPublisher{Client: pub, TopicARN: topicARN},
		Now:      func() time.Time { return requestTime },
		Logger:   slog.New(slog.DiscardHandler),
	}
}

func post(body string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{RouteKey: "POST /ride", Body: body}
	req.RequestContext.RequestID = "req-1"
	return req
}

func handle(t *testing.T, h *Handler, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned a Go error (API Gateway would answer a bare 500): %v", err)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := resp.Headers["Access-Control-Allow-Origin"]; got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
	return resp
}

// errorMessage is the "error" of a JSON error body; it fails the test if the body is anything else.
func errorMessage(t *testing.T, body string) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	msg, ok := e["error"].(string)
	if !ok || len(e) != 1 {
		t.Fatalf("body %s is not {\"error\": \"...\"}", body)
	}
	return msg
}

func TestABadRideRequestIsAnsweredWith400NamingTheProblem(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		base64 bool
		want   string
	}{
		{"an empty body is rejected", ``, false, "body is empty"},
		{"a body of white space is rejected as empty", " \n\t", false, "body is empty"},
		{"a body over 10 KB is rejected", `{"PickupLocation":{"Latitude":1,"Longitude":2},"Pad":"` + strings.Repeat("x", 10240) + `"}`, false, "over the 10240-byte limit"},
		{"a body that is not JSON is rejected", `PickupLocation=Boston`, false, "body is not valid JSON"},
		{"a truncated JSON body is rejected", `{"PickupLocation":{"Latitude":42.3525,`, false, "body is not valid JSON"},
		{"two JSON values are rejected", workshopReq + workshopReq, false, "body is not valid JSON"},
		{"a JSON array is not a ride request", `[{"PickupLocation":{"Latitude":1,"Longitude":2}}]`, false, "body must be a JSON object, got an array"},
		{"a JSON string is not a ride request", `"Boston"`, false, "body must be a JSON object, got a string"},
		{"a JSON null is not a ride request", `null`, false, "body must be a JSON object, got null"},
		{"a JSON number is not a ride request", `42`, false, "body must be a JSON object, got a number"},
		{"an empty object lacks the pickup location", `{}`, false, "PickupLocation is missing"},
		{"the pickup location is matched case-sensitively", `{"pickupLocation":{"Latitude":1,"Longitude":2}}`, false, "PickupLocation is missing"},
		{"a pickup location given as a string is rejected", `{"PickupLocation":"Boston"}`, false, "PickupLocation must be an object, got a string"},
		{"a pickup location given as an array is rejected", `{"PickupLocation":[42.3525,-71.0529]}`, false, "PickupLocation must be an object, got an array"},
		{"a null pickup location is rejected", `{"PickupLocation":null}`, false, "PickupLocation must be an object, got null"},
		{"a missing latitude is named", `{"PickupLocation":{"Longitude":-71.0529}}`, false, "PickupLocation.Latitude is missing"},
		{"a missing longitude is named", `{"PickupLocation":{"Latitude":42.3525}}`, false, "PickupLocation.Longitude is missing"},
		{"a latitude given as a string is rejected", `{"PickupLocation":{"Latitude":"42.3525","Longitude":-71.0529}}`, false, "PickupLocation.Latitude must be a number, got a string"},
		{"a longitude given as a string is rejected", `{"PickupLocation":{"Latitude":42.3525,"Longitude":"-71"}}`, false, "PickupLocation.Longitude must be a number, got a string"},
		{"a boolean latitude is rejected", `{"PickupLocation":{"Latitude":true,"Longitude":-71.0529}}`, false, "PickupLocation.Latitude must be a number, got a boolean"},
		{"a null longitude is rejected", `{"PickupLocation":{"Latitude":42.3525,"Longitude":null}}`, false, "PickupLocation.Longitude must be a number, got null"},
		{"an object latitude is rejected", `{"PickupLocation":{"Latitude":{},"Longitude":1}}`, false, "PickupLocation.Latitude must be a number, got an object"},
		{"a latitude north of the pole is rejected", `{"PickupLocation":{"Latitude":90.0001,"Longitude":-71.0529}}`, false, "PickupLocation.Latitude is 90.0001, outside [-90, 90]"},
		{"a latitude south of the pole is rejected", `{"PickupLocation":{"Latitude":-91,"Longitude":-71.0529}}`, false, "PickupLocation.Latitude is -91, outside [-90, 90]"},
		{"a longitude east of the antimeridian is rejected", `{"PickupLocation":{"Latitude":42.3525,"Longitude":180.5}}`, false, "PickupLocation.Longitude is 180.5, outside [-180, 180]"},
		{"a longitude west of the antimeridian is rejected", `{"PickupLocation":{"Latitude":42.3525,"Longitude":-181}}`, false, "PickupLocation.Longitude is -181, outside [-180, 180]"},
		{"a latitude that overflows a float is not finite", `{"PickupLocation":{"Latitude":1e400,"Longitude":1}}`, false, "PickupLocation.Latitude must be a finite number"},
		{"a repeated latitude is ambiguous", `{"PickupLocation":{"Latitude":1,"Longitude":2,"Latitude":3}}`, false, "PickupLocation.Latitude appears more than once"},
		{"a repeated pickup location is ambiguous", `{"PickupLocation":{"Latitude":1,"Longitude":2},"PickupLocation":{"Latitude":3,"Longitude":4}}`, false, "PickupLocation appears more than once"},
		{"a base64 body that does not decode is rejected", `not base64!`, true, "body is not valid base64"},
		{"a base64 body is checked after decoding", base64.StdEncoding.EncodeToString([]byte(`{"PickupLocation":{}}`)), true, "PickupLocation.Latitude is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakeSNS{}
			req := post(tt.body)
			req.IsBase64Encoded = tt.base64
			resp := handle(t, newHandler(pub), req)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", resp.StatusCode, resp.Body)
			}
			if msg := errorMessage(t, resp.Body); !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want it to say %q", msg, tt.want)
			}
			if n := len(pub.published()); n != 0 {
				t.Errorf("a rejected request published %d rides", n)
			}
		})
	}
}

func TestAGoodRideRequestIsAnsweredWith201AndTheRideThatWasPublished(t *testing.T) {
	tests := []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
	}{
		{"the workshop body is accepted", post(workshopReq)},
		{"a base64-encoded body is accepted", events.APIGatewayV2HTTPRequest{Body: base64.StdEncoding.EncodeToString([]byte(workshopReq)), IsBase64Encoded: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakeSNS{}
			resp := handle(t, newHandler(pub), tt.req)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("status = %d, want 201; body %s", resp.StatusCode, resp.Body)
			}

			var fields map[string]json.RawMessage
			if err := json.Unmarshal([]byte(resp.Body), &fields); err != nil {
				t.Fatalf("body %s is not a JSON object: %v", resp.Body, err)
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range fields {
					if !yield(k) {
						return
					}
				}
			})
			if want := []string{"PickupLocation", "RequestTime", "RideId", "Unicorn"}; !slices.Equal(keys, want) {
				t.Errorf("body fields = %v, want exactly %v", keys, want)
			}
			var r ride.Ride
			if err := json.Unmarshal([]byte(resp.Body), &r); err != nil {
				t.Fatal(err)
			}
			id, err := uuid.Parse(r.RideID)
			if err != nil || id.Version() != 4 || id.String() != r.RideID {
				t.Errorf("RideId %q is not a canonical version 4 UUID", r.RideID)
			}
			if _, err := time.Parse(time.RFC3339, r.RequestTime); err != nil || r.RequestTime != "2026-11-22T10:00:00.123Z" {
				t.Errorf("RequestTime = %q, want the clock's time in RFC 3339 UTC with milliseconds", r.RequestTime)
			}
			if r.Unicorn != (ride.Unicorn{Name: "Rocinante", Color: "Yellow"}) {
				t.Errorf("Unicorn = %+v, want Rocinante from the fleet", r.Unicorn)
			}
			want := `{"RideId":"` + r.RideID + `","Unicorn":{"Name":"Rocinante","Color":"Yellow"},` +
				`"RequestTime":"2026-11-22T10:00:00.123Z","PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`
			if resp.Body != want {
				t.Errorf("body =\n%s\nwant\n%s", resp.Body, want)
			}

			pubs := pub.published()
			if len(pubs) != 1 {
				t.Fatalf("published %d messages, want 1", len(pubs))
			}
			in := pubs[0]
			if *in.TopicArn != topicARN || *in.Message != resp.Body || in.Subject != nil || in.MessageAttributes != nil {
				t.Errorf("published topic %q, subject %v, attributes %v, message %s; want the ride JSON alone on %s",
					*in.TopicArn, in.Subject, in.MessageAttributes, *in.Message, topicARN)
			}
		})
	}
}

func TestEachRideGetsItsOwnID(t *testing.T) {
	h := newHandler(&fakeSNS{})
	seen := map[string]bool{}
	for range 50 {
		var r ride.Ride
		if err := json.Unmarshal([]byte(handle(t, h, post(workshopReq)).Body), &r); err != nil {
			t.Fatal(err)
		}
		if seen[r.RideID] {
			t.Fatalf("ride ID %s handed out twice", r.RideID)
		}
		seen[r.RideID] = true
	}
}

func TestWhenTheRideCannotBePublishedTheRiderGets502WithoutARideID(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"an SNS error names its code but not its message", &smithy.GenericAPIError{Code: "AuthorizationError", Message: "User arn:aws:iam::123456789012:role/x is not authorized"},
			"ride could not be recorded: publish failed (AuthorizationError)"},
		{"a publish that runs out of time says so", context.DeadlineExceeded, "ride could not be recorded: publish timed out"},
		{"any other failure is reported as a failed publish", errors.New("connection reset"), "ride could not be recorded: publish failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := handle(t, newHandler(&fakeSNS{err: tt.err}), post(workshopReq))
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status = %d, want 502", resp.StatusCode)
			}
			if msg := errorMessage(t, resp.Body); msg != tt.want {
				t.Errorf("error = %q, want %q", msg, tt.want)
			}
			if strings.Contains(resp.Body, "RideId") || strings.Contains(resp.Body, "123456789012") {
				t.Errorf("body %s tells the rider a ride ID or an account", resp.Body)
			}
		})
	}
}

func TestAUnicornFromTheFleetServiceIsUsedAndItsFailuresAre502Quickly(t *testing.T) {
	tests := []struct {
		name    string
		serve   http.HandlerFunc
		down    bool
		status  int
		want    string // the error, or the unicorn's name on 201
		unicorn ride.Unicorn
	}{
		{name: "the service's unicorn is the ride's unicorn", status: http.StatusCreated,
			serve: func(w http.ResponseWriter, _ *http.Request) {
				io.WriteString(w, `{"Name":"Shadowfax","Color":"White","Age":9}`)
			},
			unicorn: ride.Unicorn{Name: "Shadowfax", Color: "White"}},
		{name: "a service that is down is reported", down: true, status: http.StatusBadGateway,
			want: "unicorn service unavailable: connection failed"},
		{name: "a service slower than the client timeout is given up on", status: http.StatusBadGateway,
			serve: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(5 * time.Second):
				case <-r.Context().Done():
				}
			},
			want: "unicorn service unavailable: timed out"},
		{name: "a service error status is reported with the status", status: http.StatusBadGateway,
			serve: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "no unicorns today", http.StatusServiceUnavailable)
			},
			want: "unicorn service unavailable: answered 503 Service Unavailable"},
		{name: "an answer that is not JSON is reported", status: http.StatusBadGateway,
			serve: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `<html>`) },
			want:  "unicorn service unavailable: answered with something other than a unicorn"},
		{name: "a unicorn without a color is reported", status: http.StatusBadGateway,
			serve: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"Name":"Shadowfax","Color":""}`) },
			want:  "unicorn service unavailable: answered a unicorn without a name or a color"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.serve)
			if tt.down {
				srv.Close()
			} else {
				defer srv.Close()
			}
			pub := &fakeSNS{}
			h := newHandler(pub)
			h.Unicorns = HTTPUnicornSource{URL: srv.URL, Client: &http.Client{Timeout: 100 * time.Millisecond}}

			start := time.Now()
			resp := handle(t, h, post(workshopReq))
			if took := time.Since(start); took > time.Second {
				t.Errorf("the rider waited %v; the client timeout is 100ms", took)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, resp.Body)
			}
			if tt.status != http.StatusCreated {
				if msg := errorMessage(t, resp.Body); msg != tt.want {
					t.Errorf("error = %q, want %q", msg, tt.want)
				}
				if strings.Contains(resp.Body, "127.0.0.1") {
					t.Errorf("body %s gives away the service's address", resp.Body)
				}
				if n := len(pub.published()); n != 0 {
					t.Errorf("published %d rides without a unicorn", n)
				}
				return
			}
			var r ride.Ride
			if err := json.Unmarshal([]byte(resp.Body), &r); err != nil {
				t.Fatal(err)
			}
			if r.Unicorn != tt.unicorn {
				t.Errorf("unicorn = %+v, want %+v", r.Unicorn, tt.unicorn)
			}
		})
	}
}

func TestTheRideIsPostedToTheRecordServiceBeforeSNSExists(t *testing.T) {
	tests := []struct {
		name   string
		serve  http.HandlerFunc
		status int
		want   string
	}{
		{name: "a 201 from the record service is a recorded ride", status: http.StatusCreated,
			serve: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"success": true}`)
			}},
		{name: "an error status from the record service is a 502 naming the status", status: http.StatusBadGateway,
			serve: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, `{"message":"Internal Server Error"}`, 500)
			},
			want: "ride could not be recorded: record service answered 500 Internal Server Error"},
		{name: "a record service slower than the client timeout is a 502", status: http.StatusBadGateway,
			serve: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(5 * time.Second):
				case <-r.Context().Done():
				}
			},
			want: "ride could not be recorded: timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct {
				sync.Mutex
				method, contentType string
				body                []byte
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got.Lock()
				got.method, got.contentType, got.body = r.Method, r.Header.Get("Content-Type"), b
				got.Unlock()
				tt.serve(w, r)
			}))
			defer srv.Close()
			h := newHandler(nil)
			h.Handoff = HTTPRecorder{URL: srv.URL, Client: &http.Client{Timeout: 100 * time.Millisecond}}

			resp := handle(t, h, post(workshopReq))
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, resp.Body)
			}
			got.Lock()
			defer got.Unlock()
			if got.method != http.MethodPost || got.contentType != "application/json" {
				t.Errorf("record service got %s with Content-Type %q, want a JSON POST", got.method, got.contentType)
			}
			if tt.status == http.StatusCreated {
				if string(got.body) != resp.Body {
					t.Errorf("record service got %s, the rider got %s", got.body, resp.Body)
				}
				return
			}
			if msg := errorMessage(t, resp.Body); msg != tt.want {
				t.Errorf("error = %q, want %q", msg, tt.want)
			}
			if _, err := ride.ParseRideRecord(got.body); err != nil {
				t.Errorf("record service got a body that is not a ride record: %v", err)
			}
		})
	}
}

func TestEachRequestIsLoggedAsOneJSONLineWithTheRideAndRequestIDs(t *testing.T) {
	var buf bytes.Buffer
	h := newHandler(&fakeSNS{})
	h.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	resp := handle(t, h, post(workshopReq))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d lines, want 1:\n%s", len(lines), buf.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatalf("log line %s is not JSON: %v", lines[0], err)
	}
	var r ride.Ride
	json.Unmarshal([]byte(resp.Body), &r)
	if entry["ride_id"] != r.RideID || entry["request_id"] != "req-1" || entry["outcome"] != "created" {
		t.Errorf("log line %s lacks ride_id %s, request_id req-1 or outcome created", lines[0], r.RideID)
	}
}

// discardSNS accepts every publish and keeps nothing, so a benchmark measures only the handler.
type discardSNS struct{}

func (discardSNS) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return &sns.PublishOutput{}, nil
}

func BenchmarkRequestRide(b *testing.B) {
	h := &Handler{
		Unicorns: Fleet{},
		Handoff:  SNSPublisher{Client: discardSNS{}, TopicARN: topicARN},
		Logger:   slog.New(slog.DiscardHandler),
	}
	req := post(workshopReq)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Handle(ctx, req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d, err %v", resp.StatusCode, err)
		}
	}
}
