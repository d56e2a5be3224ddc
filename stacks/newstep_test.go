package stacks

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// A newcomer's checklist for a new refactor step, enforced: every Step constant declared in
// internal/design/steps.go must be done everywhere a step is declared or documented, and the test
// names each place still to change. The rollout analysis, the local system, the tools and the
// stack tests read the rest from the synthesized templates (the stack tests then prove the new
// step changes the stack it names, loses no ride and is refused wherever it would).

// wantRequirements is what a stack at each step requires of the other (stacks/rollout.go,
// requirements), as decided step by step: a new step is listed here once its requirements are.
var wantRequirements = map[design.Step]map[design.StackKind][]string{
	design.StepSynchronous: {
		design.WildRydes:  {"RecordAuthorization is NONE or absent", "SubscriberReady is absent"},
		design.RideRecord: {"RideDelivery is http or absent for 11m20s"},
	},
	design.StepSharedPutPath: {
		design.WildRydes:  {"RecordAuthorization is NONE or absent", "SubscriberReady is absent"},
		design.RideRecord: {"RideDelivery is http or absent for 11m20s"},
	},
	design.StepTopic: {
		design.WildRydes:  {"RecordAuthorization is NONE or absent"},
		design.RideRecord: {"RideDelivery is http or absent for 11m20s"},
	},
	design.StepSubscriber: {
		design.WildRydes:  {"RecordAuthorization is NONE or absent"},
		design.RideRecord: nil,
	},
	design.StepPublish: {
		design.WildRydes:  {"SubscriberReady exists"},
		design.RideRecord: nil,
	},
	design.StepOnDemand: {
		design.WildRydes:  {"SubscriberReady exists"},
		design.RideRecord: nil,
	},
	design.StepLockRecord: {
		design.WildRydes:  {"SubscriberReady exists"},
		design.RideRecord: {"RideDelivery is sns or absent"},
	},
}

func TestEveryStepIsDoneEverywhere(t *testing.T) {
	for _, c := range declaredSteps(t) {
		if todo := stepTodo(c.name, c.step); len(todo) > 0 {
			t.Errorf("step %d (%s) is not done; still to change:\n  - %s", c.step, c.name, strings.Join(todo, "\n  - "))
		}
	}
}

// stepTodo lists the places a step still needs, each with what to write there.
func stepTodo(name string, s design.Step) []string {
	var todo []string
	need := func(format string, args ...any) { todo = append(todo, fmt.Sprintf(format, args...)) }

	// internal/design: the step itself.
	if !slices.Contains(design.Steps(), s) {
		need("internal/design/steps.go: FinalStep = %s if it is the new last step (design.Steps() ends at %d)", name, design.FinalStep)
	}
	if s.Summary() == design.Step(-1).Summary() {
		need("internal/design/steps.go: a case for %s in Summary (one line: what deploying it does)", name)
	}
	changes := s.Changes()
	if len(changes) == 0 || s != design.StepSynchronous && len(changes) != 1 {
		need("internal/design/steps.go: a case for %s in Changes (the one stack it changes; it has %v)", name, changes)
	}
	var turnsOn []string
	for _, p := range stepPredicates() {
		if s > design.StepSynchronous && p.of(s) != p.of(s-1) {
			turnsOn = append(turnsOn, p.name)
		}
	}
	if s > design.StepSynchronous && len(turnsOn) == 0 {
		need("internal/design/steps.go: a Has… method that turns on at %s (what the step changes: the stacks read it)", name)
	}

	// stacks/: what the step turns on is built, and the rollout safety of the new state decided.
	stacksCode := nonTestSources("")
	for _, p := range turnsOn {
		if !strings.Contains(stacksCode, "."+p+"()") {
			need("stacks/<stack>.go: build what %s turns on (no stack reads it yet)", p)
		}
	}
	if want, ok := wantRequirements[s]; !ok {
		need("stacks/rollout.go: decide what each stack at %s requires of the other (requirements) and publishes (publish), then list it in wantRequirements in stacks/newstep_test.go (today: wild-rydes %v, ride-record %v)",
			name, requirementsOf(design.WildRydes, s), requirementsOf(design.RideRecord, s))
	} else {
		for _, kind := range []design.StackKind{design.WildRydes, design.RideRecord} {
			if got := requirementsOf(kind, s); !slices.Equal(got, want[kind]) {
				need("stacks/rollout.go: %s at %s requires %v of the other stack, wantRequirements says %v: change one of them", kind, name, got, want[kind])
			}
		}
	}

	// internal/design/install.go: a fresh install reaches the step.
	at := map[design.StackKind]design.Step{}
	for _, m := range design.FreshInstall(s) {
		at[m.Kind] = m.Step
	}
	for _, kind := range []design.StackKind{design.WildRydes, design.RideRecord} {
		if at[kind].StackStep(kind) != s.StackStep(kind) {
			need("internal/design/install.go: FreshInstall(%s) leaves %s at step %d, want the template of step %d (a safe order the rollout tests prove)", name, kind, at[kind], s.StackStep(kind))
		}
	}

	// docs: the step's section and its row, and, for the last step, the range the docs give.
	steps := readDoc("docs/STEPS.md")
	if !strings.Contains(steps, fmt.Sprintf("\n## Step %d: ", s)) {
		need("docs/STEPS.md: a section \"## Step %d: <what it does> (<stack>)\" with its deploy command and the checks after it", s)
	}
	if !strings.Contains(steps, fmt.Sprintf("\n| %d | ", s)) {
		need("docs/STEPS.md: a row \"| %d | <stack it changes> | <summary> |\" in the table of steps at the top", s)
	}
	if s == design.FinalStep || !slices.Contains(design.Steps(), s) {
		for _, doc := range []struct{ file, text string }{
			{"docs/STEPS.md", fmt.Sprintf("steps 0 to %d", s)},
			{"README.md", fmt.Sprintf("`-c step=0..%d`", s)},
			{"README.md", fmt.Sprintf("`step` (0..%d", s)},
			{"docs/ARCHITECTURE.md", fmt.Sprintf("step (0..%d)", s)},
		} {
			if !strings.Contains(readDoc(doc.file), doc.text) {
				need("%s: the range of steps says %q", doc.file, doc.text)
			}
		}
	}
	return todo
}

// requirementsOf is what kind, deployed with the app at step s, requires of the other stack, one
// line each, sorted.
func requirementsOf(kind design.StackKind, s design.Step) []string {
	req := requirements(kind, "test", s.StackStep(kind))
	var out []string
	for _, name := range req.exists {
		out = append(out, path.Base(name)+" exists")
	}
	for _, c := range req.conditions {
		var values []string
		for _, v := range c.AllowedValues {
			if v == "" {
				v = "absent"
			}
			values = append(values, v)
		}
		held := ""
		if c.HeldFor > 0 {
			held = " for " + c.HeldFor.String()
		}
		out = append(out, path.Base(c.Parameter)+" is "+strings.Join(values, " or ")+held)
	}
	slices.Sort(out)
	return out
}

// stepPredicate is one of design.Step's Has… methods: a feature a step turns on.
type stepPredicate struct {
	name string
	of   func(design.Step) bool
}

// stepPredicates lists design.Step's methods that say whether a step has a feature.
func stepPredicates() []stepPredicate {
	var out []stepPredicate
	typ := reflect.TypeOf(design.Step(0))
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if m.Type.NumIn() == 1 && m.Type.NumOut() == 1 && m.Type.Out(0).Kind() == reflect.Bool {
			out = append(out, stepPredicate{m.Name, func(s design.Step) bool {
				return m.Func.Call([]reflect.Value{reflect.ValueOf(s)})[0].Bool()
			}})
		}
	}
	return out
}

// declaredStep is a Step constant of internal/design/steps.go with its value.
type declaredStep struct {
	name string
	step design.Step
}

// declaredSteps reads internal/design/steps.go for its `StepX Step = N` constants: a new one
// counts from the moment it is written, whether or not FinalStep moved.
func declaredSteps(t *testing.T) []declaredStep {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "internal", "design", "steps.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []declaredStep
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, _ := vs.Type.(*ast.Ident)
			if typ == nil || typ.Name != "Step" {
				continue
			}
			for i, n := range vs.Names {
				lit, _ := vs.Values[i].(*ast.BasicLit)
				if lit == nil {
					t.Fatalf("steps.go: %s is not a number: declare each step as `StepX Step = N`", n.Name)
				}
				v, err := strconv.Atoi(lit.Value)
				if err != nil {
					t.Fatalf("steps.go: %s = %s: %v", n.Name, lit.Value, err)
				}
				out = append(out, declaredStep{n.Name, design.Step(v)})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("steps.go declares no `StepX Step = N` constant: this test reads nothing")
	}
	return out
}

// nonTestSources is the Go code of this package (the stacks), without its tests.
func nonTestSources(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		b.Write(src)
	}
	return b.String()
}

func readDoc(rel string) string {
	b, err := os.ReadFile(filepath.Join("..", rel))
	if err != nil {
		return ""
	}
	return string(b)
}
