package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// created is a function that answers 201 and keeps the events it was given.
type created struct{ got []map[string]any }

func (c *created) Invoke(_ context.Context, arn string, payload []byte) (localrt.Result, error) {
	var ev map[string]any
	_ = json.Unmarshal(payload, &ev)
	ev["arn"] = arn
	c.got = append(c.got, ev)
	return localrt.Result{Payload: []byte(`{"statusCode":201,"body":"{}"}`)}, nil
}

// api is a gateway's API with POST /ride integrated with fn, served in-process.
func api(t *testing.T, fn Invoker) *API { return apiWithTimeout(t, fn, 0) }

// apiWithTimeout is api with the integration timeout d (0: HTTP API's).
func apiWithTimeout(t *testing.T, fn Invoker, d time.Duration) *API {
	t.Helper()
	g := New(Options{Region: localstate.Region, Invoker: fn, Events: &events.Feed{}, Log: io.Discard, IntegrationTimeout: d})
	t.Cleanup(func() { g.Shutdown(context.Background()) })
	a, err := g.CreateAPI("a1b2c3d4e5")
	if err != nil {
		t.Fatal(err)
	}
	a.SetIntegration("i1", "arn:aws:lambda:us-east-1:123456789012:function:RequestRide")
	a.SetRoute("POST /ride", "i1")
	return a
}

func serve(a *API, method, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(`{}`)))
	return w
}

// The stage's throttling is API Gateway's token bucket
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html): a full
// burst is admitted at once, then requests beyond the rate get 429.
func TestAStageAdmitsItsBurstThenAnswers429(t *testing.T) {
	a := api(t, &created{})
	a.SetThrottle(1, 3)
	var codes []int
	for range 5 {
		codes = append(codes, serve(a, http.MethodPost, "/ride").Code)
	}
	if want := []int{201, 201, 201, 429, 429}; !slices.Equal(codes, want) {
		t.Errorf("five requests at once at 1/s with a burst of 3 got %v, want %v", codes, want)
	}
	if w := serve(a, http.MethodPost, "/ride"); w.Body.String() != `{"message":"Too Many Requests"}` {
		t.Errorf("a throttled request got %q, want API Gateway's message", w.Body.String())
	}
}

func TestARouteInvokesItsFunctionWithPayloadFormat2(t *testing.T) {
	fn := &created{}
	a := api(t, fn)
	if w := serve(a, http.MethodPost, "/ride"); w.Code != http.StatusCreated || w.Header().Get("Apigw-Requestid") == "" {
		t.Fatalf("POST /ride = %d (request ID %q), want 201 with a request ID", w.Code, w.Header().Get("Apigw-Requestid"))
	}
	if len(fn.got) != 1 || fn.got[0]["version"] != "2.0" || fn.got[0]["routeKey"] != "POST /ride" ||
		fn.got[0]["arn"] != "arn:aws:lambda:us-east-1:123456789012:function:RequestRide" {
		t.Errorf("the function got %v, want one version 2.0 event of POST /ride", fn.got)
	}
	if w := serve(a, http.MethodGet, "/ride"); w.Code != http.StatusNotFound || len(fn.got) != 1 {
		t.Errorf("GET /ride = %d and %d invocations, want 404 and no invocation", w.Code, len(fn.got))
	}
}

// An API answers other origins as its CorsConfiguration says: the origins it allows get their
// Access-Control-Allow-Origin (a preflight too), any other origin is refused before the function
// runs, and an API that declares no CORS answers no other origin.
func TestAnAPIAnswersOtherOriginsAsItsCORSAllows(t *testing.T) {
	rider := map[string]any{"AllowOrigins": []any{"http://rider.example"}, "AllowMethods": []any{"POST"}, "AllowHeaders": []any{"Content-Type"}}
	for _, tc := range []struct {
		name           string
		cors           map[string]any
		origin, method string
		status         int
		allowOrigin    string
	}{
		{"an allowed origin", rider, "http://rider.example", http.MethodPost, 201, "http://rider.example"},
		{"an allowed origin's preflight", rider, "http://rider.example", http.MethodOptions, 204, "http://rider.example"},
		{"any origin, where the API allows *", map[string]any{"AllowOrigins": []any{"*"}}, "http://evil.example", http.MethodPost, 201, "*"},
		{"another origin", rider, "http://evil.example", http.MethodPost, 403, ""},
		{"another origin's preflight", rider, "http://evil.example", http.MethodOptions, 403, ""},
		{"any origin, where the API declares no CORS", nil, "http://evil.example", http.MethodPost, 403, ""},
		{"no origin: not a page", nil, "", http.MethodPost, 201, ""},
		{"the API's own origin", nil, "http://example.com", http.MethodPost, 201, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := &created{}
			a := api(t, fn)
			a.SetCORS(tc.cors)
			r := httptest.NewRequest(tc.method, "/ride", strings.NewReader(`{}`))
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.method == http.MethodOptions {
				r.Header.Set("Access-Control-Request-Method", "POST")
			}
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			if w.Code != tc.status || w.Header().Get("Access-Control-Allow-Origin") != tc.allowOrigin {
				t.Errorf("%s /ride from %q = %d (CORS %q), want %d (CORS %q)", tc.method, tc.origin, w.Code, w.Header().Get("Access-Control-Allow-Origin"), tc.status, tc.allowOrigin)
			}
			if invoked := len(fn.got) > 0; invoked != (tc.status == 201) {
				t.Errorf("the function ran: %v", invoked)
			}
		})
	}
}

// slow is a function that answers after its caller stops waiting.
type slow struct{}

func (slow) Invoke(ctx context.Context, _ string, _ []byte) (localrt.Result, error) {
	<-ctx.Done()
	return localrt.Result{}, ctx.Err()
}

// throttled is a function Lambda throttles.
type throttled struct{}

func (throttled) Invoke(context.Context, string, []byte) (localrt.Result, error) {
	return localrt.Result{}, errors.New("TooManyRequestsException: Rate Exceeded.")
}

// An integration that does not answer within the timeout (30 s on AWS, 50 ms here) is answered
// 503 as HTTP APIs answer it.
func TestAnIntegrationPastItsTimeoutIsAnswered503ServiceUnavailable(t *testing.T) {
	a := apiWithTimeout(t, slow{}, 50*time.Millisecond)
	start := time.Now()
	w := serve(a, http.MethodPost, "/ride")
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != `{"message":"Service Unavailable"}` {
		t.Errorf("a function past the integration timeout got %d %s, want 503 {\"message\":\"Service Unavailable\"}", w.Code, w.Body.String())
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the answer took %s, want it at the integration timeout", took)
	}
	if New(Options{}).opts.IntegrationTimeout != 30*time.Second {
		t.Error("the default integration timeout is not HTTP API's 30 seconds")
	}
}

func TestAThrottledFunctionIsAnswered500InternalServerError(t *testing.T) {
	w := serve(api(t, throttled{}), http.MethodPost, "/ride")
	if w.Code != http.StatusInternalServerError || w.Body.String() != `{"message":"Internal Server Error"}` {
		t.Errorf("a throttled invocation got %d %s, want 500 {\"message\":\"Internal Server Error\"}", w.Code, w.Body.String())
	}
}
