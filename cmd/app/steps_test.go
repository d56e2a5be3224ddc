package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// allSteps is every step of stage test from one run of the app, as `wildrydes steps` reads them.
var allSteps = sync.OnceValues(func() (*synth.Steps, error) {
	return synth.Synthesize(context.Background(), synth.Options{Stage: "test", Log: os.Stderr})
})

// `wildrydes steps` diffs the templates of the one-run synthesis of every step: each must be
// the template that `-c step=N` synthesizes alone, or the diffs would describe other stacks.
// The one run is the one those commands read (`cdk synth -c allSteps=true`, cached by the app's
// sources); each step alone is synthesized here from the context the CLI gives `-c step=N`.
func TestAllStepsInOneRunAreEachStepAlone(t *testing.T) {
	steps, err := allSteps()
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range design.Steps() {
		asm, err := steps.Assembly(step)
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		stageAssets(t, asm.Dir, out)
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out), Context: cliContext(t, "stage", "test", "step", strconv.Itoa(int(step)))})
		cfg, err := configFromContext(app)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Step != step {
			t.Fatalf("-c step=%d is read as step %d", step, cfg.Step)
		}
		stacks.NewApp(app, cfg)
		app.Synth(nil)
		for _, kind := range []design.StackKind{design.WildRydes, design.RideRecord} {
			name := design.StackName(kind, "test")
			got, want := readJSON(t, filepath.Join(asm.Dir, name+".template.json")), readJSON(t, filepath.Join(out, name+".template.json"))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("step %d, %s: the one-run template differs from the step synthesized alone", step, name)
			}
		}
	}
}

// cliContext is the context `cdk synth -c k=v ...` gives the app: cdk.json's, the -c values, and
// the CLI's own (its --path-metadata, --asset-metadata and --version-reporting, on by default;
// bundling every stack, the default, which stageAssets makes a no-op).
func cliContext(t *testing.T, kv ...string) *map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ Context map[string]any }
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	context := cfg.Context
	for i := 0; i+1 < len(kv); i += 2 {
		context[kv[i]] = kv[i+1]
	}
	for _, k := range []string{"aws:cdk:enable-path-metadata", "aws:cdk:enable-asset-metadata", "aws:cdk:version-reporting"} {
		context[k] = true
	}
	return &context
}

// stageAssets links the bundled functions (asset.<hash>/) of the cloud assembly from into the
// folder out: an asset's hash is its sources', so a synth into out finds each function staged
// and bundles none, and its templates name the assets as the CLI's do.
func stageAssets(t *testing.T, from, out string) {
	t.Helper()
	assets, err := filepath.Glob(filepath.Join(from, "asset.*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range assets {
		if err := os.Symlink(a, filepath.Join(out, filepath.Base(a))); err != nil {
			t.Fatal(err)
		}
	}
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
