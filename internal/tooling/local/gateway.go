package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// HTTP API limits that the local gateway keeps as API Gateway does.
const (
	maxPayload         = 10 << 20 // 10 MB request payload
	integrationTimeout = 30 * time.Second
)

// httpAPI is one AWS::ApiGatewayV2::Api on its own loopback port: routes to integrations to
// functions, payload format 2.0, the stage's throttling and the API's CORS preflight.
type httpAPI struct {
	sys      *System
	id, url  string
	srv      *http.Server
	mu       sync.RWMutex
	routes   map[string]string // route key -> integration ID
	auth     map[string]string // route key -> AuthorizationType, when not NONE
	integs   map[string]string // integration ID -> function ARN
	cors     map[string]any
	throttle *bucket
}

func newHTTPAPI(sys *System, id string) (*httpAPI, error) {
	a := &httpAPI{sys: sys, id: id, routes: map[string]string{}, auth: map[string]string{}, integs: map[string]string{}}
	srv, addr, err := serve(a)
	if err != nil {
		return nil, err
	}
	a.srv, a.url = srv, "http://"+addr
	return a, nil
}

func (a *httpAPI) close() {
	ctx, cancel := context.WithTimeout(context.Background(), integrationTimeout)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
}

func (a *httpAPI) setRoute(key, integ string) {
	a.mu.Lock()
	a.routes[key] = integ
	a.mu.Unlock()
}

// deleteRoute removes key unless an update already pointed it at another integration.
func (a *httpAPI) deleteRoute(key, integ string) {
	a.mu.Lock()
	if a.routes[key] == integ {
		delete(a.routes, key)
	}
	a.mu.Unlock()
}

func (a *httpAPI) setIntegration(id, functionArn string) {
	a.mu.Lock()
	a.integs[id] = functionArn
	a.mu.Unlock()
}

func (a *httpAPI) deleteIntegration(id string) {
	a.mu.Lock()
	delete(a.integs, id)
	a.mu.Unlock()
}

func (a *httpAPI) setCORS(v any) {
	m, _ := v.(map[string]any)
	a.mu.Lock()
	a.cors = m
	a.mu.Unlock()
}

func (a *httpAPI) setThrottle(rate, burst float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rate <= 0 {
		a.throttle = nil
		return
	}
	a.throttle = newBucket(rate, burst)
}

func (a *httpAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := randomID(16)
	w.Header().Set("Apigw-Requestid", requestID)
	a.mu.RLock()
	throttle, cors := a.throttle, a.cors
	integ, routeKey := a.match(r.Method, r.URL.Path)
	functionArn := a.integs[integ]
	authorization := a.auth[routeKey]
	a.mu.RUnlock()
	w, done := a.sys.watchRequest(w, r, routeKey)
	defer done()

	if cors != nil {
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			preflight(w, cors)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	if throttle != nil && !throttle.take() {
		gatewayError(w, http.StatusTooManyRequests, "Too Many Requests")
		return
	}
	if integ == "" {
		gatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > maxPayload {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	if authorization == "AWS_IAM" {
		if err := verifySigV4(r, body, a.sys.opts.Region, time.Now(), localSecret); err != nil {
			fmt.Fprintf(a.sys.opts.Log, "%s %s: 403: %v\n", r.Method, r.URL.Path, err)
			gatewayError(w, http.StatusForbidden, "Forbidden")
			return
		}
	}
	event := a.event(r, routeKey, requestID, body)
	payload, _ := json.Marshal(event)

	ctx, cancel := context.WithTimeout(r.Context(), integrationTimeout)
	defer cancel()
	res, err := a.sys.invoke(ctx, functionArn, payload)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		gatewayError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	case err != nil || res.FunctionError != "":
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeLambdaResponse(w, res.Payload)
}

// match finds the route for method and path: an exact "METHOD /path", "ANY /path", then
// "$default".
func (a *httpAPI) match(method, path string) (integ, routeKey string) {
	for _, key := range []string{method + " " + path, "ANY " + path, "$default"} {
		if id, ok := a.routes[key]; ok {
			return id, key
		}
	}
	return "", ""
}

func (a *httpAPI) event(r *http.Request, routeKey, requestID string, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now().UTC()
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = strings.Join(v, ",")
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: headers, QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, AccountID: localstate.AccountID, Stage: "$default", RequestID: requestID,
			APIID: a.id, DomainName: r.Host, DomainPrefix: a.id,
			Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: strings.Split(r.RemoteAddr, ":")[0], UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// writeLambdaResponse maps a function's answer as payload format 2.0 does: an object with a
// statusCode is a response; anything else is a 200 JSON body.
func writeLambdaResponse(w http.ResponseWriter, payload []byte) {
	var resp events.APIGatewayV2HTTPResponse
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil || json.Unmarshal(payload, &resp) != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func gatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, message)
}

func preflight(w http.ResponseWriter, cors map[string]any) {
	join := func(k string) string {
		list, _ := cors[k].([]any)
		var out []string
		for _, v := range list {
			out = append(out, fmt.Sprint(v))
		}
		return strings.Join(out, ",")
	}
	w.Header().Set("Access-Control-Allow-Origin", join("AllowOrigins"))
	w.Header().Set("Access-Control-Allow-Methods", join("AllowMethods"))
	w.Header().Set("Access-Control-Allow-Headers", join("AllowHeaders"))
	w.WriteHeader(http.StatusNoContent)
}

// invoke calls the function synchronously. A function replaced by a deploy while the call was
// on its way is looked up again, so a swap never fails a request.
func (s *System) invoke(ctx context.Context, arn string, payload []byte) (localrt.Result, error) {
	for attempt := 0; ; attempt++ {
		fn := s.function(arn)
		if fn == nil {
			return localrt.Result{}, fmt.Errorf("%w: %s", errNoFunction, arn)
		}
		start := time.Now()
		res, err := fn.rt.Invoke(ctx, payload)
		if errors.Is(err, localrt.ErrClosed) && attempt < 3 {
			continue
		}
		s.invoked(fn.name, start, res, err)
		return res, err
	}
}

// bucket is a token bucket: rate tokens a second, at most burst banked.
type bucket struct {
	mu          sync.Mutex
	rate, burst float64
	tokens      float64
	last        time.Time
}

func newBucket(rate, burst float64) *bucket {
	if burst < 1 {
		burst = 1
	}
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

func (b *bucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
