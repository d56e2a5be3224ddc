// Package model is the one typed description of the synthesized system that every tool reads:
// the functions, routes, topics, subscriptions, tables, queues, SSM parameters, alarms and outputs
// of the stacks in a cloud assembly, with the references between them followed (across the stacks
// too, through the SSM parameters one writes and the other reads). It imports no CDK and starts no
// Node, so a tool that loads it starts in milliseconds.
package model

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// Lambda's defaults for what a template leaves out.
const (
	DefaultMemoryMB      = 128
	DefaultTimeout       = 3 * time.Second
	DefaultArchitecture  = "x86_64"
	DefaultRetryAttempts = 2
	// DefaultMaxEventAge is how long Lambda keeps an asynchronous event without an
	// EventInvokeConfig (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html).
	DefaultMaxEventAge = 6 * time.Hour
)

// System is the stacks of one deployment and what links them.
type System struct {
	// Stacks sorted by name.
	Stacks []*Stack
}

// Resource is what every part of the model has: where it is declared.
type Resource struct {
	Stack     *Stack
	LogicalID string
	Type      string
	// Source is the template's resource, for what the model does not describe.
	Source cfn.Resource
}

// ID is "stack/logical ID", unique within a system.
func (r *Resource) ID() string { return r.Stack.Name + "/" + r.LogicalID }

// ChangedFrom reports whether r is new or different from the resource of the same logical ID in
// prev, the stack's template before: another type or other properties, which is when
// CloudFormation updates a resource, and calls a custom resource's function with an Update
// request (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html).
func (r *Resource) ChangedFrom(prev *cfn.Template) bool {
	p, ok := prev.Resources[r.LogicalID]
	return !ok || p.Type != r.Type || !reflect.DeepEqual(p.Properties, r.Source.Properties)
}

// Stack is one CloudFormation stack of the system.
type Stack struct {
	Name string
	// Source is the stack as the cloud assembly lists it.
	Source        *cfn.Stack
	Functions     []*Function
	Roles         []*Role
	APIs          []*API
	Routes        []*Route
	Topics        []*Topic
	Subscriptions []*Subscription
	Tables        []*Table
	Queues        []*Queue
	// Parameters are the SSM parameters the stack writes (AWS::SSM::Parameter).
	Parameters []*Parameter
	// Reads are the SSM parameters the stack reads at deploy time (SSM-typed template parameters).
	Reads      []*SSMRead
	Alarms     []*Alarm
	Dashboards []*Dashboard
	// Queries are the saved CloudWatch Logs Insights queries.
	Queries []*QueryDefinition
	Outputs []*Output
	// Permissions are the AWS::Lambda::Permission resources (who may invoke a function).
	Permissions []*Permission
	// Keys are the customer managed KMS keys.
	Keys []*Key
	// Guards are the rollout guards (design.GuardResourceType).
	Guards []*Guard
	// Resources is every resource of the stack, by logical ID, whatever its type: the model
	// describes some of them above, the others only by their type.
	Resources []*Resource

	byID      map[string]any // logical ID -> the model's value for it
	described []any          // what registered readers made (kinds.go)
}

// Template is the stack's synthesized template.
func (s *Stack) Template() *cfn.Template { return s.Source.Template }

// Function is an AWS::Lambda::Function.
type Function struct {
	Resource
	// Entry is the folder under lambdas/ the function is built from (its entry metadata).
	Entry        string
	Runtime      string
	Architecture string
	MemoryMB     int
	// MemoryNotLiteral: the template computes MemorySize, so MemoryMB is Lambda's default.
	MemoryNotLiteral bool
	Timeout          time.Duration
	Tracing          string
	// Environment is the template's variables, unresolved (a value may be a reference).
	Environment map[string]any
	Role        *Role
	// DeadLetter is the queue of its DeadLetterConfig, if it is in the same stack.
	DeadLetter *Queue
	// RetryAttempts of asynchronous invocations (its EventInvokeConfig, else Lambda's 2).
	RetryAttempts int
	// MaxEventAge of asynchronous invocations (its EventInvokeConfig, else Lambda's 6 hours): an
	// older event is not tried again and goes to the dead-letter queue.
	MaxEventAge time.Duration
	// ReservedConcurrency is nil when the function has none.
	ReservedConcurrency *int
}

// Role is an AWS::IAM::Role with the statements of every policy attached to it in the stack.
type Role struct {
	Resource
	Statements []Statement
}

// Statement is one IAM policy statement; Resources are unresolved template values.
type Statement struct {
	Effect    string
	Actions   []string
	Resources []any
}

// API is an AWS::ApiGatewayV2::Api with its stage.
type API struct {
	Resource
	Name     string
	Protocol string
	CORS     bool
	Stage    *Stage
}

// Stage is an API's AWS::ApiGatewayV2::Stage.
type Stage struct {
	Resource
	Name                        string
	ThrottleRate, ThrottleBurst float64
	AccessLogFormat             string
}

// Route is an AWS::ApiGatewayV2::Route and the function its integration invokes.
type Route struct {
	Resource
	Key string
	// Authorization is the route's AuthorizationType; "NONE" when the template sets none.
	Authorization string
	API           *API
	// Integration is the logical ID of the route's integration.
	Integration string
	Function    *Function
}

// Topic is an AWS::SNS::Topic with every subscription of the system that listens to it.
type Topic struct {
	Resource
	Encrypted     bool
	Subscriptions []*Subscription
}

// Subscription is an AWS::SNS::Subscription.
type Subscription struct {
	Resource
	Protocol string
	// Topic is the topic it really listens to, found across the stacks; nil when no stack of the
	// system has it.
	Topic *Topic
	// TopicParameter is the SSM parameter its topic ARN is read from, if it is read from one.
	TopicParameter string
	// Function is the subscribed function (protocol lambda) in the same stack.
	Function *Function
	// DeadLetter is the queue of its redrive policy.
	DeadLetter   *Queue
	FilterPolicy bool
}

// Table is an AWS::DynamoDB::Table.
type Table struct {
	Resource
	// BillingMode is PAY_PER_REQUEST or PROVISIONED (CloudFormation's default).
	BillingMode   string
	ReadCapacity  float64
	WriteCapacity float64
	PointInTime   bool
	HasIndexes    bool
	TableClass    string
	Retained      bool
	// TimeToLive is the attribute DynamoDB's time to live deletes expired items by ("": none).
	TimeToLive string
}

// Queue is an AWS::SQS::Queue.
type Queue struct {
	Resource
	Retained bool
}

// Parameter is an AWS::SSM::Parameter the stack writes.
type Parameter struct {
	Resource
	Name  string
	Value any
	Tier  string
}

// SSMRead is a template parameter whose value CloudFormation reads from SSM at deploy time.
type SSMRead struct {
	Stack *Stack
	// Parameter is the template parameter; Name the SSM parameter it reads.
	Parameter, Name string
	// CDKBootstrap: the parameter CDK adds to check the bootstrap version (cfn.Parameter.CDKBootstrap),
	// which any bootstrapped account has; not one the stacks read of each other.
	CDKBootstrap bool
}

// Alarm is an AWS::CloudWatch::Alarm.
type Alarm struct {
	Resource
	AlarmRule
}

// Dashboard is an AWS::CloudWatch::Dashboard: its name and body as the template gives them (the
// body is a JSON string once resolved, often an Fn::Join in the template).
type Dashboard struct {
	Resource
	Name, Body any
}

// QueryDefinition is an AWS::Logs::QueryDefinition, a saved CloudWatch Logs Insights query.
type QueryDefinition struct {
	Resource
	Name, Query string
	// LogGroups are the log groups it runs on (template values).
	LogGroups []any
}

// Output is one entry of the Outputs section.
type Output struct {
	Stack       *Stack
	LogicalID   string
	Description string
	Value       any
}

// Key is an AWS::KMS::Key, a customer managed key.
type Key struct {
	Resource
	// Rotation is EnableKeyRotation: KMS rotates the key material every year
	// (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
	Rotation bool
}

// Guard is a rollout guard: the conditions a stack state declares on the other stack's SSM
// parameters, checked by CloudFormation (through the guard's function) before the rest of the
// stack changes.
type Guard struct {
	Resource
	Conditions []rolloutguard.Condition
	// OtherStack is the stack it refuses to run beside ("" when none): while that stack is
	// being deployed, or left failed, the guard fails the deploy.
	OtherStack string
	// Requires are the SSM parameters its stack state requires to exist, which the guard checks
	// again when it runs (the change set resolved them earlier), sorted.
	Requires []string
}

// Permission is an AWS::Lambda::Permission.
type Permission struct {
	Resource
	Principal string
	Action    string
	// Function is the function it lets the principal invoke, in the same stack.
	Function  *Function
	SourceArn any
}

// New describes the stacks as one system. A stack name may appear once.
func New(stacks ...*cfn.Stack) (*System, error) {
	sys := &System{}
	seen := map[string]bool{}
	for _, cs := range stacks {
		if seen[cs.Name] {
			return nil, fmt.Errorf("stack %s appears twice: describe one deployment at a time", cs.Name)
		}
		seen[cs.Name] = true
		st, err := describeStack(cs)
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", cs.Name, err)
		}
		sys.Stacks = append(sys.Stacks, st)
	}
	sort.Slice(sys.Stacks, func(i, j int) bool { return sys.Stacks[i].Name < sys.Stacks[j].Name })
	sys.link()
	return sys, nil
}

// FromAssemblies describes every stack of the cloud assemblies as one system.
func FromAssemblies(asms ...*cfn.Assembly) (*System, error) {
	var stacks []*cfn.Stack
	for _, a := range asms {
		for _, name := range sortedKeys(a.Stacks) {
			stacks = append(stacks, a.Stacks[name])
		}
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("no stacks to describe")
	}
	return New(stacks...)
}

// Load reads the cloud assembly in dir (cdk.out) and describes it.
func Load(dir string) (*System, error) {
	asm, err := cfn.LoadAssembly(dir)
	if err != nil {
		return nil, err
	}
	return FromAssemblies(asm)
}

// Stack is the stack named name, or nil.
func (s *System) Stack(name string) *Stack {
	for _, st := range s.Stacks {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// Functions lists every function of the system, by stack name then logical ID.
func (s *System) Functions() []*Function {
	return collect(s, func(st *Stack) []*Function { return st.Functions })
}

// Routes lists every route of the system.
func (s *System) Routes() []*Route { return collect(s, func(st *Stack) []*Route { return st.Routes }) }

// Tables lists every table of the system.
func (s *System) Tables() []*Table { return collect(s, func(st *Stack) []*Table { return st.Tables }) }

// Topics lists every topic of the system.
func (s *System) Topics() []*Topic { return collect(s, func(st *Stack) []*Topic { return st.Topics }) }

// collect joins one kind of part of every stack, in stack order.
func collect[T any](s *System, of func(*Stack) []T) []T {
	var out []T
	for _, st := range s.Stacks {
		out = append(out, of(st)...)
	}
	return out
}

// Function is the function with this logical ID in any stack, or nil.
func (s *System) Function(logicalID string) *Function {
	for _, f := range s.Functions() {
		if f.LogicalID == logicalID {
			return f
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
