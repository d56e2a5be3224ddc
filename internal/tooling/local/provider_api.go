package local

import (
	"context"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// The HTTP APIs: each API a listener on loopback, its routes, integrations and stage.

func init() {
	register("AWS::ApiGatewayV2::Api", provider{
		apply: func(_ context.Context, s *System, c change) (*resource, bool, error) {
			return s.provisionAPI(c.nr, c.props, c.old)
		},
		remove: func(_ context.Context, s *System, r *resource) error {
			s.mu.Lock()
			api := s.apis[r.physical]
			delete(s.apis, r.physical)
			s.mu.Unlock()
			if api != nil {
				api.close()
			}
			return nil
		},
	})
	register("AWS::ApiGatewayV2::Integration", provider{
		apply: func(_ context.Context, s *System, c change) (*resource, bool, error) {
			nr := c.nr
			apiID, _ := c.props["ApiId"].(string)
			uri, _ := c.props["IntegrationUri"].(string)
			api := s.api(apiID)
			if api == nil {
				return nil, false, fmt.Errorf("integration for unknown API %q", apiID)
			}
			nr.physical, nr.apiID = randomID(7), apiID
			if c.old != nil {
				nr.physical = c.old.physical
			}
			api.setIntegration(nr.physical, uri)
			return nr, false, nil
		},
		remove: func(_ context.Context, s *System, r *resource) error {
			if api := s.api(r.apiID); api != nil {
				api.deleteIntegration(r.physical)
			}
			return nil
		},
	})
	register("AWS::ApiGatewayV2::Route", provider{
		apply: func(_ context.Context, s *System, c change) (*resource, bool, error) {
			nr := c.nr
			apiID, _ := c.props["ApiId"].(string)
			key, _ := c.props["RouteKey"].(string)
			target, _ := c.props["Target"].(string)
			api := s.api(apiID)
			if api == nil {
				return nil, false, fmt.Errorf("route %s for unknown API %q", key, apiID)
			}
			nr.physical, nr.apiID, nr.routeKey = randomID(7), apiID, key
			nr.integID = strings.TrimPrefix(target, "integrations/")
			if c.old != nil {
				nr.physical = c.old.physical
			}
			api.setRoute(key, nr.integID)
			authorization, _ := c.props["AuthorizationType"].(string)
			api.setAuthorization(key, authorization)
			return nr, false, nil
		},
		remove: func(_ context.Context, s *System, r *resource) error {
			if api := s.api(r.apiID); api != nil {
				api.deleteRoute(r.routeKey, r.integID)
			}
			return nil
		},
	})
	register("AWS::ApiGatewayV2::Stage", provider{
		apply: func(_ context.Context, s *System, c change) (*resource, bool, error) {
			apiID, _ := c.props["ApiId"].(string)
			if api := s.api(apiID); api != nil {
				settings, _ := c.props["DefaultRouteSettings"].(map[string]any)
				rate, _ := cfn.Number(settings["ThrottlingRateLimit"])
				burst, _ := cfn.Number(settings["ThrottlingBurstLimit"])
				api.setThrottle(rate, burst)
			}
			c.nr.physical, _ = c.props["StageName"].(string)
			return c.nr, false, nil
		},
	})
}

func (s *System) provisionAPI(nr *resource, props map[string]any, old *resource) (*resource, bool, error) {
	if old != nil {
		nr = keep(nr, old)
		if api := s.api(old.physical); api != nil {
			api.setCORS(props["CorsConfiguration"])
		}
		return nr, false, nil
	}
	api, err := newHTTPAPI(s, randomID(10))
	if err != nil {
		return nil, false, err
	}
	api.setCORS(props["CorsConfiguration"])
	s.mu.Lock()
	s.apis[api.id] = api
	s.mu.Unlock()
	nr.physical = api.id
	nr.attrs["ApiId"], nr.attrs["ApiEndpoint"] = api.id, api.url
	return nr, false, nil
}
