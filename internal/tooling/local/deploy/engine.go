// Package deploy is the local system's CloudFormation: it creates, updates and deletes a stack's
// resources as CloudFormation does, one update at a time per stack, with one provider per
// resource type (provider_<service>.go), and refuses what CloudFormation refuses.
package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/apigw"
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
	AWS    Clients
	// Tables enforces each table's throughput (the DynamoDB proxy the functions call).
	Tables  *ddbproxy.Proxy
	Gateway *apigw.Gateway
	Lambda  *lambda.Service
	SNS     *localsns.Service
	Builder *lambda.Builder
	// FunctionEnv is what every function's environment starts with: the region, the local
	// credentials and the local system's endpoints.
	FunctionEnv map[string]string
	Log         io.Writer
}

// Engine deploys stacks onto the services.
type Engine struct {
	Services

	mu     sync.Mutex
	stacks map[string]*Stack      // by stack name
	locks  map[string]*sync.Mutex // by stack name: one update at a time per stack
	queues map[string]string      // queue ARN -> URL
}

// New is an engine with no stack.
func New(s Services) *Engine {
	return &Engine{Services: s, stacks: map[string]*Stack{}, locks: map[string]*sync.Mutex{}, queues: map[string]string{}}
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
	// token is what removing it needs that its properties do not say (a subscription's token
	// at the SNS bridge).
	token string
}

// resolved reads the properties it was created with into v.
func (r *Resource) resolved(v any) error { return json.Unmarshal([]byte(r.props), v) }

// Stacks are the deployed stacks by name.
func (e *Engine) Stacks() map[string]*Stack {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]*Stack, len(e.stacks))
	for name, d := range e.stacks {
		out[name] = d
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

// lock is the stack's update lock.
func (e *Engine) lock(stack string) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.locks[stack] == nil {
		e.locks[stack] = &sync.Mutex{}
	}
	return e.locks[stack]
}

// Deploy creates or updates one stack as CloudFormation would: after the checks CloudFormation
// makes before changing anything, resources in dependency order, unchanged ones kept, changed
// ones updated in place (functions swapped without dropping an invocation in flight), and what
// the new template no longer has removed last. An update of a stack waits for the one under way
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks.html:
// a stack in UPDATE_IN_PROGRESS takes no other update); two stacks update at once.
func (e *Engine) Deploy(ctx context.Context, stack *cfn.Stack) error {
	l := e.lock(stack.Name)
	l.Lock()
	defer l.Unlock()
	start := time.Now()
	t := stack.Template
	if err := e.refuse(ctx, stack); err != nil {
		return err
	}
	params, err := cfn.ResolveParameters(t, func(name string) (string, error) { return e.lookupSSM(ctx, name) }, nil)
	if err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	order, err := t.Order()
	if err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	if err := e.Build(ctx, t); err != nil {
		return err
	}

	e.mu.Lock()
	prev := e.stacks[stack.Name]
	e.mu.Unlock()
	r := &cfn.Resolver{Region: e.Region, AccountID: localstate.AccountID, Partition: "aws", URLSuffix: "amazonaws.com",
		StackName: stack.Name, StackID: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/local", e.Region, localstate.AccountID, stack.Name),
		Params: params, Physical: map[string]string{}, Attrs: map[string]map[string]string{}, Template: t}
	next := &Stack{Name: stack.Name, Source: stack, Resources: map[string]*Resource{}}
	var replaced []*Resource
	created, updated := 0, 0
	for _, id := range order {
		res := t.Resources[id]
		if ok, err := t.Included(res, r); err != nil {
			return fmt.Errorf("deploying %s: %w", stack.Name, err)
		} else if !ok {
			continue
		}
		props, err := r.ResolveProperties(res)
		if err != nil {
			return fmt.Errorf("deploying %s: %w", stack.Name, err)
		}
		var old *Resource
		if prev != nil {
			if o := prev.Resources[id]; o != nil && o.Type == res.Type {
				old = o
			}
		}
		nr, replacedOld, err := e.provision(ctx, stack.Name, res, props, old)
		if err != nil {
			return fmt.Errorf("deploying %s: %s (%s): %w", stack.Name, id, res.Type, err)
		}
		if replacedOld {
			replaced = append(replaced, old)
		}
		switch {
		case old == nil:
			created++
		case old != nr:
			updated++
		}
		next.Resources[id] = nr
		next.order = append(next.order, id)
		r.Physical[id] = nr.Physical
		r.Attrs[id] = nr.Attrs
	}
	if next.Outputs, err = t.ResolveOutputs(r); err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}

	// Clean-up, as CloudFormation does after the update: what the new template dropped, newest
	// first, and what an update replaced.
	var gone []*Resource
	if prev != nil {
		for i := len(prev.order) - 1; i >= 0; i-- {
			id := prev.order[i]
			if o := prev.Resources[id]; next.Resources[id] == nil || next.Resources[id].Type != o.Type {
				gone = append(gone, o)
			}
		}
	}
	for _, o := range append(replaced, gone...) {
		e.remove(ctx, o)
	}
	e.mu.Lock()
	e.stacks[stack.Name] = next
	e.mu.Unlock()
	fmt.Fprintf(e.Log, "deployed %s: %d created, %d updated, %d removed, in %.1fs\n",
		stack.Name, created, updated, len(gone)+len(replaced), time.Since(start).Seconds())
	return nil
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
	_, err := e.Builder.Binaries(ctx, entries)
	return err
}

func (e *Engine) lookupSSM(ctx context.Context, name string) (string, error) {
	out, err := e.AWS.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("SSM parameter %s: %w", name, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}
