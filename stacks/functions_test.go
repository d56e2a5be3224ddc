package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// reporter is what a check reports to: the test, or a recorder that shows, on a template broken
// on purpose, that the check fails when the property it checks does not hold.
type reporter interface {
	Errorf(format string, args ...any)
}

// recorder collects what a check reports.
type recorder []string

func (r *recorder) Errorf(format string, args ...any) { *r = append(*r, fmt.Sprintf(format, args...)) }

// TestEveryLambda checks every function of every step.
func TestEveryLambda(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		functions := 0
		for _, tpl := range []map[string]any{s.wrJSON, s.rrJSON} {
			for id, fn := range resources(tpl, "AWS::Lambda::Function") {
				functions++
				id := fmt.Sprintf("step %d %s", step, id)
				t.Run(id+" is a Go binary on provided.al2023 for arm64", func(t *testing.T) { checkGoBinary(t, fn) })
				t.Run(id+" is built from its folder under lambdas/", func(t *testing.T) { checkEntry(t, fn) })
				t.Run(id+" sets memory and timeout explicitly", func(t *testing.T) { checkSizing(t, fn) })
				t.Run(id+" traces with X-Ray and logs JSON to a log group with retention", func(t *testing.T) { checkTelemetry(t, tpl, fn) })
			}
		}
		// RequestRide, the record function, the guard in each stack, and from StepSubscriber on
		// PutRideRecordSns and RedriveDeadLetters.
		if want := map[bool]int{false: 4, true: 6}[step.HasSNSSubscriber()]; functions != want {
			t.Errorf("step %d has %d functions, want %d", step, functions, want)
		}
	}
}

func checkGoBinary(t reporter, fn map[string]any) {
	p := props(fn)
	if p["Runtime"] != "provided.al2023" {
		t.Errorf("Runtime = %v", p["Runtime"])
	}
	if jsonString(p["Architectures"]) != `["arm64"]` {
		t.Errorf("Architectures = %s", jsonString(p["Architectures"]))
	}
	if p["Handler"] != "bootstrap" {
		t.Errorf("Handler = %v, want bootstrap", p["Handler"])
	}
}

// checkEntry: the folder the metadata names is a Go main package under lambdas/, which the local
// runner builds the function from.
func checkEntry(t reporter, fn map[string]any) {
	entry, _ := asMap(fn["Metadata"])[wrconstructs.EntryMetadataKey].(string)
	if !strings.HasPrefix(entry, "lambdas/") {
		t.Errorf("metadata %s = %q", wrconstructs.EntryMetadataKey, entry)
		return
	}
	if b, err := os.ReadFile(filepath.Join("..", entry, "main.go")); err != nil || !strings.Contains(string(b), "\npackage main\n") && !strings.HasPrefix(string(b), "package main\n") {
		t.Errorf("metadata %s = %q, which is no main package of this module (%v)", wrconstructs.EntryMetadataKey, entry, err)
	}
}

func checkSizing(t reporter, fn map[string]any) {
	p := props(fn)
	if p["MemorySize"] == nil || p["Timeout"] == nil {
		t.Errorf("MemorySize = %v, Timeout = %v", p["MemorySize"], p["Timeout"])
	}
}

func checkTelemetry(t reporter, tpl, fn map[string]any) {
	p := props(fn)
	if jsonString(p["TracingConfig"]) != `{"Mode":"Active"}` {
		t.Errorf("TracingConfig = %s", jsonString(p["TracingConfig"]))
	}
	logging, _ := p["LoggingConfig"].(map[string]any)
	if logging["LogFormat"] != "JSON" {
		t.Errorf("LoggingConfig = %s", jsonString(logging))
	}
	group, _ := asMap(logging["LogGroup"])["Ref"].(string)
	lg := resources(tpl, "AWS::Logs::LogGroup")[group]
	if lg == nil || props(lg)["RetentionInDays"] == nil {
		t.Errorf("log group %q has no retention", group)
	}
}

// Each of TestEveryLambda's checks fails on a function that breaks what it claims.
func TestEveryLambdaCheckFailsOnAFunctionThatBreaksIt(t *testing.T) {
	for _, tc := range []struct {
		breaks string
		check  func(r reporter, tpl, fn map[string]any)
		change func(tpl, fn map[string]any)
	}{
		{"the runtime", func(r reporter, _, fn map[string]any) { checkGoBinary(r, fn) }, func(_, fn map[string]any) { props(fn)["Runtime"] = "nodejs22.x" }},
		{"the architecture", func(r reporter, _, fn map[string]any) { checkGoBinary(r, fn) }, func(_, fn map[string]any) { props(fn)["Architectures"] = []any{"x86_64"} }},
		{"the handler", func(r reporter, _, fn map[string]any) { checkGoBinary(r, fn) }, func(_, fn map[string]any) { props(fn)["Handler"] = "index.handler" }},
		{"the entry's prefix", func(r reporter, _, fn map[string]any) { checkEntry(r, fn) }, func(_, fn map[string]any) {
			fn["Metadata"].(map[string]any)[wrconstructs.EntryMetadataKey] = "src/request-ride"
		}},
		{"the entry's folder", func(r reporter, _, fn map[string]any) { checkEntry(r, fn) }, func(_, fn map[string]any) {
			fn["Metadata"].(map[string]any)[wrconstructs.EntryMetadataKey] = "lambdas/no-such-function"
		}},
		{"the memory", func(r reporter, _, fn map[string]any) { checkSizing(r, fn) }, func(_, fn map[string]any) { delete(props(fn), "MemorySize") }},
		{"the timeout", func(r reporter, _, fn map[string]any) { checkSizing(r, fn) }, func(_, fn map[string]any) { delete(props(fn), "Timeout") }},
		{"the tracing", checkTelemetry, func(_, fn map[string]any) { props(fn)["TracingConfig"] = map[string]any{"Mode": "PassThrough"} }},
		{"the log format", checkTelemetry, func(_, fn map[string]any) { props(fn)["LoggingConfig"].(map[string]any)["LogFormat"] = "Text" }},
		{"the log retention", checkTelemetry, func(tpl, fn map[string]any) {
			group := props(fn)["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
			delete(props(resources(tpl, "AWS::Logs::LogGroup")[group]), "RetentionInDays")
		}},
	} {
		tpl := copyJSON(final(t).wrJSON)
		fn := resources(tpl, "AWS::Lambda::Function")["RequestRide"]
		var before recorder
		tc.check(&before, tpl, fn)
		tc.change(tpl, fn)
		var after recorder
		tc.check(&after, tpl, fn)
		if len(before) != 0 || len(after) == 0 {
			t.Errorf("breaking %s: the check reports %v before and %v after; it must pass RequestRide as it is and fail it broken", tc.breaks, before, after)
		}
	}
}

// copyJSON is a deep copy of a template, to break on purpose.
func copyJSON(tpl map[string]any) map[string]any {
	var out map[string]any
	if err := json.Unmarshal([]byte(jsonString(tpl)), &out); err != nil {
		panic(err)
	}
	return out
}

func TestNoStatementHasAWildcardAction(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for name, tpl := range map[string]map[string]any{"wild-rydes": s.wrJSON, "ride-record": s.rrJSON} {
			where := fmt.Sprintf("step %d %s", step, name)
			if n := checkIdentityPolicies(t, where, tpl); n == 0 {
				t.Errorf("%s: no IAM statement found: the check read nothing", where)
			}
		}
	}
}

// checkIdentityPolicies reports every statement of the template's IAM resources (policies, a
// role's inline policies, managed policies) that allows a wildcard action or everything but some
// actions (NotAction), and every AWS managed policy a role attaches, whose actions the template
// does not show. It returns how many statements it read.
func checkIdentityPolicies(t reporter, where string, tpl map[string]any) int {
	n := 0
	for id, res := range tpl["Resources"].(map[string]any) {
		res := res.(map[string]any)
		if !strings.HasPrefix(fmt.Sprint(res["Type"]), "AWS::IAM::") {
			continue
		}
		if arns, ok := props(res)["ManagedPolicyArns"]; ok {
			t.Errorf("%s: %s attaches managed policies %s, whose actions the template does not show", where, id, jsonString(arns))
		}
		eachStatement(props(res), func(st map[string]any) {
			n++
			checkStatement(t, where, id, st)
		})
	}
	return n
}

// TestNoKeyOrTopicPolicyAllowsAWildcardAction extends TestNoStatementHasAWildcardAction to the
// resource policies: keys', topics', queues', and the permissions to invoke a function.
func TestNoKeyOrTopicPolicyAllowsAWildcardAction(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for name, tpl := range map[string]map[string]any{"wild-rydes": s.wrJSON, "ride-record": s.rrJSON} {
			where := fmt.Sprintf("step %d %s", step, name)
			if n := checkResourcePolicies(t, where, tpl); n == 0 {
				t.Errorf("%s: no resource policy found: the check read nothing", where)
			}
		}
	}
}

// checkResourcePolicies reports every statement of a resource policy (any policy document
// outside the IAM resources) that allows a wildcard action or uses NotAction, and every
// permission to invoke a function whose action is a wildcard. It returns how many statements
// and permissions it read.
func checkResourcePolicies(t reporter, where string, tpl map[string]any) int {
	n := 0
	for id, res := range tpl["Resources"].(map[string]any) {
		res := res.(map[string]any)
		typ := fmt.Sprint(res["Type"])
		switch {
		case strings.HasPrefix(typ, "AWS::IAM::"):
			continue
		case typ == "AWS::Lambda::Permission":
			n++
			if a := fmt.Sprint(props(res)["Action"]); strings.Contains(a, "*") {
				t.Errorf("%s: %s allows %s", where, id, a)
			}
		}
		eachStatement(props(res), func(st map[string]any) {
			n++
			checkStatement(t, where, id, st)
		})
	}
	return n
}

func checkStatement(t reporter, where, id string, st map[string]any) {
	if st["Effect"] != "Allow" {
		return
	}
	if strings.Contains(jsonString(st["Action"]), "*") {
		t.Errorf("%s: %s allows %s", where, id, jsonString(st["Action"]))
	}
	if na, ok := st["NotAction"]; ok {
		t.Errorf("%s: %s allows every action but %s", where, id, jsonString(na))
	}
}

// eachStatement calls visit for every statement of every policy document in v: a "Statement"
// is a list of statements or a single one.
func eachStatement(v any, visit func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k != "Statement" {
				eachStatement(c, visit)
				continue
			}
			switch sts := c.(type) {
			case map[string]any:
				visit(sts)
			case []any:
				for _, st := range sts {
					if m, ok := st.(map[string]any); ok {
						visit(m)
					}
				}
			}
		}
	case []any:
		for _, c := range x {
			eachStatement(c, visit)
		}
	}
}

// The wildcard checks fail on a template that grants a wildcard in each way they claim to see.
func TestTheWildcardChecksFailOnAWildcardGrant(t *testing.T) {
	allow := func(key string, v any) map[string]any {
		return map[string]any{"Effect": "Allow", key: v, "Resource": "*"}
	}
	document := func(statement any) map[string]any { return map[string]any{"Statement": statement} }
	for _, tc := range []struct {
		grant string
		check func(reporter, string, map[string]any) int
		add   map[string]any
	}{
		{"a role's inline policy", checkIdentityPolicies, map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{
			"Policies": []any{map[string]any{"PolicyName": "p", "PolicyDocument": document([]any{allow("Action", "s3:*")})}}}}},
		{"a policy's single statement", checkIdentityPolicies, map[string]any{"Type": "AWS::IAM::Policy", "Properties": map[string]any{
			"PolicyDocument": document(allow("Action", "*"))}}},
		{"a managed policy's NotAction", checkIdentityPolicies, map[string]any{"Type": "AWS::IAM::ManagedPolicy", "Properties": map[string]any{
			"PolicyDocument": document([]any{allow("NotAction", "iam:*")})}}},
		{"an AWS managed policy", checkIdentityPolicies, map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{
			"ManagedPolicyArns": []any{"arn:aws:iam::aws:policy/AdministratorAccess"}}}},
		{"a key policy", checkResourcePolicies, map[string]any{"Type": "AWS::KMS::Key", "Properties": map[string]any{
			"KeyPolicy": document([]any{allow("Action", "kms:*")})}}},
		{"a queue policy's NotAction", checkResourcePolicies, map[string]any{"Type": "AWS::SQS::QueuePolicy", "Properties": map[string]any{
			"PolicyDocument": document([]any{allow("NotAction", "sqs:DeleteQueue")})}}},
		{"an invoke permission", checkResourcePolicies, map[string]any{"Type": "AWS::Lambda::Permission", "Properties": map[string]any{
			"Action": "lambda:*", "FunctionName": "f", "Principal": "sns.amazonaws.com"}}},
	} {
		tpl := copyJSON(final(t).rrJSON)
		var before, after recorder
		tc.check(&before, "before", tpl)
		tpl["Resources"].(map[string]any)["Broken"] = tc.add
		tc.check(&after, "after", tpl)
		if len(before) != 0 || len(after) != 1 {
			t.Errorf("a wildcard grant in %s: the check reports %v before and %v after; want nothing, then the grant", tc.grant, before, after)
		}
	}
}

type statement struct {
	policy   string
	actions  []string
	resource string
}

// policyStatements lists every Allow statement of the template's IAM policies.
func policyStatements(tpl map[string]any) []statement {
	var out []statement
	for id, pol := range resources(tpl, "AWS::IAM::Policy") {
		doc := props(pol)["PolicyDocument"].(map[string]any)
		for _, raw := range doc["Statement"].([]any) {
			st := raw.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			var actions []string
			switch a := st["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					actions = append(actions, fmt.Sprint(x))
				}
			}
			res := st["Resource"]
			if list, ok := res.([]any); ok && len(list) == 1 {
				res = list[0]
			}
			out = append(out, statement{policy: id, actions: actions, resource: jsonString(res)})
		}
	}
	return out
}
