package stacks_test

import (
	"fmt"
	"strings"
	"testing"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

func TestEveryLambda(t *testing.T) {
	s := final(t)
	for _, tpl := range []map[string]any{s.wrJSON, s.rrJSON} {
		for id, fn := range resources(tpl, "AWS::Lambda::Function") {
			p := props(fn)
			t.Run(id+" is a Go binary on provided.al2023 for arm64", func(t *testing.T) {
				if p["Runtime"] != "provided.al2023" {
					t.Errorf("Runtime = %v", p["Runtime"])
				}
				if jsonString(p["Architectures"]) != `["arm64"]` {
					t.Errorf("Architectures = %s", jsonString(p["Architectures"]))
				}
				if p["Handler"] != "bootstrap" {
					t.Errorf("Handler = %v, want bootstrap", p["Handler"])
				}
			})
			t.Run(id+" is built from its folder under lambdas/", func(t *testing.T) {
				entry, _ := fn["Metadata"].(map[string]any)[wrconstructs.EntryMetadataKey].(string)
				if !strings.HasPrefix(entry, "lambdas/") {
					t.Errorf("metadata %s = %q", wrconstructs.EntryMetadataKey, entry)
				}
			})
			t.Run(id+" sets memory and timeout explicitly", func(t *testing.T) {
				if p["MemorySize"] == nil || p["Timeout"] == nil {
					t.Errorf("MemorySize = %v, Timeout = %v", p["MemorySize"], p["Timeout"])
				}
			})
			t.Run(id+" traces with X-Ray and logs JSON to a log group with retention", func(t *testing.T) {
				if jsonString(p["TracingConfig"]) != `{"Mode":"Active"}` {
					t.Errorf("TracingConfig = %s", jsonString(p["TracingConfig"]))
				}
				logging, _ := p["LoggingConfig"].(map[string]any)
				if logging["LogFormat"] != "JSON" {
					t.Errorf("LoggingConfig = %s", jsonString(logging))
				}
				group, _ := logging["LogGroup"].(map[string]any)["Ref"].(string)
				lg := resources(tpl, "AWS::Logs::LogGroup")[group]
				if lg == nil || props(lg)["RetentionInDays"] == nil {
					t.Errorf("log group %q has no retention", group)
				}
			})
		}
	}
}

func TestNoStatementHasAWildcardAction(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for name, tpl := range map[string]map[string]any{"wild-rydes": s.wrJSON, "ride-record": s.rrJSON} {
			for _, st := range policyStatements(tpl) {
				for _, a := range st.actions {
					if strings.Contains(a, "*") {
						t.Errorf("step %d %s: %s allows %q", step, name, st.policy, a)
					}
				}
			}
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
