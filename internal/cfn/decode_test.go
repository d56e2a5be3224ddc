package cfn

import (
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/apigatewayv2"
	"github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/awslabs/goformation/v7/cloudformation/sqs"
	"github.com/awslabs/goformation/v7/cloudformation/ssm"
)

func resolved(t *testing.T, r *Resolver, id string) map[string]any {
	t.Helper()
	props, err := r.ResolveProperties(r.Template.Resources[id])
	if err != nil {
		t.Fatal(err)
	}
	return props
}

func TestDecodePropertiesIntoGoformationTypes(t *testing.T) {
	main := devRun(t, "cdk.out/wild-rydes-dev.template.json")
	rr := devRun(t, "cdk.out/wild-rydes-ride-record-dev.template.json")

	t.Run("a function gives its environment, timeout, memory and log format", func(t *testing.T) {
		var fn lambda.Function
		if err := DecodeProperties(resolved(t, main, "RequestRide6A1D4F21"), &fn); err != nil {
			t.Fatal(err)
		}
		if got := fn.Environment.Variables["RIDES_SNS_TOPIC_ARN"]; got != "arn:aws:sns:us-east-1:123456789012:rides" {
			t.Errorf("RIDES_SNS_TOPIC_ARN = %q", got)
		}
		if *fn.Timeout != 10 || *fn.MemorySize != 128 || *fn.Runtime != "provided.al2023" || fn.Architectures[0] != "arm64" {
			t.Errorf("timeout %d, memory %d, runtime %s, architectures %v", *fn.Timeout, *fn.MemorySize, *fn.Runtime, fn.Architectures)
		}
		if *fn.LoggingConfig.LogFormat != "JSON" || *fn.TracingConfig.Mode != "Active" {
			t.Errorf("logging %+v, tracing %+v", fn.LoggingConfig, fn.TracingConfig)
		}
		if *fn.Code.S3Bucket != "cdk-hnb659fds-assets-123456789012-us-east-1" {
			t.Errorf("code bucket = %s", *fn.Code.S3Bucket)
		}
	})

	t.Run("a property newer than goformation's schema is ignored", func(t *testing.T) {
		var fn lambda.Function
		props := resolved(t, rr, "PutRideRecordSns8D1F0E3C")
		if _, ok := props["RecursiveLoop"]; !ok {
			t.Fatal("the test template lost its RecursiveLoop property")
		}
		if err := DecodeProperties(props, &fn); err != nil {
			t.Fatal(err)
		}
		if *fn.DeadLetterConfig.TargetArn != "arn:aws:sqs:us-east-1:123456789012:wild-rydes-dev-DeadLetterQueue" ||
			fn.Environment.Variables["TABLE_NAME"] != "wild-rydes-dev-RidesTable" || *fn.Timeout != 15 {
			t.Errorf("function = %+v", fn)
		}
	})

	t.Run("an event invoke config gives its retries", func(t *testing.T) {
		var cfg lambda.EventInvokeConfig
		if err := DecodeProperties(resolved(t, rr, "PutRideRecordSnsEventInvokeConfig7E6D5C4B"), &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.FunctionName != "wild-rydes-dev-PutRideRecordSns" || cfg.Qualifier != "$LATEST" || *cfg.MaximumRetryAttempts != 2 {
			t.Errorf("config = %+v", cfg)
		}
	})

	t.Run("a subscription gives its topic, endpoint and redrive policy", func(t *testing.T) {
		var sub sns.Subscription
		if err := DecodeProperties(resolved(t, rr, "PutRideRecordSnsRidesTopicSubscription1F2E3D4C"), &sub); err != nil {
			t.Fatal(err)
		}
		dlq := sub.RedrivePolicy.(map[string]any)["deadLetterTargetArn"]
		if sub.Protocol != "lambda" || sub.TopicArn != "arn:aws:sns:us-east-1:123456789012:rides" ||
			*sub.Endpoint != "arn:aws:lambda:us-east-1:123456789012:function:wild-rydes-dev-PutRideRecordSns" ||
			dlq != "arn:aws:sqs:us-east-1:123456789012:wild-rydes-dev-DeadLetterQueue" {
			t.Errorf("subscription = %+v", sub)
		}
	})

	t.Run("a queue, a table, a parameter and a route decode too", func(t *testing.T) {
		var q sqs.Queue
		if err := DecodeProperties(resolved(t, rr, "DeadLetterQueue9F481546"), &q); err != nil || *q.MessageRetentionPeriod != 1209600 {
			t.Errorf("queue = %+v, %v", q, err)
		}
		var table dynamodb.Table
		if err := DecodeProperties(resolved(t, rr, "RidesTable2F8E4C1A"), &table); err != nil || table.KeySchema[0].AttributeName != "RideId" {
			t.Errorf("table = %+v, %v", table, err)
		}
		var p ssm.Parameter
		if err := DecodeProperties(resolved(t, main, "SnsTopicArnParameter9E2F1C44"), &p); err != nil ||
			*p.Name != "/wild-rydes/dev/SnsTopicArn" || p.Value != "arn:aws:sns:us-east-1:123456789012:rides" {
			t.Errorf("parameter = %+v, %v", p, err)
		}
		var route apigatewayv2.Route
		if err := DecodeProperties(resolved(t, main, "HttpApiPOSTride3B4F6E52"), &route); err != nil ||
			route.RouteKey != "POST /ride" || *route.Target != "integrations/integ01" {
			t.Errorf("route = %+v, %v", route, err)
		}
	})
}

func TestDecodePropertiesFailures(t *testing.T) {
	tests := []struct {
		name  string
		props map[string]any
		out   any
		want  string
	}{
		{"a property of the wrong type names the property",
			map[string]any{"Timeout": "ten", "Role": "r"}, &lambda.Function{},
			"decode AWS::Lambda::Function: property Timeout: want int, got a JSON string"},
		{"a destination that is not a pointer to a struct",
			map[string]any{}, lambda.Function{}, "want a pointer to a struct, got lambda.Function"},
		{"a plain struct is decoded with encoding/json",
			map[string]any{"Timeout": "ten"}, &struct{ Timeout int }{}, "decode properties into struct { Timeout int }"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeProperties(tc.props, tc.out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDecodePropertiesIntoAPlainStruct(t *testing.T) {
	var out struct {
		Environment struct{ Variables map[string]string }
		Timeout     int
	}
	err := DecodeProperties(map[string]any{"Environment": map[string]any{"Variables": map[string]any{"A": "b"}}, "Timeout": 3.0}, &out)
	if err != nil || out.Environment.Variables["A"] != "b" || out.Timeout != 3 {
		t.Errorf("out = %+v, %v", out, err)
	}
}
