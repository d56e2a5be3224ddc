package apigw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// HTTP API limits that the local gateway keeps as API Gateway does
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
const (
	maxPayload         = 10 << 20 // 10 MB request payload
	integrationTimeout = 30 * time.Second
)

// API is one AWS::ApiGatewayV2::Api on its own loopback port: routes to integrations to
// functions, payload format 2.0, the stage's throttling and the API's CORS preflight.
type API struct {
	gw       *Gateway
	ID, URL  string
	srv      *loopback.Server
	mu       sync.RWMutex
	routes   map[string]string // route key -> integration ID
	auth     map[string]string // route key -> AuthorizationType, when not NONE
	integs   map[string]string // integration ID -> function ARN
	cors     map[string]any
	throttle *rate.Limiter
}

// SetRoute points the route key at an integration.
func (a *API) SetRoute(key, integ string) {
	a.mu.Lock()
	a.routes[key] = integ
	a.mu.Unlock()
}

// DeleteRoute removes key unless an update already pointed it at another integration.
func (a *API) DeleteRoute(key, integ string) {
	a.mu.Lock()
	if a.routes[key] == integ {
		delete(a.routes, key)
	}
	a.mu.Unlock()
}

// SetAuthorization records a route's AuthorizationType (NONE, or absent, admits anyone).
func (a *API) SetAuthorization(key, authorization string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if authorization == "" || authorization == "NONE" {
		delete(a.auth, key)
		return
	}
	a.auth[key] = authorization
}

// SetIntegration points an integration at a function.
func (a *API) SetIntegration(id, functionArn string) {
	a.mu.Lock()
	a.integs[id] = functionArn
	a.mu.Unlock()
}

// DeleteIntegration removes an integration.
func (a *API) DeleteIntegration(id string) {
	a.mu.Lock()
	delete(a.integs, id)
	a.mu.Unlock()
}

// SetCORS is the API's CorsConfiguration (nil: none).
func (a *API) SetCORS(v any) {
	m, _ := v.(map[string]any)
	a.mu.Lock()
	a.cors = m
	a.mu.Unlock()
}

// SetThrottle is the stage's default route throttling: rate requests a second, bursts of burst
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html, a token
// bucket). A rate of 0 turns it off.
func (a *API) SetThrottle(r, burst float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r <= 0 {
		a.throttle = nil
		return
	}
	a.throttle = rate.NewLimiter(rate.Limit(r), max(1, int(burst)))
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	opts := a.gw.opts
	requestID := uuid.NewString()
	w.Header().Set("Apigw-Requestid", requestID)
	a.mu.RLock()
	throttle, cors := a.throttle, a.cors
	integ, routeKey := a.match(r.Method, r.URL.Path)
	functionArn := a.integs[integ]
	authorization := a.auth[routeKey]
	a.mu.RUnlock()
	w, done := opts.Events.WatchRequest(w, r, routeKey, maxPayload+1)
	defer done()
	started, integration := time.Now(), time.Duration(0)
	sw := &statusWriter{ResponseWriter: w}
	w = sw
	defer func() { a.record(sw.status, time.Since(started), integration) }()

	if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host {
		// A page of another origin: the API answers it as its CORS allows, and no other (on the
		// local system a request from an origin the template does not allow is refused, rather
		// than run with the browser left to hide the answer).
		allowed, ok := allowedOrigin(cors, origin)
		if !ok {
			gatewayError(w, http.StatusForbidden, "Forbidden")
			return
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			preflight(w, cors, allowed)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", allowed)
	} else if cors != nil {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	if throttle != nil && !throttle.Allow() {
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
		if err := verifySigV4(r, body, opts.Region, time.Now(), localSecret); err != nil {
			fmt.Fprintf(opts.Log, "%s %s: 403: %v\n", r.Method, r.URL.Path, err)
			gatewayError(w, http.StatusForbidden, "Forbidden")
			return
		}
	}
	payload := a.event(r, routeKey, requestID, body)

	ctx, cancel := context.WithTimeout(r.Context(), opts.IntegrationTimeout)
	defer cancel()
	invoked := time.Now()
	res, err := opts.Invoker.Invoke(ctx, functionArn, payload)
	integration = time.Since(invoked)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		// An integration that does not answer within the timeout: 503 Service Unavailable
		// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html sets
		// 30 s; the answer as HTTP APIs give it: https://github.com/cortexlabs/cortex/issues/1225).
		gatewayError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	case err != nil || res.FunctionError != "":
		// A function error, and a throttled invocation (Lambda's 429), are a 500
		// (https://repost.aws/knowledge-center/api-gateway-internal-server-error).
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeLambdaResponse(w, res.Payload)
}

// match finds the route for method and path: an exact "METHOD /path", "ANY /path", then
// "$default".
func (a *API) match(method, path string) (integ, routeKey string) {
	for _, key := range []string{method + " " + path, "ANY " + path, "$default"} {
		if id, ok := a.routes[key]; ok {
			return id, key
		}
	}
	return "", ""
}

// localSecret is the secret of the one principal the local system knows: its own credentials.
func localSecret(accessKey string) (string, bool) {
	if accessKey == localstate.AccessKeyID {
		return localstate.SecretAccessKey, true
	}
	return "", false
}
