package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// The stage the tests synthesize; a name no real deployment uses.
const stage = "test"

// synthesized is one step's pair of stacks, synthesized once per test binary: a synth costs
// seconds, the assertions milliseconds.
type synthesized struct {
	wildRydes, rideRecord awscdk.Stack
	wr, rr                assertions.Template
	wrJSON, rrJSON        map[string]any
}

var (
	synthOnce sync.Map // design.Step -> *sync.Once
	synthDone sync.Map // design.Step -> *synthesized
)

// synth returns the templates of step, skipping asset bundling: these tests read the
// CloudFormation, not the binaries (the app's own test builds those).
func synth(t testing.TB, step design.Step) *synthesized {
	t.Helper()
	once, _ := synthOnce.LoadOrStore(step, &sync.Once{})
	once.(*sync.Once).Do(func() {
		context := cdkJSONContext()
		context["aws:cdk:bundling-stacks"] = []string{}
		app := awscdk.NewApp(&awscdk.AppProps{Context: &context})
		wr, rr := stacks.NewApp(app, stacks.AppConfig{Stage: stage, Step: step})
		s := &synthesized{wildRydes: wr, rideRecord: rr,
			wr: assertions.Template_FromStack(wr, nil), rr: assertions.Template_FromStack(rr, nil)}
		s.wrJSON = toMap(s.wr)
		s.rrJSON = toMap(s.rr)
		synthDone.Store(step, s)
	})
	s, ok := synthDone.Load(step)
	if !ok {
		t.Fatalf("step %d did not synthesize (see the first failure)", step)
	}
	return s.(*synthesized)
}

// cdkJSONContext is the context cdk.json gives the app (its feature flags change the
// templates), so these tests see what `cdk synth` makes.
func cdkJSONContext() map[string]any {
	b, err := os.ReadFile("../cdk.json")
	if err != nil {
		panic(err)
	}
	var cfg struct{ Context map[string]any }
	if err := json.Unmarshal(b, &cfg); err != nil {
		panic(fmt.Sprintf("cdk.json: %v", err))
	}
	return cfg.Context
}

func final(t testing.TB) *synthesized { return synth(t, design.FinalStep) }

func toMap(tpl assertions.Template) map[string]any {
	b, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

// check runs a CDK assertion, which panics through jsii on failure, as a test error that
// says what was expected.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// resources returns the template's resources of type typ by logical ID.
func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	return p
}

func env(t *testing.T, tpl map[string]any, function string) map[string]any {
	t.Helper()
	fn, ok := resources(tpl, "AWS::Lambda::Function")[function]
	if !ok {
		t.Fatalf("no function %s in the template", function)
	}
	vars, _ := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	return vars
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
