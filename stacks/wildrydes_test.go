package stacks_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestWildRydesStack(t *testing.T) {
	s := final(t)
	wr, _ := s.cdkTemplates()

	t.Run("POST /ride is a route of an HTTP API, not a REST API", func(t *testing.T) {
		check(t, "HTTP API", func() { wr.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Api"), jsii.Number(1)) })
		check(t, "no REST API", func() { wr.ResourceCountIs(jsii.String("AWS::ApiGateway::RestApi"), jsii.Number(0)) })
		check(t, "route", func() {
			wr.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": "POST /ride"})
		})
	})

	t.Run("CORS is open to every origin as in the original", func(t *testing.T) {
		check(t, "CORS", func() {
			wr.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
				"ProtocolType":      "HTTP",
				"CorsConfiguration": assertions.Match_ObjectLike(&map[string]any{"AllowOrigins": []any{"*"}}),
			})
		})
	})

	t.Run("the stage is throttled (500 requests/s, bursts of 1,000) and writes access logs", func(t *testing.T) {
		check(t, "throttling", func() {
			wr.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
				"StageName": "$default",
				"DefaultRouteSettings": assertions.Match_ObjectLike(&map[string]any{
					"ThrottlingRateLimit":  500,
					"ThrottlingBurstLimit": 1000,
				}),
				"AccessLogSettings": assertions.Match_ObjectLike(&map[string]any{"Format": assertions.Match_AnyValue()}),
			})
		})
	})

	t.Run("RequestRide publishes to the topic whose ARN it gets from RIDES_SNS_TOPIC_ARN", func(t *testing.T) {
		vars := env(t, s.wrJSON, "RequestRide")
		if got := jsonString(vars["RIDES_SNS_TOPIC_ARN"]); got != `{"Ref":"RidesSnsTopic"}` {
			t.Errorf("RIDES_SNS_TOPIC_ARN = %s, want a Ref to RidesSnsTopic", got)
		}
	})

	t.Run("RequestRide has no RIDE_RECORD_URL in the final state", func(t *testing.T) {
		if v, ok := env(t, s.wrJSON, "RequestRide")["RIDE_RECORD_URL"]; ok {
			t.Errorf("RIDE_RECORD_URL is still set to %s", jsonString(v))
		}
	})

	t.Run("RequestRide uses the built-in fleet unless a unicorn service is configured", func(t *testing.T) {
		if v, ok := env(t, s.wrJSON, "RequestRide")["REQUEST_UNICORN_URL"]; ok {
			t.Errorf("REQUEST_UNICORN_URL = %s without -c requestUnicornUrl", jsonString(v))
		}
	})

	t.Run("the topic has no fixed name, is encrypted, and only accepts TLS", func(t *testing.T) {
		topic := resources(s.wrJSON, "AWS::SNS::Topic")["RidesSnsTopic"]
		if topic == nil {
			t.Fatal("no AWS::SNS::Topic with logical ID RidesSnsTopic")
		}
		if name, ok := props(topic)["TopicName"]; ok {
			t.Errorf("TopicName = %v: parallel stages would collide", name)
		}
		if props(topic)["KmsMasterKeyId"] == nil {
			t.Error("the topic is not encrypted at rest (no KmsMasterKeyId)")
		}
		policies := jsonString(resources(s.wrJSON, "AWS::SNS::TopicPolicy"))
		if !strings.Contains(policies, `"aws:SecureTransport":"false"`) {
			t.Errorf("no topic policy denies publishing without TLS: %s", policies)
		}
	})

	t.Run("the topic's ARN is in SSM at /wild-rydes/<stage>/SnsTopicArn", func(t *testing.T) {
		check(t, "SSM parameter", func() {
			wr.HasResourceProperties(jsii.String("AWS::SSM::Parameter"), map[string]any{
				"Name":  "/wild-rydes/test/SnsTopicArn",
				"Type":  "String",
				"Value": map[string]any{"Ref": "RidesSnsTopic"},
			})
		})
	})

	t.Run("RequestRide may publish to that topic and to nothing else", func(t *testing.T) {
		var publish []string
		for _, st := range policyStatements(s.wrJSON) {
			for _, a := range st.actions {
				if strings.HasPrefix(a, "sns:") {
					publish = append(publish, a+" on "+st.resource)
				}
			}
		}
		if len(publish) != 1 || publish[0] != `sns:Publish on {"Ref":"RidesSnsTopic"}` {
			t.Errorf("SNS permissions = %v, want exactly sns:Publish on the rides topic", publish)
		}
	})
}
