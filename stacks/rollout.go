package stacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

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
//
// The guard also refuses while the other stack is being deployed (OtherStack) and checks again
// what the change set resolved (Requires), so that two deploys run one after the other or not at
// all; and ride-record lets PutRideRecordSns go only once no ride can still wait for it.

// The timings the rollout safety rests on.
const (
	// guardTimeout is the guard function's timeout: its checks (each SDK call bounded) and its
	// answer, which it keeps a margin for.
	guardTimeout = 30 * time.Second
	// guardServiceTimeout is how long CloudFormation waits for the guard's answer: through
	// Lambda's two asynchronous retries of a failed invocation, a minute and two minutes after
	// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), each up
	// to guardTimeout, and a minute more; at most 3600 s
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html).
	guardServiceTimeout = 3*guardTimeout + time.Minute + 2*time.Minute + time.Minute
	// requestRideTimeout is RequestRide's timeout: an invocation that began before its
	// configuration stopped publishing may publish until this long after.
	requestRideTimeout = 10 * time.Second
	// subscriberTimeout and subscriberMaxEventAge are PutRideRecordSns's: an event is tried
	// until it is subscriberMaxEventAge old (then it goes to the dead-letter queue), and an
	// attempt runs up to subscriberTimeout.
	subscriberTimeout     = 10 * time.Second
	subscriberMaxEventAge = 10 * time.Minute
	// subscriberDrain is how long RideDelivery must have been "http" before ride-record may
	// delete PutRideRecordSns: the last ride published, then its whole life in Lambda's
	// asynchronous queue, then its last attempt; and a minute for SNS's first delivery retries
	// and the clocks' skew.
	subscriberDrain = requestRideTimeout + subscriberMaxEventAge + subscriberTimeout + time.Minute
)

// ssmParameterType is the type of a template parameter CloudFormation resolves from SSM when it
// makes the change set.
const ssmParameterType = "AWS::SSM::Parameter::Value<String>"

func durationOf(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}

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
			// RideDelivery is written after RequestRide's configuration (publish), so its
			// history says when RequestRide stopped publishing.
			req.conditions = append(req.conditions, rolloutguard.Condition{
				Parameter:     design.RideDeliveryParameterName(stage),
				AllowedValues: []string{design.DeliveryHTTP, ""},
				HeldFor:       subscriberDrain,
				Reason: fmt.Sprintf("%s publishes rides to the topic and this state has no subscriber: roll it back to step %d first, and let the rides it published drain",
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
// announced, if not nil, is what the published parameters announce: they are written after it.
func addRolloutSafety(stack awscdk.Stack, kind design.StackKind, stage string, appStep design.Step, announced constructs.IConstruct) {
	step := appStep.StackStep(kind)
	ready := publish(stack, kind, stage, step, announced)
	guard, guardFn := addGuard(stack, kind, stage, requirements(kind, stage, step), step)
	orderDeploy(stack, guard, guardFn, ready)
	awscdk.NewCfnOutput(stack, jsii.String(design.StepOutput), &awscdk.CfnOutputProps{
		Description: jsii.String("The refactor step this stack's template belongs to (-c step=K deploys the last step up to K that changes this stack)"),
		Value:       jsii.String(fmt.Sprint(int(step))),
	})
}

// publish writes what the stack provides at its step; it returns the parameter that announces
// the subscriber (nil when there is none). Each parameter is written after announced.
func publish(stack awscdk.Stack, kind design.StackKind, stage string, step design.Step, announced constructs.IConstruct) awsssm.CfnParameter {
	put := func(id, name, value, description string) awsssm.CfnParameter {
		p := awsssm.NewStringParameter(stack, jsii.String(id), &awsssm.StringParameterProps{
			ParameterName: jsii.String(name), StringValue: jsii.String(value), Description: jsii.String(description)})
		cfnParam := p.Node().DefaultChild().(awsssm.CfnParameter)
		cfnParam.OverrideLogicalId(jsii.String(id))
		if announced != nil {
			// RideDelivery changes only once RequestRide's configuration has: its history
			// then tells when RequestRide stopped (or started) publishing.
			cfnParam.Node().AddDependency(announced)
		}
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
func addGuard(stack awscdk.Stack, kind design.StackKind, stage string, req requirement, step design.Step) (awscdk.CfnResource, *wrconstructs.GoLambda) {
	fn := wrconstructs.NewGoLambda(stack, "CheckRollout", &wrconstructs.GoLambdaProps{
		Entry:       "lambdas/rollout-guard",
		Description: "Custom::RolloutGuard: fails a deploy whose stack state requires what the other stack does not provide, or that runs beside a deploy of it",
		MemorySize:  128,
		Timeout:     durationOf(guardTimeout),
		Invocation:  wrconstructs.InvokedByCloudFormation,
	})
	other := design.StackName(design.RideRecord, stage)
	if kind == design.RideRecord {
		other = design.StackName(design.WildRydes, stage)
	}
	for id, name := range req.exists {
		p := awscdk.NewCfnParameter(stack, jsii.String(id), &awscdk.CfnParameterProps{
			Type:        jsii.String(ssmParameterType),
			Default:     jsii.String(name),
			Description: jsii.String(fmt.Sprintf("Must exist before this stack state is deployed: %s", name)),
		})
		p.OverrideLogicalId(jsii.String(id))
	}
	// Every SSM-typed template parameter of the stack, the requirements above and the values the
	// stack reads (the record URL, the topic's ARN): the guard checks each again when it runs.
	requires := map[string]any{}
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if p, ok := c.(awscdk.CfnParameter); ok && *awscdk.CfnElement_IsCfnElement(c) && *p.Type() == ssmParameterType {
			name, _ := p.Default().(string)
			if ptr, ok := p.Default().(*string); ok {
				name = *ptr
			}
			if name != "" && !strings.HasPrefix(name, "/cdk-bootstrap/") {
				requires[name] = p.ValueAsString()
			}
		}
	}
	allowGuard(stack, fn, req, slices.Sorted(maps.Keys(requires)), []string{design.StackName(kind, stage), other})

	conditions := []any{}
	for _, c := range req.conditions {
		condition := map[string]any{"Parameter": c.Parameter, "AllowedValues": c.AllowedValues, "Reason": c.Reason}
		if c.HeldFor > 0 {
			condition[design.GuardHeldForProperty] = fmt.Sprint(int(c.HeldFor.Seconds()))
		}
		conditions = append(conditions, condition)
	}
	properties := map[string]any{
		"Stage":                        stage,
		"Step":                         fmt.Sprint(int(step)),
		design.GuardConditionsProperty: conditions,
		design.GuardOtherStackProperty: other,
	}
	if len(requires) > 0 {
		properties[design.GuardRequiresProperty] = requires
	}
	guard := awscdk.NewCustomResource(stack, jsii.String("RolloutGuard"), &awscdk.CustomResourceProps{
		ServiceToken:   fn.Function.FunctionArn(),
		ResourceType:   jsii.String(design.GuardResourceType),
		ServiceTimeout: durationOf(guardServiceTimeout),
		Properties:     &properties,
	})
	cfnGuard := guard.Node().DefaultChild().(awscdk.CfnResource)
	cfnGuard.OverrideLogicalId(jsii.String("RolloutGuard"))
	return cfnGuard, fn
}

// allowGuard lets the guard's function read what it checks and nothing else: the parameters of
// its conditions and requirements (ssm:GetParameter), the history of those whose values must
// have held (ssm:GetParameterHistory), and the status of the two stacks
// (cloudformation:DescribeStacks, whose resource is a stack:
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html).
func allowGuard(stack awscdk.Stack, fn *wrconstructs.GoLambda, req requirement, requires, stackNames []string) {
	arn := func(name string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
			ResourceName: jsii.String(strings.TrimPrefix(name, "/")), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})
	}
	var read, history []*string
	var names []string
	for _, c := range req.conditions {
		names = append(names, c.Parameter)
		if c.HeldFor > 0 {
			history = append(history, arn(c.Parameter))
		}
	}
	names = append(names, requires...)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		read = append(read, arn(name))
	}
	for _, s := range []struct {
		action string
		arns   []*string
	}{{"ssm:GetParameter", read}, {"ssm:GetParameterHistory", history}} {
		if len(s.arns) > 0 {
			fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(s.action), Resources: &s.arns}))
		}
	}
	var stacks []*string
	for _, name := range stackNames {
		// A stack's ARN ends with the ID CloudFormation gives it when it is created.
		stacks = append(stacks, stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudformation"), Resource: jsii.String("stack"),
			ResourceName: jsii.String(name + "/*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME}))
	}
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("cloudformation:DescribeStacks"), Resources: &stacks}))
	wrconstructs.AcceptFinding(fn.Role, "AwsSolutions-IAM5",
		"a stack's ARN ends with the ID CloudFormation gives it on creation; the guard may describe the two stacks of its stage by name, and nothing else",
		"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/"+stackNames[0]+"/*",
		"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/"+stackNames[1]+"/*")
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
