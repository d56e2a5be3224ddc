package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// The HTTP APIs (AWS::ApiGatewayV2::*): each API a listener of the local gateway, its routes,
// integrations and stage.

func init() {
	register("AWS::ApiGatewayV2::Api", provider{
		apply: func(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
			if c.old != nil {
				nr := keep(c.nr, c.old)
				if api := e.Gateway.API(c.old.Physical); api != nil {
					api.SetCORS(c.props["CorsConfiguration"])
				}
				return nr, false, nil
			}
			api, err := e.Gateway.CreateAPI(randomID(10))
			if err != nil {
				return nil, false, err
			}
			api.SetCORS(c.props["CorsConfiguration"])
			c.nr.Physical = api.ID
			c.nr.Attrs["ApiId"], c.nr.Attrs["ApiEndpoint"] = api.ID, api.URL
			return c.nr, false, nil
		},
		remove: func(_ context.Context, e *Engine, r *Resource) error {
			e.Gateway.DeleteAPI(r.Physical)
			return nil
		},
	})
	register("AWS::ApiGatewayV2::Integration", provider{
		apply: func(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
			nr := c.nr
			apiID, _ := c.props["ApiId"].(string)
			uri, _ := c.props["IntegrationUri"].(string)
			api := e.Gateway.API(apiID)
			if api == nil {
				return nil, false, fmt.Errorf("integration for unknown API %q", apiID)
			}
			nr.Physical = randomID(7)
			if c.old != nil {
				nr.Physical = c.old.Physical
			}
			api.SetIntegration(nr.Physical, uri)
			return nr, false, nil
		},
		remove: func(_ context.Context, e *Engine, r *Resource) error {
			var p struct{ ApiId string }
			if err := r.resolved(&p); err != nil {
				return err
			}
			if api := e.Gateway.API(p.ApiId); api != nil {
				api.DeleteIntegration(r.Physical)
			}
			return nil
		},
	})
	register("AWS::ApiGatewayV2::Route", provider{
		apply: func(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
			nr := c.nr
			apiID, _ := c.props["ApiId"].(string)
			key, _ := c.props["RouteKey"].(string)
			target, _ := c.props["Target"].(string)
			api := e.Gateway.API(apiID)
			if api == nil {
				return nil, false, fmt.Errorf("route %s for unknown API %q", key, apiID)
			}
			nr.Physical = randomID(7)
			if c.old != nil {
				nr.Physical = c.old.Physical
			}
			api.SetRoute(key, strings.TrimPrefix(target, "integrations/"))
			authorization, _ := c.props["AuthorizationType"].(string)
			api.SetAuthorization(key, authorization)
			return nr, false, nil
		},
		remove: func(_ context.Context, e *Engine, r *Resource) error {
			var p struct{ ApiId, RouteKey, Target string }
			if err := r.resolved(&p); err != nil {
				return err
			}
			if api := e.Gateway.API(p.ApiId); api != nil {
				api.DeleteRoute(p.RouteKey, strings.TrimPrefix(p.Target, "integrations/"))
			}
			return nil
		},
	})
	register("AWS::ApiGatewayV2::Stage", provider{
		apply: func(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
			apiID, _ := c.props["ApiId"].(string)
			if api := e.Gateway.API(apiID); api != nil {
				settings, _ := c.props["DefaultRouteSettings"].(map[string]any)
				rate, _ := cfn.Number(settings["ThrottlingRateLimit"])
				burst, _ := cfn.Number(settings["ThrottlingBurstLimit"])
				api.SetThrottle(rate, burst)
			}
			c.nr.Physical, _ = c.props["StageName"].(string)
			return c.nr, false, nil
		},
	})
}
