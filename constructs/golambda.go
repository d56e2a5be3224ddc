// Package constructs holds the building blocks the Wild Rydes stacks compose.
package constructs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdklambdagoalpha/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// EntryMetadataKey is the resource metadata key that records which folder under lambdas/ a
// function is built from; the local runner reads it from the synthesized template to build a
// host binary of the same code (model.EntryOf finds it there without knowing this key).
const EntryMetadataKey = "wildrydes:entry"

// GoLambdaProps configures a GoLambda. Only Entry is required.
type GoLambdaProps struct {
	// Entry is the function's folder relative to the module root, e.g. "lambdas/request-ride".
	Entry string
	// Description shows in the Lambda console.
	Description string
	// MemorySize in MB; default 256 (the Go binaries need little, but CPU scales with memory).
	MemorySize float64
	// Timeout; default 10 seconds.
	Timeout awscdk.Duration
	// Environment variables.
	Environment map[string]*string
	// Invocation is how the function is invoked; default InvokedAsynchronously.
	Invocation Invocation
	// DeadLetterQueue receives events of asynchronous invocations that failed every attempt.
	DeadLetterQueue awssqs.IQueue
	// RetryAttempts for asynchronous invocations (0..2); only set when DeadLetterQueue is set.
	RetryAttempts float64
	// MaxEventAge of asynchronous invocations (1 minute to 6 hours; default Lambda's 6 hours):
	// an event older is not tried again and goes to the DeadLetterQueue. Only set when
	// DeadLetterQueue is set.
	// https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
	MaxEventAge awscdk.Duration
	// LogRetention of the function's log group; default one month.
	LogRetention awslogs.RetentionDays
}

// Invocation is how a function is invoked, which decides where an event it fails goes and so
// which of cdk-nag's Serverless findings the design accepts for it.
type Invocation int

const (
	// InvokedAsynchronously: Lambda queues each event (SNS, EventBridge) and retries it; one that
	// fails every attempt goes to the DeadLetterQueue, which cdk-nag's Serverless-LambdaDLQ then
	// requires. The default.
	// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
	InvokedAsynchronously Invocation = iota
	// InvokedSynchronously: an HTTP API or an operator invokes it and receives its error; a
	// dead-letter queue only ever receives asynchronous events.
	InvokedSynchronously
	// InvokedByCloudFormation: the function behind a custom resource. CloudFormation invokes it
	// and waits for its answer at the response URL; a failed invocation fails the deploy.
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources.html
	InvokedByCloudFormation
)

// GoLambda is a Go function built by the CDK from its folder with the project's defaults:
// provided.al2023 on arm64, a stripped and reproducible build, X-Ray tracing, JSON logs into a
// log group with a retention, and a role that may write its own logs and nothing else until a
// stack grants more. It accepts the cdk-nag findings that these defaults and its Invocation
// cause by design, each with its reason (accept).
type GoLambda struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
}

// NewGoLambda defines a GoLambda.
func NewGoLambda(scope constructs.Construct, id string, props *GoLambdaProps) *GoLambda {
	if props == nil || props.Entry == "" {
		panic(fmt.Sprintf("GoLambda %s: Entry (the folder under lambdas/) is required", id))
	}
	if props.DeadLetterQueue != nil && props.Invocation != InvokedAsynchronously {
		panic(fmt.Sprintf("GoLambda %s: a DeadLetterQueue only receives asynchronous invocations; this one is invoked otherwise", id))
	}
	this := constructs.NewConstruct(scope, jsii.String(id))

	memory := props.MemorySize
	if memory == 0 {
		memory = 256
	}
	timeout := props.Timeout
	if timeout == nil {
		timeout = awscdk.Duration_Seconds(jsii.Number(10))
	}
	retention := props.LogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_ONE_MONTH
	}

	logGroup := awslogs.NewLogGroup(this, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy may write
	// to every log group in the account.
	role := awsiam.NewRole(this, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("Runs %s; writes its own logs", id)),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logGroup.LogGroupArn()),
	}))

	moduleDir := ModuleRoot()
	hash, err := sourceHash(moduleDir, props.Entry)
	if err != nil {
		panic(fmt.Sprintf("GoLambda %s: %v", id, err))
	}
	fnProps := &awscdklambdagoalpha.GoFunctionProps{
		Entry:         jsii.String(filepath.Join(moduleDir, props.Entry)),
		ModuleDir:     jsii.String(filepath.Join(moduleDir, "go.mod")),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Description:   jsii.String(props.Description),
		MemorySize:    jsii.Number(memory),
		Timeout:       timeout,
		Environment:   &props.Environment,
		Role:          role,
		LogGroup:      logGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Tracing:       awslambda.Tracing_ACTIVE,
		Bundling: &awscdklambdagoalpha.BundlingOptions{
			GoBuildFlags:  jsii.Strings(goBuildFlags...),
			AssetHash:     jsii.String(hash),
			AssetHashType: awscdk.AssetHashType_CUSTOM,
			Environment:   &map[string]*string{"GOFLAGS": jsii.String("-mod=readonly -buildvcs=false")},
		},
	}
	if props.DeadLetterQueue != nil {
		fnProps.DeadLetterQueue = props.DeadLetterQueue
		fnProps.RetryAttempts = jsii.Number(props.RetryAttempts)
		fnProps.MaxEventAge = props.MaxEventAge
	}
	fn := awscdklambdagoalpha.NewGoFunction(this, jsii.String("Function"), fnProps)
	// The build flags are the constants above, not user input.
	awscdk.Annotations_Of(this).AcknowledgeWarning(jsii.String("@aws-cdk/aws-lambda-go-alpha:goBuildFlagsSecurityWarning"),
		jsii.String("the Go build flags are constants in constructs/golambda.go"))
	cfnFn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	// The function's logical ID is its name (RequestRide, PutRideRecordSns, ...), so templates,
	// diffs and the local runner's logs read like the architecture.
	cfnFn.OverrideLogicalId(jsii.String(id))
	cfnFn.AddMetadata(jsii.String(EntryMetadataKey), props.Entry)

	l := &GoLambda{Construct: this, Function: fn, Role: role, LogGroup: logGroup}
	l.accept(props)
	return l
}

// accept records the cdk-nag findings every GoLambda causes by design, and those of its
// Invocation, with their reasons.
func (l *GoLambda) accept(props *GoLambdaProps) {
	// X-Ray's write actions have no resource-level permissions, so tracing's statement names
	// them on "*". https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
	AcceptFinding(l.Construct, "AwsSolutions-IAM5",
		"X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; the actions are named, not wildcarded",
		"Resource::*")
	switch props.Invocation {
	case InvokedSynchronously:
		AcceptFinding(l.Function, "Serverless-LambdaDLQ",
			"invoked synchronously (HTTP API or on demand): the caller receives the error; a dead-letter queue only applies to asynchronous invocations")
	case InvokedByCloudFormation:
		AcceptFinding(l.Function, "Serverless-LambdaDLQ",
			"invoked by CloudFormation for a custom resource: its answer goes to CloudFormation's response URL, and a failed invocation fails the deploy; a dead-letter queue would hold nothing anyone re-drives")
	}
	if props.DeadLetterQueue != nil {
		AcceptFinding(l.Function, "Serverless-LambdaAsyncFailureDestination",
			"failed events go to the function's dead-letter queue (DeadLetterConfig, as the workshop asks); an on-failure destination as well would put every failed ride in the queue twice")
	}
}

// ModuleRoot is the folder holding go.mod, found upwards from the working directory, so the app
// bundles the same code whether it runs from the repository root (cdk) or a package (go test).
func ModuleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		panic(fmt.Sprintf("finding the Go module root: %v", err))
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			panic(fmt.Sprintf("no go.mod in %s or any folder above it: run from the repository", dir))
		}
	}
}
