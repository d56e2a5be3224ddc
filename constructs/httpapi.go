package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// HTTPAPIProps configures an HTTPAPI. Every field has a default.
type HTTPAPIProps struct {
	// ThrottleRate is the $default stage's steady-state rate in requests per second; default
	// 500, well above the load test's 100 rides/s and well below the account's 10,000 for all
	// its APIs in a Region.
	// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
	ThrottleRate float64
	// ThrottleBurst is the stage's burst in requests; default 1,000 (the account's is 5,000).
	ThrottleBurst float64
	// AccessLogRetention of the stage's access-log group; default one month.
	AccessLogRetention awslogs.RetentionDays
}

// HTTPAPI is an HTTP API (cheaper than a REST API) with CORS open to every origin for POST, as
// the original Wild Rydes page calls it from its own origin (with the Idempotency-Key header a
// browser must be allowed to send), and one $default stage that deploys
// every change itself, is throttled and writes one JSON access-log line per request.
//
// Its stage and log group are added beside the API in scope (<id>DefaultStage, <id>AccessLogs),
// not under a node of their own: their logical IDs, and so the deployed API and its URL, stay
// those of the stacks that defined them before this construct did.
type HTTPAPI struct {
	API        awsapigatewayv2.HttpApi
	Stage      awsapigatewayv2.HttpStage
	AccessLogs awslogs.LogGroup
}

// accessLogFormat is the $context variables each access-log line holds.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status",` +
	`"latency":"$context.responseLatency","integrationError":"$context.integrationErrorMessage"}`

// NewHTTPAPI defines an HTTPAPI; props may be nil.
func NewHTTPAPI(scope constructs.Construct, id string, props *HTTPAPIProps) *HTTPAPI {
	p := HTTPAPIProps{}
	if props != nil {
		p = *props
	}
	if p.ThrottleRate == 0 {
		p.ThrottleRate = 500
	}
	if p.ThrottleBurst == 0 {
		p.ThrottleBurst = 1000
	}
	if p.AccessLogRetention == "" {
		p.AccessLogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	api := awsapigatewayv2.NewHttpApi(scope, jsii.String(id), &awsapigatewayv2.HttpApiProps{
		CreateDefaultStage: jsii.Bool(false),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings("*"),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_OPTIONS},
			AllowHeaders: jsii.Strings("Content-Type", "Authorization", "Idempotency-Key"),
		},
	})
	accessLogs := awslogs.NewLogGroup(scope, jsii.String(id+"AccessLogs"), &awslogs.LogGroupProps{
		Retention:     p.AccessLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	stage := awsapigatewayv2.NewHttpStage(scope, jsii.String(id+"DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(p.ThrottleRate), BurstLimit: jsii.Number(p.ThrottleBurst)},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	return &HTTPAPI{API: api, Stage: stage, AccessLogs: accessLogs}
}

// URL is the address of path (e.g. "/ride") on the API's $default stage.
func (a *HTTPAPI) URL(path string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{a.API.ApiEndpoint(), jsii.String(path)})
}
