package stacks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// The pinned @cdklabs/cdk-validator-cfnguard (package.json) ships cfn-guard and AWS Control
// Tower's proactive controls as guard rules. Its Go bindings are not on the Go module proxy, so
// this test runs the binary on the templates the other tests synthesize, as the CDK plugin would.
const cfnGuardPackage = "../node_modules/@cdklabs/cdk-validator-cfnguard"

// guardWaiver is one control this design fails on purpose (guard-waivers.json).
type guardWaiver struct {
	Rule   string           `json:"rule"`
	Reason string           `json:"reason"`
	Only   []map[string]any `json:"only"`
}

// covers says which of the waiver's selectors applies to resource id of tpl (0 for a waiver
// of the whole rule), or -1.
func (w guardWaiver) covers(tpl map[string]any, id string) int {
	if len(w.Only) == 0 {
		return 0
	}
	res, _ := tpl["Resources"].(map[string]any)[id].(map[string]any)
	for i, sel := range w.Only {
		match := res != nil
		for k, want := range sel {
			var got any
			switch k {
			case "Type":
				got = res["Type"]
			case "LogicalId":
				got = id
			default:
				got = props(res)[k]
			}
			match = match && jsonString(got) == jsonString(want)
		}
		if match {
			return i
		}
	}
	return -1
}

func loadGuardWaivers(t *testing.T) []guardWaiver {
	t.Helper()
	b, err := os.ReadFile("guard-waivers.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Waivers []guardWaiver }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("guard-waivers.json: %v", err)
	}
	seen := map[string]bool{}
	for _, w := range f.Waivers {
		if w.Rule == "" || strings.TrimSpace(w.Reason) == "" {
			t.Fatalf("guard-waivers.json: every waiver names its rule and gives its reason: %+v", w)
		}
		if seen[w.Rule] {
			t.Fatalf("guard-waivers.json: %s is listed twice; list a rule once, with every selector it needs", w.Rule)
		}
		seen[w.Rule] = true
	}
	return f.Waivers
}

// guardFinding is one resource of one template that fails one control.
type guardFinding struct{ rule, template, resource string }

var (
	controlID    = regexp.MustCompile(`\[(CT\.[A-Z0-9]+\.PR\.\d+)\]`)
	resourcePath = regexp.MustCompile(`^/Resources/([^/]+)`)
)

// runControlTower runs cfn-guard with every Control Tower rule on the templates (by name) and
// returns what fails.
func runControlTower(t *testing.T, templates map[string]map[string]any) []guardFinding {
	t.Helper()
	platform, arch := map[string]string{"linux": "ubuntu", "darwin": "macos"}[runtime.GOOS],
		map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	guard := filepath.Join(cfnGuardPackage, "bin", platform, arch, "cfn-guard")
	if _, err := os.Stat(guard); err != nil {
		t.Fatalf("no cfn-guard for %s/%s at %s (run make setup: npm ci installs it): %v", runtime.GOOS, runtime.GOARCH, guard, err)
	}
	dir := t.TempDir()
	args := []string{"validate", "--rules", controlTowerRules(t, templates),
		"--output-format", "json", "--show-summary", "none", "--structured"}
	byFile := map[string]string{}
	for name, tpl := range templates {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(file, []byte(jsonString(tpl)), 0o644); err != nil {
			t.Fatal(err)
		}
		byFile[file] = name
		args = append(args, "--data", file)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(guard, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// cfn-guard exits 19 when a rule fails: the report says which.
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 19 {
			t.Fatalf("cfn-guard: %v\n%s", err, stderr.String())
		}
	}
	var report []struct {
		Name         string `json:"name"`
		NotCompliant []any  `json:"not_compliant"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("cfn-guard's report is not the JSON this test reads: %v\n%.2000s", err, stdout.String())
	}
	if len(report) != len(templates) {
		t.Fatalf("cfn-guard reported on %d templates, want %d", len(report), len(templates))
	}
	var found []guardFinding
	for _, r := range report {
		for _, failure := range r.NotCompliant {
			before := len(found)
			collectFindings(failure, "", func(rule, resource string) {
				f := guardFinding{rule, byFile[r.Name], resource}
				if !slices.Contains(found[before:], f) {
					found = append(found, f)
				}
			})
			if len(found) == before {
				t.Errorf("%s: cfn-guard reports a failure that names no control and resource: %.1000s", byFile[r.Name], jsonString(failure))
			}
		}
	}
	return found
}

// controlTowerRules is a folder of the Control Tower rule files that can select a resource of
// the templates: each rule selects resources by type (Resources.*[ Type == 'AWS::…' ]), so a file
// that names none of the templates' types finds nothing in them, and cfn-guard spends most of its
// time reading the rules (a file that names no type at all is kept).
func controlTowerRules(t *testing.T, templates map[string]map[string]any) string {
	t.Helper()
	var types []string
	for _, tpl := range templates {
		for _, r := range tpl["Resources"].(map[string]any) {
			if typ := fmt.Sprint(r.(map[string]any)["Type"]); !slices.Contains(types, typ) {
				types = append(types, typ)
			}
		}
	}
	root := filepath.Join(cfnGuardPackage, "rules/control-tower/cfn-guard")
	out := t.TempDir()
	kept := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rule := string(b)
		selects := !strings.Contains(rule, "AWS::")
		for _, typ := range types {
			selects = selects || strings.Contains(rule, "'"+typ+"'") || strings.Contains(rule, `"`+typ+`"`)
		}
		if !selects {
			return nil
		}
		kept++
		rel, _ := filepath.Rel(root, path)
		return os.WriteFile(filepath.Join(out, strings.ReplaceAll(rel, string(filepath.Separator), "-")), b, 0o644)
	})
	if err != nil {
		t.Fatalf("reading the Control Tower rules: %v", err)
	}
	if kept == 0 {
		t.Fatalf("no Control Tower rule in %s selects a resource type of the templates %v", root, types)
	}
	return out
}

// collectFindings walks one failure of cfn-guard's structured report: a tree of rules and
// clauses whose messages name the control ([CT.X.PR.N]) and whose paths name the resources.
func collectFindings(v any, rule string, add func(rule, resource string)) {
	switch x := v.(type) {
	case map[string]any:
		if m, ok := x["messages"].(map[string]any); ok {
			if msg, ok := m["custom_message"].(string); ok {
				if id := controlID.FindStringSubmatch(msg); id != nil {
					rule = id[1]
				}
			}
		}
		if p, ok := x["path"].(string); ok && rule != "" {
			if r := resourcePath.FindStringSubmatch(p); r != nil {
				add(rule, r[1])
			}
		}
		for _, c := range x {
			collectFindings(c, rule, add)
		}
	case []any:
		for _, c := range x {
			collectFindings(c, rule, add)
		}
	}
}

// TestControlTowerProactiveControls: every step's templates of both stacks pass AWS Control
// Tower's proactive controls, except the failures guard-waivers.json lists with their reasons.
func TestControlTowerProactiveControls(t *testing.T) {
	waivers := loadGuardWaivers(t)
	templates := map[string]map[string]any{}
	var names []string
	for _, step := range design.Steps() {
		s := synth(t, step)
		for kind, tpl := range map[design.StackKind]map[string]any{design.WildRydes: s.wrJSON, design.RideRecord: s.rrJSON} {
			name := fmt.Sprintf("step %d %s", step, design.StackName(kind, stage))
			templates[name] = tpl
			names = append(names, name)
		}
	}
	slices.Sort(names)

	// A step that does not change a stack leaves its template as it was: cfn-guard checks each
	// distinct template once, and its findings count for every step that has it.
	distinct := map[string]map[string]any{} // first name -> template
	same := map[string][]string{}           // first name -> every name with that template
	first := map[string]string{}            // template -> first name
	for _, name := range names {
		text := jsonString(templates[name])
		if _, ok := first[text]; !ok {
			first[text] = name
			distinct[name] = templates[name]
		}
		same[first[text]] = append(same[first[text]], name)
	}
	var findings []guardFinding
	for _, f := range runControlTower(t, distinct) {
		for _, name := range same[f.template] {
			findings = append(findings, guardFinding{f.rule, name, f.resource})
		}
	}

	used := map[string]bool{} // rule and selector
	perTemplate := map[string][]string{}
	for _, f := range findings {
		waived := false
		for _, w := range waivers {
			if i := w.covers(templates[f.template], f.resource); w.Rule == f.rule && i >= 0 {
				used[fmt.Sprint(w.Rule, i)], waived = true, true
			}
		}
		if waived {
			continue
		}
		perTemplate[f.template] = append(perTemplate[f.template], f.rule+" on "+f.resource)
		t.Errorf("%s: %s fails AWS Control Tower's proactive control %s; fix the resource, or list the rule in stacks/guard-waivers.json with the reason it fails by design",
			f.template, f.resource, f.rule)
	}
	for _, name := range names {
		slices.Sort(perTemplate[name])
		t.Logf("%s: %d failures beyond the waivers %v", name, len(perTemplate[name]), perTemplate[name])
	}
	for _, w := range waivers {
		for i := range max(1, len(w.Only)) {
			if !used[fmt.Sprint(w.Rule, i)] {
				what := "the waiver"
				if len(w.Only) > 0 {
					what = "its selector " + jsonString(w.Only[i])
				}
				t.Errorf("guard-waivers.json waives %s, which no step's template fails any more there: remove %s", w.Rule, what)
			}
		}
	}
}

// TestEveryInvokePermissionNamesItsSource is what the waiver of CT.LAMBDA.PR.2 relies on: no
// permission to invoke a function is public. Each one names its principal and a source the
// rule cannot read in an environment-agnostic template: this account's HTTP API of the same
// template, or the rides topic through its SSM parameter.
func TestEveryInvokePermissionNamesItsSource(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for kind, tpl := range map[design.StackKind]map[string]any{design.WildRydes: s.wrJSON, design.RideRecord: s.rrJSON} {
			permissions := resources(tpl, "AWS::Lambda::Permission")
			if len(permissions) == 0 {
				t.Errorf("step %d %s: no invoke permission: every stack's API invokes a function", step, design.StackName(kind, stage))
			}
			for id, res := range permissions {
				p := props(res)
				if err := permissionSource(tpl, p); err != nil {
					t.Errorf("step %d %s: permission %s (principal %v) may be invoked from outside this system: %v",
						step, design.StackName(kind, stage), id, p["Principal"], err)
				}
			}
		}
	}
	// The check refuses a permission the waiver must not cover.
	tpl := final(t).rrJSON
	thisAPI := map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":execute-api:",
		map[string]any{"Ref": "AWS::Region"}, ":", map[string]any{"Ref": "AWS::AccountId"}, ":", map[string]any{"Ref": routeAPI(t, system(t, final(t), final(t)), "POST /record")}, "/*/*/record"}}}
	if err := permissionSource(tpl, map[string]any{"Principal": "apigateway.amazonaws.com", "SourceArn": thisAPI}); err != nil {
		t.Errorf("this account's own API is refused as a source: %v", err)
	}
	for name, p := range map[string]map[string]any{
		"a public principal":          {"Principal": "*"},
		"a function URL":              {"Principal": "*", "FunctionUrlAuthType": "NONE"},
		"API Gateway with no source":  {"Principal": "apigateway.amazonaws.com"},
		"another account's API":       {"Principal": "apigateway.amazonaws.com", "SourceArn": map[string]any{"Fn::Join": []any{"", []any{"arn:aws:execute-api:us-east-1:111122223333:abc/*"}}}},
		"SNS from any topic":          {"Principal": "sns.amazonaws.com"},
		"SNS from a topic named here": {"Principal": "sns.amazonaws.com", "SourceArn": "arn:aws:sns:us-east-1:111122223333:rides"},
	} {
		if err := permissionSource(tpl, p); err == nil {
			t.Errorf("a permission with %s is taken for one of this system's", name)
		}
	}
}

func permissionSource(tpl map[string]any, p map[string]any) error {
	if _, ok := p["FunctionUrlAuthType"]; ok {
		return fmt.Errorf("a function URL")
	}
	arn := p["SourceArn"]
	switch p["Principal"] {
	case "apigateway.amazonaws.com":
		join, _ := asMap(arn)["Fn::Join"].([]any)
		if len(join) != 2 {
			return fmt.Errorf("SourceArn %s is not this account's API", jsonString(arn))
		}
		parts := jsonString(join[1])
		if !strings.Contains(parts, `{"Ref":"AWS::AccountId"}`) || !strings.Contains(parts, `":execute-api:"`) {
			return fmt.Errorf("SourceArn %s is not an execute-api ARN of this account", parts)
		}
		for api := range resources(tpl, "AWS::ApiGatewayV2::Api") {
			if strings.Contains(parts, jsonString(map[string]any{"Ref": api})) {
				return nil
			}
		}
		return fmt.Errorf("SourceArn %s names no HTTP API of this template", parts)
	case "sns.amazonaws.com":
		ref, _ := asMap(arn)["Ref"].(string)
		param, _ := tpl["Parameters"].(map[string]any)[ref].(map[string]any)
		if param == nil || param["Default"] != design.TopicArnParameterName(stage) {
			return fmt.Errorf("SourceArn %s is not the rides topic's ARN from %s", jsonString(arn), design.TopicArnParameterName(stage))
		}
		return nil
	}
	return fmt.Errorf("principal %v is neither API Gateway nor SNS", p["Principal"])
}
