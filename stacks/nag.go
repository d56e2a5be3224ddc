package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
)

// addNagChecks puts cdk-nag's AwsSolutions and Serverless packs on the stack, so every synth
// checks it; an unsuppressed finding is an error that stops the synth. What the design accepts
// is recorded, with its reason, by the construct or the stack that causes it
// (constructs.AcceptFinding), never stack-wide.
func addNagChecks(stack awscdk.Stack) {
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(stack).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// acceptPublicRoute: the Wild Rydes API is public as in the original workshop (the web page
// books rides without signing in); throttling on the stage bounds abuse.
func acceptPublicRoute(routes *[]awsapigatewayv2.HttpRoute) {
	for _, r := range *routes {
		wrconstructs.AcceptFinding(r, "AwsSolutions-APIG4",
			"public by design, as in the original Wild Rydes workshop; the stage is throttled")
	}
}
