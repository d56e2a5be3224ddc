// Package apigw is the local HTTP API gateway (API Gateway's HTTP APIs): each
// AWS::ApiGatewayV2::Api on its own loopback listener with its routes, integrations to Lambda
// (payload format 2.0), CORS, the stage's throttling and SigV4 for AWS_IAM routes; and the
// fronts on the fixed ports a user bookmarks, which serve whichever deployed API plays their role.
package apigw

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// Invoker calls a function synchronously, as an integration does.
type Invoker interface {
	Invoke(ctx context.Context, arn string, payload []byte) (localrt.Result, error)
}

// Options configure the gateway.
type Options struct {
	// Region is the one a SigV4 signature must name.
	Region string
	// AccountID is the account in each request's context; default localstate.AccountID.
	AccountID string
	Invoker   Invoker
	Events    *events.Feed
	// Log gets a line for each request an AWS_IAM route refuses.
	Log io.Writer
	// Metrics, if set, keeps each API's AWS/ApiGateway metrics.
	Metrics Metrics
	// IntegrationTimeout is how long a route waits for its function; 0: HTTP API's 30 seconds,
	// which cannot be raised (tests shorten it).
	IntegrationTimeout time.Duration
}

// Gateway holds the deployed HTTP APIs and the fronts.
type Gateway struct {
	opts Options

	mu      sync.Mutex
	apis    map[string]*API // by API ID
	roles   map[string]*API // the API that plays each front's role
	servers map[*loopback.Server]bool
}

// New is a gateway with no API.
func New(opts Options) *Gateway {
	if opts.IntegrationTimeout <= 0 {
		opts.IntegrationTimeout = integrationTimeout
	}
	if opts.AccountID == "" {
		opts.AccountID = localstate.AccountID
	}
	return &Gateway{opts: opts, apis: map[string]*API{}, roles: map[string]*API{}, servers: map[*loopback.Server]bool{}}
}

// serve is the gateway's one listener set-up: the APIs on free ports, the fronts on the fixed
// ones, each answering loopback hosts only and other origins as its API's CORS says (API.ServeHTTP);
// Shutdown stops them all.
func (g *Gateway) serve(l net.Listener, h http.Handler) *loopback.Server {
	srv := loopback.ServeOnWithCORS(l, h)
	g.mu.Lock()
	g.servers[srv] = true
	g.mu.Unlock()
	return srv
}

// Front serves, on l (the fixed port, taken before the system started), whichever deployed API
// plays role (see SetRoles): the APIs themselves come and go with the stacks (and the refactor
// steps) on ports of their own, while the address a user bookmarks stays. It returns the front's
// URL.
func (g *Gateway) Front(l net.Listener, role string) string {
	return g.serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		api := g.roles[role]
		g.mu.Unlock()
		if api == nil {
			http.Error(w, fmt.Sprintf(`{"message":"no deployed API serves the %s role"}`, role), http.StatusServiceUnavailable)
			return
		}
		api.ServeHTTP(w, r)
	})).URL
}

// SetRoles says which deployed API (by ID) plays each role; a role no API plays answers 503.
func (g *Gateway) SetRoles(roles map[string]string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.roles = map[string]*API{}
	for role, id := range roles {
		if api := g.apis[id]; api != nil {
			g.roles[role] = api
		}
	}
}

// CreateAPI serves a new API, with no route yet, on a free loopback port.
func (g *Gateway) CreateAPI(id string) (*API, error) {
	l, err := loopback.Listen("API "+id, 0)
	if err != nil {
		return nil, err
	}
	a := &API{gw: g, ID: id, routes: map[string]string{}, auth: map[string]string{}, integs: map[string]string{}}
	a.srv = g.serve(l, a)
	a.URL = a.srv.URL
	g.mu.Lock()
	g.apis[id] = a
	g.mu.Unlock()
	return a, nil
}

// API is the deployed API of that ID, or nil.
func (g *Gateway) API(id string) *API {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.apis[id]
}

// DeleteAPI stops the API's listener, letting the requests in flight finish within the
// integration timeout. A front keeps serving it until SetRoles names another.
func (g *Gateway) DeleteAPI(id string) {
	g.mu.Lock()
	api := g.apis[id]
	delete(g.apis, id)
	if api != nil {
		delete(g.servers, api.srv)
	}
	g.mu.Unlock()
	if api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), g.opts.IntegrationTimeout)
		defer cancel()
		api.srv.Shutdown(ctx)
	}
}

// Shutdown stops every API and front.
func (g *Gateway) Shutdown(ctx context.Context) {
	g.mu.Lock()
	servers := g.servers
	g.apis, g.roles, g.servers = map[string]*API{}, map[string]*API{}, map[*loopback.Server]bool{}
	g.mu.Unlock()
	for srv := range servers {
		srv.Shutdown(ctx)
	}
}
