package apigw

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// event is the integration's payload, format 2.0
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
func (a *API) event(r *http.Request, routeKey, requestID string, body []byte) []byte {
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
			RouteKey: routeKey, AccountID: a.gw.opts.AccountID, Stage: "$default", RequestID: requestID,
			APIID: a.ID, DomainName: r.Host, DomainPrefix: a.ID,
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
	payload, _ := json.Marshal(ev)
	return payload
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

func preflight(w http.ResponseWriter, cors map[string]any, origin string) {
	join := func(k string) string {
		list, _ := cors[k].([]any)
		var out []string
		for _, v := range list {
			out = append(out, fmt.Sprint(v))
		}
		return strings.Join(out, ",")
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Methods", join("AllowMethods"))
	w.Header().Set("Access-Control-Allow-Headers", join("AllowHeaders"))
	w.WriteHeader(http.StatusNoContent)
}

// allowedOrigin is the Access-Control-Allow-Origin the API's CorsConfiguration gives origin
// ("*" when it allows any); ok is false when it does not allow it, or the API declares no CORS
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).
func allowedOrigin(cors map[string]any, origin string) (string, bool) {
	list, _ := cors["AllowOrigins"].([]any)
	for _, v := range list {
		switch v {
		case "*":
			return "*", true
		case origin:
			return origin, true
		}
	}
	return "", false
}
