package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// RideRecordStackProps configures the ride-record stack.
type RideRecordStackProps struct {
	awscdk.StackProps
	// Stage names the deployment; the rides topic is found through its SSM parameter.
	Stage string
	// Step of the refactor to synthesize; design.FinalStep for the finished design.
	Step design.Step
	// AlarmEmail, when set, is subscribed to the stack's alarm topic.
	AlarmEmail string
	// Capacity is the table's provisioned throughput before StepOnDemand; zero:
	// design.OriginalTableCapacity (the original's 1 read and 1 write unit).
	Capacity design.TableCapacity
}

// NewRideRecordStack defines stack wild-rydes-ride-record-<stage>: the ride table, the function
// behind POST /record and (from StepSubscriber on) the topic subscriber with its dead-letter queue.
func NewRideRecordStack(scope constructs.Construct, id string, props *RideRecordStackProps) awscdk.Stack {
	if props == nil || props.Stage == "" {
		panic(fmt.Sprintf("RideRecordStack %s: props with a Stage are required (the stage names the stack's SSM parameters)", id))
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	step := props.Step

	tableProps := &awsdynamodb.TableProps{
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String("RideId"), Type: awsdynamodb.AttributeType_STRING},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption: awsdynamodb.TableEncryption_AWS_MANAGED,
	}
	if step.HasOnDemandTable() {
		tableProps.BillingMode = awsdynamodb.BillingMode_PAY_PER_REQUEST
	} else {
		capacity := props.Capacity
		if capacity == (design.TableCapacity{}) {
			capacity = design.OriginalTableCapacity
		}
		tableProps.BillingMode = awsdynamodb.BillingMode_PROVISIONED
		tableProps.ReadCapacity = jsii.Number(capacity.Read)
		tableProps.WriteCapacity = jsii.Number(capacity.Write)
	}
	table := awsdynamodb.NewTable(stack, jsii.String(TableLogicalID), tableProps)
	table.Node().DefaultChild().(awsdynamodb.CfnTable).OverrideLogicalId(jsii.String(TableLogicalID))

	// POST /record: PutRideRecord in the synchronous design, renamed PutRideRecordHttp once the
	// put path is shared. Both run the same code.
	httpName := "PutRideRecord"
	if step.HasHTTPRename() {
		httpName = "PutRideRecordHttp"
	}
	putHTTP := wrconstructs.NewGoLambda(stack, httpName, &wrconstructs.GoLambdaProps{
		Entry:       "lambdas/put-ride-record-http",
		Description: "Stores a ride POSTed to /record",
		Environment: map[string]*string{design.EnvTableName: table.TableName(), design.EnvStage: jsii.String(props.Stage)},
		Invocation:  wrconstructs.InvokedSynchronously,
	})
	grantPutOnly(table, putHTTP)

	api := wrconstructs.NewHTTPAPI(stack, "RideRecordApi", nil)
	recordRoute := &awsapigatewayv2.AddRoutesOptions{
		Path:    jsii.String("/record"),
		Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(
			jsii.String("PutRideRecordIntegration"), putHTTP.Function, nil),
	}
	if step.HasLockedRecordRoute() {
		// Only a caller that signs with SigV4, as a principal allowed execute-api:Invoke on
		// this route, gets through; RequestRide stopped calling it at StepPublish.
		recordRoute.Authorizer = awsapigatewayv2authorizers.NewHttpIamAuthorizer()
		api.API.AddRoutes(recordRoute)
		awscdk.NewCfnOutput(stack, jsii.String("RecordRouteArn"), &awscdk.CfnOutputProps{
			Description: jsii.String("Allow execute-api:Invoke on this ARN, and nothing broader, to a principal that must POST /record"),
			Value:       api.API.ArnForExecuteApi(jsii.String("POST"), jsii.String("/record"), jsii.String("$default")),
		})
	} else {
		acceptPublicRoute(api.API.AddRoutes(recordRoute))
	}
	recordURL := api.URL("/record")
	urlParam := awsssm.NewStringParameter(stack, jsii.String("ServiceUrlSsmParam"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(design.RecordURLParameterName(props.Stage)),
		StringValue:   recordURL,
		Description:   jsii.String("URL that records a ride (POST)"),
	})
	urlParam.Node().DefaultChild().(awsssm.CfnParameter).OverrideLogicalId(jsii.String("ServiceUrlSsmParam"))
	awscdk.NewCfnOutput(stack, jsii.String("RecordUrl"), &awscdk.CfnOutputProps{Value: recordURL})

	ops := newOperations(stack, props.Stage, "Wild Rydes: storing rides")
	ops.functions(putHTTP)
	alarms := wrconstructs.NewAlarmTopic(stack, "AlarmTopic", &wrconstructs.AlarmTopicProps{Email: props.AlarmEmail})
	alarms.AddAlarm("RideRecordApi5xxAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("POST /record answered 5xx: rides sent to it are not stored; read the API's access log and " + httpName + "'s log"),
		Metric:           api.API.MetricServerError(sumOver5Minutes()),
		Threshold:        jsii.Number(1),
	})
	if !step.HasOnDemandTable() {
		alarms.AddAlarm("RideRecordTableWriteThrottleAlarm", &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("Writes to RideRecordTable were throttled: its provisioned write capacity is too small for the traffic"),
			Metric:           table.Metric(jsii.String("WriteThrottleEvents"), sumOver5Minutes()),
			Threshold:        jsii.Number(1),
		})
	}
	widgets := append(ops.apis(api), ops.table(table))
	if step.HasSNSSubscriber() {
		widgets = append(widgets, addSNSSubscriber(stack, props.Stage, table, alarms, ops))
	}
	ops.build(alarms, widgets...)

	awscdk.NewCfnOutput(stack, jsii.String("RideRecordTableName"), &awscdk.CfnOutputProps{Value: table.TableName()})
	addRolloutSafety(stack, design.RideRecord, props.Stage, step, nil)
	addNagChecks(stack)
	return stack
}

// addSNSSubscriber subscribes PutRideRecordSns to the rides topic, found through SSM at deploy
// time (not a CloudFormation export, which would lock the two stacks together), with a
// dead-letter queue for both ways a ride can fail to arrive: SNS cannot deliver it, or the
// function fails every attempt.
func addSNSSubscriber(stack awscdk.Stack, stage string, table awsdynamodb.Table, alarms *wrconstructs.AlarmTopic, ops *operations) awscloudwatch.IWidget {
	dlq := keptQueue(stack, DeadLetterQueueLogicalID)
	wrconstructs.AcceptFinding(dlq, "Serverless-SQSRedrivePolicy", "this queue is the dead-letter queue; its messages are re-driven by RedriveDeadLetters, not by another queue")
	// Rides no retry can store (not a ride, a different ride under a stored RideId, an item the
	// table refuses) wait here with their reasons, for a person: they never hold the dead-letter
	// queue's alarm, which then fires for the next real outage.
	unstorable := keptQueue(stack, UnstorableQueueLogicalID)
	wrconstructs.AcceptFinding(unstorable, "Serverless-SQSRedrivePolicy", "this queue is where rides that can never be stored end, for a person to read; nothing consumes it")
	wrconstructs.AcceptFinding(unstorable, "AwsSolutions-SQS3", "this queue is itself the last stop of rides no retry can store; it needs no dead-letter queue")

	putSNS := wrconstructs.NewGoLambda(stack, "PutRideRecordSns", &wrconstructs.GoLambdaProps{
		Entry:       "lambdas/put-ride-record-sns",
		Description: "Stores each ride published to the rides topic",
		Timeout:     durationOf(subscriberTimeout),
		Environment: map[string]*string{
			design.EnvTableName:          table.TableName(),
			design.EnvDeadLetterQueueURL: dlq.QueueUrl(),
			design.EnvUnstorableQueueURL: unstorable.QueueUrl(),
			design.EnvStage:              jsii.String(stage),
		},
		DeadLetterQueue: dlq,
		RetryAttempts:   2,
		// A ride waits at most this long for its attempts (a throttled event is retried for as
		// long), then goes to the dead-letter queue: so a rollback can wait for none to be left
		// (rollout.go).
		MaxEventAge: durationOf(subscriberMaxEventAge),
	})
	grantPutOnly(table, putSNS)
	// Messages that can never be stored go to the unstorable queue at once, with their reason
	// (to the dead-letter queue only while UNSTORABLE_QUEUE_URL is unset).
	dlq.GrantSendMessages(putSNS.Function)
	unstorable.GrantSendMessages(putSNS.Function)

	topicArn := awsssm.StringParameter_ValueForStringParameter(stack, jsii.String(design.TopicArnParameterName(stage)), nil)
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("RidesTopic"), topicArn)
	topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(putSNS.Function, &awssnssubscriptions.LambdaSubscriptionProps{
		DeadLetterQueue: dlq,
	}))

	redrive := wrconstructs.NewGoLambda(stack, "RedriveDeadLetters", &wrconstructs.GoLambdaProps{
		Entry:       "lambdas/redrive-dead-letters",
		Description: "Run on demand: stores the rides waiting in the dead-letter queue",
		Timeout:     awscdk.Duration_Minutes(jsii.Number(5)),
		Environment: map[string]*string{
			design.EnvTableName:          table.TableName(),
			design.EnvDeadLetterQueueURL: dlq.QueueUrl(),
			design.EnvUnstorableQueueURL: unstorable.QueueUrl(),
			design.EnvStage:              jsii.String(stage),
		},
		Invocation: wrconstructs.InvokedSynchronously,
	})
	grantPutOnly(table, redrive)
	dlq.GrantConsumeMessages(redrive.Function)
	unstorable.GrantSendMessages(redrive.Function)

	alarms.AddAlarm("PutRideRecordSnsErrorsAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("PutRideRecordSns failed to store a ride: Lambda retries it twice, then it goes to the dead-letter queue; read PutRideRecordSns's log"),
		Metric:           putSNS.Function.MetricErrors(sumOver5Minutes()),
		Threshold:        jsii.Number(1),
	})
	alarms.AddAlarm("PutRideRecordSnsThrottlesAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("PutRideRecordSns was throttled: rides wait for Lambda's retries (up to 6 hours); check the account's concurrency"),
		Metric:           putSNS.Function.MetricThrottles(sumOver5Minutes()),
		Threshold:        jsii.Number(1),
	})
	alarms.AddAlarm("DeadLetterQueueAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Rides are waiting in the dead-letter queue: run RedriveDeadLetters (or wildrydes dlq redrive) after fixing the cause"),
		Metric: dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(1)),
			Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	addDeadLetterAlarms(alarms, dlq, unstorable)
	awscdk.NewCfnOutput(stack, jsii.String("DeadLetterQueueUrl"), &awscdk.CfnOutputProps{Value: dlq.QueueUrl()})
	awscdk.NewCfnOutput(stack, jsii.String("UnstorableQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Rides no retry can store, each with its reason (wildrydes dlq list)"),
		Value:       unstorable.QueueUrl(),
	})
	ops.functions(putSNS, redrive)
	return ops.queues(dlq, unstorable)
}

// grantPutOnly lets fn write items and nothing else: no reads, no deletes, no wildcard.
func grantPutOnly(table awsdynamodb.Table, fn *wrconstructs.GoLambda) {
	table.Grant(fn.Function, jsii.String("dynamodb:PutItem"))
}

// keptQueue is a queue of rides waiting for a person: encrypted, TLS only, its messages kept
// SQS's longest 14 days (MessageRetentionPeriod at most 1,209,600 s:
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html),
// the queue itself retained when the stack lets it go, under a stable
// logical ID.
func keptQueue(stack awscdk.Stack, logicalID string) awssqs.Queue {
	q := awssqs.NewQueue(stack, jsii.String(logicalID), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
	})
	q.Node().DefaultChild().(awssqs.CfnQueue).OverrideLogicalId(jsii.String(logicalID))
	return q
}
