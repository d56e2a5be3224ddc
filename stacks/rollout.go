package stacks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
)

// Rollout safety, built into the templates so that CloudFormation itself refuses a deploy that
// would leave an accepted ride with no way, or two ways, into the table, whatever the user types.
// Each stack publishes in SSM what it provides at its step, and each stack state declares what it
// requires of the other:
//   - "exists": an SSM-typed template parameter, which CloudFormation resolves before it makes a
//     change set ("Unable to fetch parameters [<name>]" names what to deploy first);
//   - "absent, or one of these values": the conditions of a guard custom resource, on which every
//     other resource of the stack depends, so a failing check rolls the update back before anything
//     else changed.

// requirement is what a stack state requires of the other stack.
type requirement struct {
	// exists are SSM parameters that must exist (SSM-typed template parameters, by logical ID).
	exists map[string]string
	// conditions go into the guard's properties.
	conditions []rolloutguard.Condition
}

// requirements of kind at step (its own step, StackStep), at stage.
func requirements(kind design.StackKind, stage string, step design.Step) requirement {
	req := requirement{exists: map[string]string{}}
	switch kind {
	case design.WildRydes:
		if step.PublishesToTopic() {
			req.exists["RideRecordSubscriberReady"] = design.SubscriberReadyParameterName(stage)
		}
		if !step.HasTopic() {
			req.conditions = append(req.conditions, rolloutguard.Condition{
				Parameter:     design.SubscriberReadyParameterName(stage),
				AllowedValues: []string{""},
				Reason: fmt.Sprintf("%s subscribes to the rides topic this state deletes: roll it back below step %d first",
					design.StackName(design.RideRecord, stage), design.StepSubscriber),
			})
		}
		if !step.PublishesToTopic() {
			req.conditions = append(req.conditions, rolloutguard.Condition{
				Parameter:     design.RecordAuthorizationParameterName(stage),
				AllowedValues: []string{design.RecordOpen, ""},
				Reason: fmt.Sprintf("this state POSTs each ride to POST /record, which %s locks with AWS_IAM: roll it back below step %d first",
					design.StackName(design.RideRecord, stage), design.StepLockRecord),
			})
		}
	case design.RideRecord:
		if !step.HasSNSSubscriber() {
			req.conditions = append(req.conditions, rolloutguard.Condition{
				Parameter:     design.RideDeliveryParameterName(stage),
				AllowedValues: []string{design.DeliveryHTTP, ""},
				Reason: fmt.Sprintf("%s publishes rides to the topic and this state has no subscriber: roll it back to step %d first",
					design.StackName(design.WildRydes, stage), design.StepPublish-1),
			})
		}
		if step.HasLockedRecordRoute() {
			req.conditions = append(req.conditions, rolloutguard.Condition{
				Parameter:     design.RideDeliveryParameterName(stage),
				AllowedValues: []string{design.DeliverySNS, ""},
				Reason: fmt.Sprintf("%s still POSTs rides to POST /record, which this state locks with AWS_IAM: deploy its step %d first",
					design.StackName(design.WildRydes, stage), design.StepPublish),
			})
		}
	}
	return req
}

// addRolloutSafety is called once by each stack constructor: what the stack publishes, its guard
// and the order of its deploy (an Aspect, so resources added after the call are ordered too).
func addRolloutSafety(stack awscdk.Stack, kind design.StackKind, stage string, appStep design.Step) {
	step := appStep.StackStep(kind)
	ready := publish(stack, kind, stage, step)
	guard, guardFn := addGuard(stack, stage, requirements(kind, stage, step), step)
	orderDeploy(stack, guard, guardFn, ready)
	awscdk.NewCfnOutput(stack, jsii.String(design.StepOutput), &awscdk.CfnOutputProps{
		Description: jsii.String("The refactor step this stack's template belongs to (-c step=K deploys the last step up to K that changes this stack)"),
		Value:       jsii.String(fmt.Sprint(int(step))),
	})
}

// publish writes what the stack provides at its step; it returns the parameter that announces
// the subscriber (nil when there is none).
func publish(stack awscdk.Stack, kind design.StackKind, stage string, step design.Step) awsssm.CfnParameter {
	put := func(id, name, value, description string) awsssm.CfnParameter {
		p := awsssm.NewStringParameter(stack, jsii.String(id), &awsssm.StringParameterProps{
			ParameterName: jsii.String(name), StringValue: jsii.String(value), Description: jsii.String(description)})
		cfnParam := p.Node().DefaultChild().(awsssm.CfnParameter)
		cfnParam.OverrideLogicalId(jsii.String(id))
		return cfnParam
	}
	switch kind {
	case design.WildRydes:
		put("RideDeliverySsmParam", design.RideDeliveryParameterName(stage), step.RideDelivery(),
			"How RequestRide hands each ride to the ride-record service (http or sns); the ride-record stack's guard reads it")
	case design.RideRecord:
		put("RecordAuthorizationSsmParam", design.RecordAuthorizationParameterName(stage), step.RecordAuthorization(),
			"What POST /record requires of a caller (NONE or AWS_IAM); the wild-rydes stack's guard reads it")
		if step.HasSNSSubscriber() {
			return put("SubscriberReadySsmParam", design.SubscriberReadyParameterName(stage), "PutRideRecordSns",
				"Exists while PutRideRecordSns is subscribed to the rides topic; wild-rydes may publish only while it does")
		}
	}
	return nil
}

// addGuard adds the SSM-typed parameters and the guard that declare req. The guard's Step
// property changes whenever the stack's template does, so CloudFormation runs it on every update.
func addGuard(stack awscdk.Stack, stage string, req requirement, step design.Step) (awscdk.CfnResource, *wrconstructs.GoLambda) {
	fn := wrconstructs.NewGoLambda(stack, "CheckRollout", &wrconstructs.GoLambdaProps{
		Entry:       "lambdas/rollout-guard",
		Description: "Custom::RolloutGuard: fails a deploy whose stack state requires what the other stack does not provide",
		MemorySize:  128,
		Timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
		Invocation:  wrconstructs.InvokedByCloudFormation,
	})
	var names []string
	for _, c := range req.conditions {
		names = append(names, c.Parameter)
	}
	if len(names) > 0 {
		var arns []*string
		for _, n := range names {
			arns = append(arns, stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
				ResourceName: jsii.String(strings.TrimPrefix(n, "/")), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME}))
		}
		fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ssm:GetParameter"), Resources: &arns}))
	}

	requires := map[string]any{}
	for id, name := range req.exists {
		p := awscdk.NewCfnParameter(stack, jsii.String(id), &awscdk.CfnParameterProps{
			Type:        jsii.String("AWS::SSM::Parameter::Value<String>"),
			Default:     jsii.String(name),
			Description: jsii.String(fmt.Sprintf("Must exist before this stack state is deployed: %s", name)),
		})
		p.OverrideLogicalId(jsii.String(id))
		requires[name] = p.ValueAsString()
	}
	conditions := []any{}
	for _, c := range req.conditions {
		conditions = append(conditions, map[string]any{"Parameter": c.Parameter, "AllowedValues": c.AllowedValues, "Reason": c.Reason})
	}
	properties := map[string]any{
		"Stage":                        stage,
		"Step":                         fmt.Sprint(int(step)),
		design.GuardConditionsProperty: conditions,
	}
	if len(requires) > 0 {
		properties["Requires"] = requires
	}
	guard := awscdk.NewCustomResource(stack, jsii.String("RolloutGuard"), &awscdk.CustomResourceProps{
		ServiceToken:   fn.Function.FunctionArn(),
		ResourceType:   jsii.String(design.GuardResourceType),
		ServiceTimeout: awscdk.Duration_Seconds(jsii.Number(60)),
		Properties:     &properties,
	})
	cfnGuard := guard.Node().DefaultChild().(awscdk.CfnResource)
	cfnGuard.OverrideLogicalId(jsii.String("RolloutGuard"))
	return cfnGuard, fn
}

// deployOrder is the Aspect that orders each stack's deploy: every resource but the guard's own
// waits for the guard, every route integration and subscription waits for the permission that
// lets it invoke its function, and the SubscriberReady parameter waits for the subscription it
// announces. An Aspect visits every construct of the stack when it is synthesized, so it also
// orders what is added after the constructor has returned; a pair is linked whichever of the two
// it visits first.
type deployOrder struct {
	stack     awscdk.Stack
	guard     awscdk.CfnResource
	guardPath string
	own       string              // path prefix of the guard's own function, role, policies and log group
	ready     awsssm.CfnParameter // nil when the stack announces no subscriber

	permissions map[string][]awslambda.CfnPermission // by invoker key: resolved function and principal
	invokers    map[string][]invoker
}

// invoker is a resource that invokes a function once it exists: a route integration or a
// subscription.
type invoker struct {
	resource awscdk.CfnResource
	why      string
}

// orderDeploy adds the deployOrder Aspect to stack. It mutates the templates, so it runs before
// the read-only aspects (cdk-nag's packs).
func orderDeploy(stack awscdk.Stack, guard awscdk.CfnResource, guardFn *wrconstructs.GoLambda, ready awsssm.CfnParameter) {
	awscdk.Aspects_Of(stack).Add(&deployOrder{
		stack: stack, guard: guard, guardPath: *guard.Node().Path(), own: *guardFn.Node().Path() + "/", ready: ready,
		permissions: map[string][]awslambda.CfnPermission{}, invokers: map[string][]invoker{},
	}, &awscdk.AspectOptions{Priority: awscdk.AspectPriority_MUTATING()})
}

// Visit orders one resource of the stack.
func (o *deployOrder) Visit(node constructs.IConstruct) {
	r, ok := node.(awscdk.CfnResource)
	if !ok || !*awscdk.CfnResource_IsCfnResource(node) {
		return
	}
	path := *r.Node().Path()
	switch {
	case path == o.guardPath:
		return
	case strings.HasPrefix(path, o.own):
		// The guard's own function, role, policies and log group are ready before it runs.
		o.guard.AddResourceDependency(r, jsii.String("the guard runs once its function may"))
		return
	}
	r.AddResourceDependency(o.guard, jsii.String("nothing changes before the rollout guard's check passes"))
	switch x := r.(type) {
	case awslambda.CfnPermission:
		key := resolved(o.stack, x.FunctionName()) + " " + *x.Principal()
		o.permissions[key] = append(o.permissions[key], x)
		for _, i := range o.invokers[key] {
			i.resource.AddResourceDependency(x, jsii.String(i.why))
		}
	case awsapigatewayv2.CfnIntegration:
		o.invokes(x, resolved(o.stack, x.IntegrationUri())+" apigateway.amazonaws.com",
			"API Gateway may invoke the function before the route points at it")
	case awssns.CfnSubscription:
		o.invokes(x, resolved(o.stack, x.Endpoint())+" sns.amazonaws.com",
			"SNS may invoke the function before the subscription delivers to it")
		if o.ready != nil {
			o.ready.AddResourceDependency(x, jsii.String("the subscriber is announced once it is subscribed"))
		}
	}
}

// invokes makes r wait for every permission with key, those visited already and those to come.
func (o *deployOrder) invokes(r awscdk.CfnResource, key, why string) {
	o.invokers[key] = append(o.invokers[key], invoker{r, why})
	for _, p := range o.permissions[key] {
		r.AddResourceDependency(p, jsii.String(why))
	}
}

// resolved is a value as the template will write it, to compare references.
func resolved(stack awscdk.Stack, v any) string {
	b, _ := json.Marshal(stack.Resolve(v))
	return string(b)
}
