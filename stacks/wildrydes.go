package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// WildRydesStackProps configures the wild-rydes stack.
type WildRydesStackProps struct {
	awscdk.StackProps
	// Stage names the deployment (dev, prod, a developer's name); it is part of the stack name
	// and of the SSM parameter names.
	Stage string
	// Step of the refactor to synthesize; design.FinalStep for the finished design.
	Step design.Step
	// RequestUnicornURL, when set, is the unicorn fleet service RequestRide asks for a unicorn;
	// otherwise it picks one from the built-in fleet.
	RequestUnicornURL string
	// AlarmEmail, when set, is subscribed to the stack's alarm topic.
	AlarmEmail string
}

// NewWildRydesStack defines stack wild-rydes-<stage>: POST /ride on an HTTP API, RequestRide,
// and (from StepTopic on) the rides topic with its ARN in SSM.
func NewWildRydesStack(scope constructs.Construct, id string, props *WildRydesStackProps) awscdk.Stack {
	if props == nil || props.Stage == "" {
		panic(fmt.Sprintf("WildRydesStack %s: props with a Stage are required (the stage names the stack's SSM parameters)", id))
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	step := props.Step

	// Rides booked with an Idempotency-Key, remembered for a day: a rider's retry gets the ride
	// booked before instead of a second one. On-demand (a write per keyed request) and, since
	// DynamoDB's time to live deletes late, the expiry is also checked on every read.
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
	idempotency := awsdynamodb.NewTable(stack, jsii.String(IdempotencyTableLogicalID), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(design.IdempotencyKeyAttribute), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(design.IdempotencyExpiryAttribute),
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// What it holds lives a day: deleting the stack may delete it.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	idempotency.Node().DefaultChild().(awsdynamodb.CfnTable).OverrideLogicalId(jsii.String(IdempotencyTableLogicalID))

	env := map[string]*string{
		design.EnvStage:                jsii.String(props.Stage),
		design.EnvIdempotencyTableName: idempotency.TableName(),
	}
	if props.RequestUnicornURL != "" {
		env[design.EnvUnicornURL] = jsii.String(props.RequestUnicornURL)
	}

	var topic awssns.Topic
	if step.HasTopic() {
		topic = awssns.NewTopic(stack, jsii.String(TopicLogicalID), &awssns.TopicProps{
			// No topic name: CloudFormation names it, so parallel stages never collide.
			MasterKey:  awskms.Alias_FromAliasName(stack, jsii.String("SnsManagedKey"), jsii.String("alias/aws/sns")),
			EnforceSSL: jsii.Bool(true),
			// X-Ray's trace goes on past the publish, into the delivery to PutRideRecordSns.
			TracingConfig: awssns.TracingConfig_ACTIVE,
		})
		topic.Node().DefaultChild().(awssns.CfnTopic).OverrideLogicalId(jsii.String(TopicLogicalID))
		allowTopicTracing(stack, topic)
		param := awsssm.NewStringParameter(stack, jsii.String("RidesSnsTopicArnSsmParam"), &awsssm.StringParameterProps{
			ParameterName: jsii.String(design.TopicArnParameterName(props.Stage)),
			StringValue:   topic.TopicArn(),
			Description:   jsii.String("ARN of the topic RequestRide publishes every booked ride to"),
		})
		param.Node().DefaultChild().(awsssm.CfnParameter).OverrideLogicalId(jsii.String("RidesSnsTopicArnSsmParam"))
	}
	if step.PublishesToTopic() {
		env[design.EnvTopicARN] = topic.TopicArn()
	} else {
		// The synchronous design: the record service's URL, read from SSM at deploy time.
		env[design.EnvRecordURL] = awsssm.StringParameter_ValueForStringParameter(stack,
			jsii.String(design.RecordURLParameterName(props.Stage)), nil)
	}

	requestRide := wrconstructs.NewGoLambda(stack, "RequestRide", &wrconstructs.GoLambdaProps{
		Entry:       "lambdas/request-ride",
		Description: "Books a unicorn for a ride request and hands the ride to the record service",
		Timeout:     durationOf(requestRideTimeout),
		Environment: env,
		Invocation:  wrconstructs.InvokedSynchronously,
	})
	// A conditional put returns the old item when the key is taken, so RequestRide needs no read.
	idempotency.Grant(requestRide.Function, jsii.String("dynamodb:PutItem"))
	if step.HasTopic() {
		// Granted with the topic, a step before RequestRide publishes: the step that starts
		// publishing then changes only the environment, with no IAM change to propagate.
		topic.GrantPublish(requestRide.Function)
	}

	api := wrconstructs.NewHTTPAPI(stack, "WildRydesApi", nil)
	acceptPublicRoute(api.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:    jsii.String("/ride"),
		Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(
			jsii.String("RequestRideIntegration"), requestRide.Function, nil),
	}))
	ops := newOperations(stack, props.Stage, "Wild Rydes: booking rides")
	ops.functions(requestRide)
	alarms := wrconstructs.NewAlarmTopic(stack, "AlarmTopic", &wrconstructs.AlarmTopicProps{Email: props.AlarmEmail})
	alarms.AddAlarm("RequestRideErrorsAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("RequestRide failed: a rider was refused a ride; read RequestRide's log"),
		Metric:           requestRide.Function.MetricErrors(sumOver5Minutes()),
		Threshold:        jsii.Number(1),
	})
	alarms.AddAlarm("WildRydesApi5xxAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("POST /ride answered 5xx: riders see errors; read the API's access log and RequestRide's log"),
		Metric:           api.API.MetricServerError(sumOver5Minutes()),
		Threshold:        jsii.Number(1),
	})
	ops.addNotStoredAlarm(alarms)
	ops.build(alarms, ops.apis(api)...)
	awscdk.NewCfnOutput(stack, jsii.String("RideUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("POST a ride request here"),
		Value:       api.URL("/ride"),
	})

	addRolloutSafety(stack, design.WildRydes, props.Stage, step, requestRide.Function)
	addNagChecks(stack)
	return stack
}
