package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
)

// addNagChecks puts cdk-nag's AwsSolutions and Serverless packs on the stack, so every synth
// checks it; an unsuppressed finding is an error that stops the synth.
func addNagChecks(stack awscdk.Stack) {
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(stack).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// The findings this design accepts, each with its reason. Suppressions name the rule and the
// resource; nothing is suppressed stack-wide.

func suppress(scope constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var list []interface{}
		for _, a := range appliesTo {
			list = append(list, a)
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(scope, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// acceptFunctionFindings covers what every GoLambda shares: X-Ray's write actions, which have
// no resource-level permissions, so their resource is "*" (the actions themselves are named).
func acceptFunctionFindings(fn *wrconstructs.GoLambda) {
	suppress(fn.Construct, "AwsSolutions-IAM5",
		"X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; the actions are named, not wildcarded",
		"Resource::*")
}

// acceptSynchronousFunction: a function behind an HTTP route is invoked synchronously; the
// caller gets its error, and a Lambda dead-letter queue only ever receives asynchronous events.
func acceptSynchronousFunction(fn *wrconstructs.GoLambda) {
	suppress(fn.Function, "Serverless-LambdaDLQ",
		"invoked synchronously (HTTP API or on demand): the caller receives the error; a dead-letter queue only applies to asynchronous invocations")
}

// acceptPublicRoute: the Wild Rydes API is public as in the original workshop (the web page
// books rides without signing in); throttling on the stage bounds abuse.
func acceptPublicRoute(routes *[]awsapigatewayv2.HttpRoute) {
	for _, r := range *routes {
		suppress(r, "AwsSolutions-APIG4",
			"public by design, as in the original Wild Rydes workshop; the stage is throttled")
	}
}

// acceptCustomResourceFunction: CloudFormation invokes a custom resource's function and waits for
// its answer at the response URL; a failed invocation fails the deploy, so a dead-letter queue
// would hold events nobody re-drives.
func acceptCustomResourceFunction(fn *wrconstructs.GoLambda) {
	suppress(fn.Function, "Serverless-LambdaDLQ",
		"invoked by CloudFormation for a custom resource: its answer goes to CloudFormation's response URL, and a failed invocation fails the deploy; a dead-letter queue would hold nothing anyone re-drives")
}
