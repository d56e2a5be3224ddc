// Package deploy is the local system's CloudFormation: it creates, updates and deletes a stack's
// resources as CloudFormation does, through the stack statuses CloudFormation documents, one
// operation at a time per stack (two stacks at once), rolling a failed one back, with one provider
// per resource type (provider_<service>.go; a custom resource invokes its function for real), and
// refuses what CloudFormation refuses.
package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/apigw"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/ddbproxy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	localsns "github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// Clients are the engine's own AWS clients, all pointed at the emulator.
type Clients struct {
	DynamoDB *dynamodb.Client
	SNS      *sns.Client
	SQS      *sqs.Client
	SSM      *ssm.Client
}

// NewClients makes the clients of cfg.
func NewClients(cfg aws.Config) Clients {
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), SNS: sns.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg), SSM: ssm.NewFromConfig(cfg)}
}

// Services are what the providers create resources in.
type Services struct {
	Region string
	// AccountID is the account in the ARNs the engine makes (AWS::AccountId): the emulator's.
	// Default localstate.AccountID.
	AccountID string
	AWS       Clients
	// Tables enforces each table's throughput (the DynamoDB proxy the functions call).
	Tables  *ddbproxy.Proxy
	Gateway *apigw.Gateway
	Lambda  *lambda.Service
	SNS     *localsns.Service
	// CloudWatch evaluates the alarms and keeps the dashboards.
	CloudWatch *cloudwatch.Service
	Builder    *lambda.Builder
	// Invoker runs custom resources' functions; default Lambda.
	Invoker Invoker
	// Responses is the URL under which the local CloudFormation endpoint takes custom resources'
	// answers (PUT Responses/REQUEST_ID, handed to Respond).
	Responses string
	// Clock is the local system's AWS time, in which a custom resource's ServiceTimeout passes;
	// default the real one.
	Clock *clock.Clock
	// Changed, if set, is called after each stack operation ends (completed, rolled back or
	// failed), so that what depends on the stacks follows them.
	Changed func()
	// FunctionEnv is what every function's environment starts with: the region, the local
	// credentials and the local system's endpoints.
	FunctionEnv map[string]string
	Log         io.Writer
}

// Invoker invokes a function asynchronously, as CloudFormation invokes a custom resource's
// ServiceToken (InvocationType Event), and tells whether it is running an invocation.
type Invoker interface {
	InvokeAsync(arn string, payload []byte)
	Running(arn string) bool
}

// Engine deploys stacks onto the services.
type Engine struct {
	Services

	mu      sync.Mutex
	stacks  map[string]*stackRecord // by stack name
	deleted []*stackRecord          // stacks the CDK CLI deleted before creating them again
	queues  map[string]string       // queue ARN -> URL
	calls   calls                   // custom resource requests waiting for their answer
}

// New is an engine with no stack.
func New(s Services) *Engine {
	if s.Clock == nil {
		s.Clock = clock.Real()
	}
	if s.Invoker == nil && s.Lambda != nil {
		s.Invoker = s.Lambda
	}
	if s.Log == nil {
		s.Log = io.Discard
	}
	if s.AccountID == "" {
		s.AccountID = localstate.AccountID
	}
	return &Engine{Services: s, stacks: map[string]*stackRecord{}, queues: map[string]string{}}
}

// Stack is one stack as the local system created it. A deploy makes a new one; a Stack never
// changes.
type Stack struct {
	Name      string
	Source    *cfn.Stack           // the template it was deployed from
	Resources map[string]*Resource // by logical ID
	Outputs   map[string]string
	order     []string
}

// PhysicalIDs are the physical IDs by logical ID.
func (d *Stack) PhysicalIDs() map[string]string {
	out := map[string]string{}
	for id, r := range d.Resources {
		out[id] = r.Physical
	}
	return out
}

// Resource is one created resource and what removing it needs.
type Resource struct {
	LogicalID, Type, Physical string
	Attrs                     map[string]string // Fn::GetAtt's
	props                     string            // resolved properties as JSON: unchanged means nothing to do
	retain                    bool
	// stackID is its stack's ID, which a custom resource's requests carry.
	stackID string
	// token is what removing it needs that its properties do not say (a subscription's token
	// at the SNS bridge).
	token string
}

// resolved reads the properties it was created with into v.
func (r *Resource) resolved(v any) error { return json.Unmarshal([]byte(r.props), v) }

// Stacks are the stacks that hold resources, by name, as the last deploy of each that completed
// (or was rolled back to) left them.
func (e *Engine) Stacks() map[string]*Stack {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]*Stack, len(e.stacks))
	for name, rec := range e.stacks {
		if rec.current != nil {
			out[name] = rec.current
		}
	}
	return out
}

// Model is the model of the stacks as deployed.
func (e *Engine) Model() (*model.System, error) {
	var sources []*cfn.Stack
	for _, d := range e.Stacks() {
		sources = append(sources, d.Source)
	}
	sys, err := model.New(sources...)
	if err != nil {
		return nil, fmt.Errorf("the model of the deployed stacks: %w", err)
	}
	return sys, nil
}

// changed tells Services.Changed that an operation ended.
func (e *Engine) changed() {
	if e.Changed != nil {
		e.Changed()
	}
}

// Build builds the host binaries of every function in the templates, in one go build.
func (e *Engine) Build(ctx context.Context, templates ...*cfn.Template) error {
	var entries []string
	for _, t := range templates {
		for _, r := range t.ResourcesOfType("AWS::Lambda::Function") {
			entry := model.EntryOf(r)
			if entry == "" {
				return fmt.Errorf("function %s has no entry metadata (the folder it is built from): the local runner runs only functions built by constructs.GoLambda", r.LogicalID)
			}
			entries = append(entries, entry)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	_, err := e.Builder.Binaries(ctx, entries)
	return err
}
