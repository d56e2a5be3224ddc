package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// `wildrydes steps` diffs the templates of the one-run synthesis of every step: each must be
// the template that `-c step=N` synthesizes alone, or the diffs would describe other stacks.
func TestAllStepsInOneRunAreEachStepAlone(t *testing.T) {
	context := map[string]any{"aws:cdk:bundling-stacks": []string{}}
	b, err := os.ReadFile("../../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ Context map[string]any }
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range cfg.Context {
		context[k] = v
	}
	out := t.TempDir()
	all := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out), Context: &context})
	if err := synthAllSteps(all, stacks.AppConfig{Stage: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range design.Steps() {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &context})
		wr, rr := stacks.NewApp(app, stacks.AppConfig{Stage: "test", Step: step})
		for _, alone := range []awscdk.Stack{wr, rr} {
			name := *alone.StackName()
			var got, want any
			b, err := os.ReadFile(filepath.Join(design.StepAssembly(out, step), name+".template.json"))
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			j, _ := json.Marshal(assertions.Template_FromStack(alone, nil).ToJSON())
			_ = json.Unmarshal(j, &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("step %d, %s: the one-run template differs from the step synthesized alone", step, name)
			}
		}
	}
}
