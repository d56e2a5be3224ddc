package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// describeStack reads one template into the model; references inside the stack are followed,
// those to the other stacks are left to System.link.
func describeStack(cs *cfn.Stack) (*Stack, error) {
	t := cs.Template
	st := &Stack{Name: cs.Name, Source: cs, byID: map[string]any{}}
	base := func(r cfn.Resource) Resource {
		return Resource{Stack: st, LogicalID: r.LogicalID, Type: r.Type, Source: r}
	}
	for _, id := range sortedKeys(t.Resources) {
		r := base(t.Resources[id])
		st.Resources = append(st.Resources, &r)
	}
	retained := func(r cfn.Resource) bool {
		return r.DeletionPolicy == "Retain" || r.DeletionPolicy == "RetainExceptOnCreate"
	}

	for _, r := range t.ResourcesOfType("AWS::IAM::Role") {
		role := &Role{Resource: base(r)}
		for _, p := range list(r.Properties["Policies"]) {
			role.Statements = append(role.Statements, statements(asMap(p)["PolicyDocument"])...)
		}
		st.Roles = append(st.Roles, role)
		st.byID[r.LogicalID] = role
	}
	for _, r := range t.ResourcesOfType("AWS::IAM::Policy") {
		for _, ref := range list(r.Properties["Roles"]) {
			if role, ok := st.byID[refName(ref)].(*Role); ok {
				role.Statements = append(role.Statements, statements(r.Properties["PolicyDocument"])...)
			}
		}
	}
	for _, r := range t.ResourcesOfType("AWS::SQS::Queue") {
		q := &Queue{Resource: base(r), Retained: retained(r)}
		st.Queues = append(st.Queues, q)
		st.byID[r.LogicalID] = q
	}
	for _, r := range t.ResourcesOfType("AWS::Lambda::Function") {
		p := r.Properties
		f := &Function{Resource: base(r), MemoryMB: DefaultMemoryMB, Timeout: DefaultTimeout,
			Architecture: DefaultArchitecture, RetryAttempts: DefaultRetryAttempts, MaxEventAge: DefaultMaxEventAge}
		f.Entry = EntryOf(r)
		f.Runtime, _ = p["Runtime"].(string)
		if v, ok := cfn.Number(p["MemorySize"]); ok {
			f.MemoryMB = int(v)
		} else if p["MemorySize"] != nil {
			f.MemoryNotLiteral = true
		}
		if v, ok := cfn.Number(p["Timeout"]); ok {
			f.Timeout = time.Duration(v * float64(time.Second))
		}
		if archs := list(p["Architectures"]); len(archs) == 1 {
			f.Architecture, _ = archs[0].(string)
		}
		f.Tracing, _ = asMap(p["TracingConfig"])["Mode"].(string)
		f.Environment = asMap(asMap(p["Environment"])["Variables"])
		f.Role, _ = st.byID[refName(p["Role"])].(*Role)
		f.DeadLetter, _ = st.byID[refName(asMap(p["DeadLetterConfig"])["TargetArn"])].(*Queue)
		if v, ok := cfn.Number(p["ReservedConcurrentExecutions"]); ok {
			n := int(v)
			f.ReservedConcurrency = &n
		}
		st.Functions = append(st.Functions, f)
		st.byID[r.LogicalID] = f
	}
	for _, r := range t.ResourcesOfType("AWS::Lambda::EventInvokeConfig") {
		if f, ok := st.byID[refName(r.Properties["FunctionName"])].(*Function); ok {
			if v, ok := cfn.Number(r.Properties["MaximumRetryAttempts"]); ok {
				f.RetryAttempts = int(v)
			}
			if v, ok := cfn.Number(r.Properties["MaximumEventAgeInSeconds"]); ok {
				f.MaxEventAge = time.Duration(v) * time.Second
			}
		}
	}
	for _, r := range t.ResourcesOfType("AWS::Lambda::Permission") {
		pm := &Permission{Resource: base(r), SourceArn: r.Properties["SourceArn"]}
		pm.Principal, _ = r.Properties["Principal"].(string)
		pm.Action, _ = r.Properties["Action"].(string)
		pm.Function, _ = st.byID[refName(r.Properties["FunctionName"])].(*Function)
		st.Permissions = append(st.Permissions, pm)
	}

	for _, r := range t.ResourcesOfType("AWS::ApiGatewayV2::Api") {
		api := &API{Resource: base(r)}
		api.Name, _ = r.Properties["Name"].(string)
		api.Protocol, _ = r.Properties["ProtocolType"].(string)
		_, api.CORS = r.Properties["CorsConfiguration"]
		st.APIs = append(st.APIs, api)
		st.byID[r.LogicalID] = api
	}
	for _, r := range t.ResourcesOfType("AWS::ApiGatewayV2::Stage") {
		api, ok := st.byID[refName(r.Properties["ApiId"])].(*API)
		if !ok {
			continue
		}
		stage := &Stage{Resource: base(r)}
		stage.Name, _ = r.Properties["StageName"].(string)
		settings := asMap(r.Properties["DefaultRouteSettings"])
		stage.ThrottleRate, _ = cfn.Number(settings["ThrottlingRateLimit"])
		stage.ThrottleBurst, _ = cfn.Number(settings["ThrottlingBurstLimit"])
		stage.AccessLogFormat, _ = asMap(r.Properties["AccessLogSettings"])["Format"].(string)
		api.Stage = stage
	}
	for _, r := range t.ResourcesOfType("AWS::ApiGatewayV2::Route") {
		rt := &Route{Resource: base(r), Authorization: "NONE"}
		rt.Key, _ = r.Properties["RouteKey"].(string)
		if a, _ := r.Properties["AuthorizationType"].(string); a != "" {
			rt.Authorization = a
		}
		rt.API, _ = st.byID[refName(r.Properties["ApiId"])].(*API)
		for _, name := range cfn.References(r.Properties["Target"]) {
			integ, ok := t.Resources[name]
			if !ok || integ.Type != "AWS::ApiGatewayV2::Integration" {
				continue
			}
			rt.Integration = name
			rt.Function, _ = st.byID[refName(integ.Properties["IntegrationUri"])].(*Function)
		}
		st.Routes = append(st.Routes, rt)
	}

	for _, r := range t.ResourcesOfType("AWS::SNS::Topic") {
		tp := &Topic{Resource: base(r)}
		_, tp.Encrypted = r.Properties["KmsMasterKeyId"]
		st.Topics = append(st.Topics, tp)
		st.byID[r.LogicalID] = tp
	}
	for _, r := range t.ResourcesOfType("AWS::SNS::Subscription") {
		sub := &Subscription{Resource: base(r)}
		sub.Protocol, _ = r.Properties["Protocol"].(string)
		if sub.Protocol == "lambda" {
			sub.Function, _ = st.byID[refName(r.Properties["Endpoint"])].(*Function)
		}
		sub.DeadLetter, _ = st.byID[refName(asMap(r.Properties["RedrivePolicy"])["deadLetterTargetArn"])].(*Queue)
		_, sub.FilterPolicy = r.Properties["FilterPolicy"]
		st.Subscriptions = append(st.Subscriptions, sub)
	}

	for _, r := range t.ResourcesOfType("AWS::DynamoDB::Table") {
		p := r.Properties
		tb := &Table{Resource: base(r), Retained: retained(r)}
		tb.BillingMode, tb.ReadCapacity, tb.WriteCapacity = TableThroughput(p)
		tb.PointInTime = asMap(p["PointInTimeRecoverySpecification"])["PointInTimeRecoveryEnabled"] == true
		_, tb.HasIndexes = p["GlobalSecondaryIndexes"]
		tb.TableClass, _ = p["TableClass"].(string)
		if ttl := asMap(p["TimeToLiveSpecification"]); ttl["Enabled"] == true {
			tb.TimeToLive, _ = ttl["AttributeName"].(string)
		}
		st.Tables = append(st.Tables, tb)
		st.byID[r.LogicalID] = tb
	}

	for _, r := range t.ResourcesOfType("AWS::SSM::Parameter") {
		prm := &Parameter{Resource: base(r), Value: r.Properties["Value"]}
		prm.Name, _ = r.Properties["Name"].(string)
		prm.Tier, _ = r.Properties["Tier"].(string)
		st.Parameters = append(st.Parameters, prm)
	}
	for _, name := range sortedKeys(t.Parameters) {
		p := t.Parameters[name]
		if ssmName, ok := p.SSMName(); ok {
			st.Reads = append(st.Reads, &SSMRead{Stack: st, Parameter: name, Name: ssmName, CDKBootstrap: p.CDKBootstrap()})
		}
	}
	for _, r := range t.ResourcesOfType("AWS::CloudWatch::Alarm") {
		st.Alarms = append(st.Alarms, &Alarm{Resource: base(r), AlarmRule: ParseAlarmRule(r.Properties)})
	}
	for _, r := range t.ResourcesOfType("AWS::CloudWatch::Dashboard") {
		st.Dashboards = append(st.Dashboards, &Dashboard{Resource: base(r), Name: r.Properties["DashboardName"], Body: r.Properties["DashboardBody"]})
	}
	for _, r := range t.ResourcesOfType("AWS::Logs::QueryDefinition") {
		q := &QueryDefinition{Resource: base(r), LogGroups: list(r.Properties["LogGroupNames"])}
		q.Name, _ = r.Properties["Name"].(string)
		q.Query, _ = r.Properties["QueryString"].(string)
		st.Queries = append(st.Queries, q)
	}
	for _, id := range sortedKeys(t.Outputs) {
		o := t.Outputs[id]
		st.Outputs = append(st.Outputs, &Output{Stack: st, LogicalID: id, Description: o.Description, Value: o.Value})
	}
	for _, r := range t.ResourcesOfType("AWS::KMS::Key") {
		st.Keys = append(st.Keys, &Key{Resource: base(r), Rotation: r.Properties["EnableKeyRotation"] == true})
	}
	for _, r := range t.ResourcesOfType(design.GuardResourceType) {
		conds, err := rolloutguard.Conditions(r.Properties)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.LogicalID, err)
		}
		g := &Guard{Resource: base(r), Conditions: conds, OtherStack: rolloutguard.OtherStack(r.Properties)}
		g.Requires = slices.Sorted(maps.Keys(rolloutguard.Requirements(r.Properties)))
		st.Guards = append(st.Guards, g)
	}
	describeRegistered(st)
	return st, nil
}

// TableThroughput reads an AWS::DynamoDB::Table's billing mode (PROVISIONED, CloudFormation's
// default, or PAY_PER_REQUEST) and its provisioned read and write capacity units (0 when
// on-demand): what the cost estimate prices and the local DynamoDB enforces.
func TableThroughput(props map[string]any) (billingMode string, read, write float64) {
	billingMode = "PROVISIONED"
	if m, _ := props["BillingMode"].(string); m != "" {
		billingMode = m
	}
	pt := asMap(props["ProvisionedThroughput"])
	read, _ = cfn.Number(pt["ReadCapacityUnits"])
	write, _ = cfn.Number(pt["WriteCapacityUnits"])
	return billingMode, read, write
}

// EntryOf is the folder under lambdas/ a function resource is built from, as constructs.GoLambda
// records it: the function's one metadata entry of the project's own, a string outside the aws:
// namespace CDK writes (cdk-nag's suppressions are not strings). "" when there is none, or more
// than one.
func EntryOf(r cfn.Resource) string {
	entry := ""
	for _, k := range sortedKeys(r.Metadata) {
		v, ok := r.Metadata[k].(string)
		if !ok || strings.HasPrefix(k, "aws:") {
			continue
		}
		if entry != "" {
			return ""
		}
		entry = v
	}
	return entry
}

// statements reads a policy document's statements.
func statements(doc any) []Statement {
	var out []Statement
	for _, raw := range list(asMap(doc)["Statement"]) {
		s := asMap(raw)
		st := Statement{Resources: list(s["Resource"])}
		st.Effect, _ = s["Effect"].(string)
		for _, a := range list(s["Action"]) {
			if name, ok := a.(string); ok {
				st.Actions = append(st.Actions, name)
			}
		}
		out = append(out, st)
	}
	return out
}

// asMap is v as a JSON object, or an empty one.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list is v as a JSON list; a single value is a list of one (IAM allows both).
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

// refName is the logical name a Ref or Fn::GetAtt points at, else "".
func refName(v any) string {
	name, _ := cfn.Ref(v)
	return name
}
