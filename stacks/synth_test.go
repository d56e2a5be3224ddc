package stacks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	toolsynth "github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// The stage the tests synthesize; a name no real deployment uses.
const stage = "test"

// synthesized is one step's pair of stacks: their templates, for the CDK assertions library
// (cdkTemplates), as JSON (wrJSON, rrJSON) and as the model reads them (wrStack, rrStack, read
// once: the rollout analysis asks for each thousands of times). app, wildRydes and rideRecord,
// the construct objects, exist only for a synthesis made in this test binary (inProcess,
// withEmail).
type synthesized struct {
	app                   awscdk.App
	wildRydes, rideRecord awscdk.Stack
	wrJSON, rrJSON        map[string]any
	wrStack, rrStack      *cfn.Stack
	// dir is the cloud assembly the templates come from ("" for an in-process synthesis).
	dir string

	wrFile, rrFile []byte // the cached templates as synthesized
	assertOnce     sync.Once
	wr, rr         assertions.Template
}

// cdkTemplates are the pair's templates for the CDK assertions library; a cached step's are
// read from its JSON on first use, as few tests use them.
func (s *synthesized) cdkTemplates() (wr, rr assertions.Template) {
	s.assertOnce.Do(func() {
		if s.wr == nil {
			s.wr = assertions.Template_FromString(jsii.String(string(s.wrFile)), nil)
			s.rr = assertions.Template_FromString(jsii.String(string(s.rrFile)), nil)
		}
	})
	return s.wr, s.rr
}

// steps are the templates of every step as the project synthesizes them (`cdk synth --strict`
// with bundling and validation, every step in one run of the app), cached by the app's sources:
// a warm run of these tests synthesizes nothing, and the tests read what a user deploys.
var steps = sync.OnceValues(func() (*toolsynth.Steps, error) {
	return toolsynth.Synthesize(context.Background(), toolsynth.Options{Stage: stage, Log: os.Stderr})
})

var (
	synthOnce sync.Map // design.Step -> *sync.Once
	synthDone sync.Map // design.Step -> *synthesized
	synthErr  sync.Map // design.Step -> error
)

// synth returns the templates of step from the cached synthesis.
func synth(t testing.TB, step design.Step) *synthesized {
	t.Helper()
	once, _ := synthOnce.LoadOrStore(step, &sync.Once{})
	once.(*sync.Once).Do(func() {
		s, err := load(step)
		if err != nil {
			synthErr.Store(step, err)
			return
		}
		synthDone.Store(step, s)
	})
	if err, failed := synthErr.Load(step); failed {
		t.Fatalf("step %d: %v", step, err)
	}
	return synthOrPanic(step)
}

// load reads both stacks of step from the cached synthesis.
func load(step design.Step) (*synthesized, error) {
	all, err := steps()
	if err != nil {
		return nil, err
	}
	asm, err := all.Assembly(step)
	if err != nil {
		return nil, err
	}
	s := &synthesized{dir: asm.Dir}
	for _, st := range []struct {
		kind  design.StackKind
		file  *[]byte
		json  *map[string]any
		model **cfn.Stack
	}{{design.WildRydes, &s.wrFile, &s.wrJSON, &s.wrStack}, {design.RideRecord, &s.rrFile, &s.rrJSON, &s.rrStack}} {
		stack, err := all.Stack(st.kind, step)
		if err != nil {
			return nil, err
		}
		*st.model = stack
		b, err := os.ReadFile(stack.TemplateFile)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, st.json); err != nil {
			return nil, fmt.Errorf("%s: %w", stack.TemplateFile, err)
		}
		*st.file = b
	}
	return s, nil
}

func synthOrPanic(step design.Step) *synthesized {
	s, ok := synthDone.Load(step)
	if !ok {
		panic(fmt.Sprintf("step %d was not synthesized", step))
	}
	return s.(*synthesized)
}

// inProcess is the final step synthesized in this test binary, as the app builds it, skipping
// asset bundling: the construct objects whose annotations cdk-nag writes, and the proof that the
// cached templates are the ones the app's code makes.
var inProcess = sync.OnceValue(func() *synthesized {
	return synthesizeInProcess(cdkJSONContext(), stacks.AppConfig{Stage: stage, Step: design.FinalStep})
})

// synthesizeInProcess synthesizes the app with context and cfg in this test binary, skipping
// asset bundling: these tests read the CloudFormation, not the binaries.
func synthesizeInProcess(context map[string]any, cfg stacks.AppConfig) *synthesized {
	context["aws:cdk:bundling-stacks"] = []string{}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &context})
	wr, rr := stacks.NewApp(app, cfg)
	s := &synthesized{app: app, wildRydes: wr, rideRecord: rr,
		wr: assertions.Template_FromStack(wr, nil), rr: assertions.Template_FromStack(rr, nil)}
	s.wrJSON, s.rrJSON = toMap(s.wr), toMap(s.rr)
	s.wrStack, s.rrStack = modelStack(design.WildRydes, s.wrJSON), modelStack(design.RideRecord, s.rrJSON)
	return s
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

// modelStack is a template of kind as the model reads it.
func modelStack(kind design.StackKind, tpl map[string]any) *cfn.Stack {
	b, err := json.Marshal(tpl)
	if err != nil {
		panic(err)
	}
	t, err := cfn.ParseTemplate(b)
	if err != nil {
		panic(err)
	}
	return &cfn.Stack{Name: design.StackName(kind, stage), Template: t}
}

// The templates the other tests read from the cache are the ones the app's code builds: the
// final step synthesized in this process matches the cached one, resource by resource, but for
// what the CLI adds to every template (withoutCLIMetadata).
func TestTheCachedTemplatesAreTheOnesTheAppBuilds(t *testing.T) {
	cached, built := final(t), inProcess()
	for _, st := range []struct {
		kind          design.StackKind
		cached, built map[string]any
	}{{design.WildRydes, cached.wrJSON, built.wrJSON}, {design.RideRecord, cached.rrJSON, built.rrJSON}} {
		for _, d := range jsonDiff("", withoutCLIMetadata(st.cached), st.built) {
			t.Errorf("%s: %s", design.StackName(st.kind, stage), d)
		}
	}
}

// withoutCLIMetadata is tpl without what the CDK CLI asks the app to add: each resource's
// construct path and asset metadata, and the version-reporting resource with its condition.
// (its global options --path-metadata, --asset-metadata and --version-reporting, on by default)
// https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd.html#ref-cli-cmd-options
func withoutCLIMetadata(tpl map[string]any) map[string]any {
	var out map[string]any
	_ = json.Unmarshal([]byte(jsonString(tpl)), &out)
	resources, _ := out["Resources"].(map[string]any)
	delete(resources, "CDKMetadata")
	if conditions, ok := out["Conditions"].(map[string]any); ok {
		delete(conditions, "CDKMetadataAvailable")
		if len(conditions) == 0 {
			delete(out, "Conditions")
		}
	}
	for _, r := range resources {
		res := r.(map[string]any)
		metadata, _ := res["Metadata"].(map[string]any)
		for k := range metadata {
			if k == "aws:cdk:path" || strings.HasPrefix(k, "aws:asset:") {
				delete(metadata, k)
			}
		}
		if metadata != nil && len(metadata) == 0 {
			delete(res, "Metadata")
		}
	}
	return out
}

// jsonDiff lists where a and b differ, by path.
func jsonDiff(path string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var out []string
		for _, k := range sortedKeys(am, bm) {
			out = append(out, jsonDiff(path+"/"+k, am[k], bm[k])...)
		}
		return out
	}
	if jsonString(a) != jsonString(b) {
		return []string{fmt.Sprintf("%s is %s in the cache, %s built here", path, jsonString(a), jsonString(b))}
	}
	return nil
}

func sortedKeys(ms ...map[string]any) []string {
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}
