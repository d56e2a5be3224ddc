package main

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// knownNoise is what a good synth once printed: jsii-runtime-go before v1.142.0 had two
// goroutines wait for its node child, so the loser reported "waitid: no child processes" as an
// abnormal exit, and the CLI counts the feature flags that cdk.json leaves unset.
var knownNoise = []string{"waitid", "Runtime process exited abnormally", "feature flags are not configured"}

// maxZippedAsset is the most a function's deployment package may weigh.
const maxZippedAsset = 4 << 20

// TestSynthesizedApp synthesizes the app as users do, with the pinned CLI, bundling the Go
// functions, validation on and --strict (cdk-nag's findings fail it), then checks what came out.
func TestSynthesizedApp(t *testing.T) {
	ctx := context.Background()
	dir, err := synth.Cached(ctx, synth.Options{Stage: "test", Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	templates, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if len(templates) != 2 {
		t.Fatalf("templates %v, want the two stacks", templates)
	}

	t.Run("the synth prints nothing a user could take for a failure", func(t *testing.T) {
		out, err := os.ReadFile(filepath.Join(dir, synth.OutputFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			for _, noise := range knownNoise {
				if strings.Contains(line, noise) {
					t.Errorf("cdk synth printed %q", line)
				}
			}
		}
	})

	t.Run("cfn-lint finds no error in either template", func(t *testing.T) {
		out, err := exec.Command("cfn-lint", append([]string{"--format", "parseable"}, templates...)...).CombinedOutput()
		var exit *exec.ExitError
		// cfn-lint's exit status is a bit mask: 2 errors, 4 warnings, 8 informational.
		if err != nil && (!errors.As(err, &exit) || exit.ExitCode()&2 != 0 || exit.ExitCode() == 1) {
			t.Errorf("cfn-lint: %v\n%s", err, out)
		}
	})

	t.Run("each function is a stripped arm64 Go binary zipped under 4 MB", func(t *testing.T) {
		assets, _ := filepath.Glob(filepath.Join(dir, "asset.*", "bootstrap"))
		if len(assets) != 5 {
			t.Fatalf("%d function assets, want 5 (RequestRide, PutRideRecordHttp, PutRideRecordSns, RedriveDeadLetters, and CheckRollout, the rollout guard both stacks share)", len(assets))
		}
		for _, bin := range assets {
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatalf("%s: %v", bin, err)
			}
			if f.Machine != elf.EM_AARCH64 {
				t.Errorf("%s is built for %v, want arm64", bin, f.Machine)
			}
			if f.Section(".symtab") != nil {
				t.Errorf("%s keeps its symbol table: -ldflags \"-s -w\" was not applied", bin)
			}
			f.Close()
			if n := zippedSize(t, bin); n > maxZippedAsset {
				t.Errorf("%s zips to %d bytes, over %d", bin, n, maxZippedAsset)
			}
		}
	})

	t.Run("the app without -c step is the final step", func(t *testing.T) {
		step := design.FinalStep
		steps, err := allSteps()
		if err != nil {
			t.Fatal(err)
		}
		asm, err := steps.Assembly(step)
		if err != nil {
			t.Fatal(err)
		}
		finalDir := asm.Dir
		for _, tpl := range templates {
			a, _ := os.ReadFile(tpl)
			b, err := os.ReadFile(filepath.Join(finalDir, filepath.Base(tpl)))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs between no step and -c step=%d (%v)", filepath.Base(tpl), step, err)
			}
		}
	})

	t.Run("cdk diff against the synthesized template works offline and finds nothing", func(t *testing.T) {
		for _, tpl := range templates {
			stack := strings.TrimSuffix(filepath.Base(tpl), ".template.json")
			cmd := exec.Command(synth.CDK(root(t)), "diff", "--app", dir, "--template", tpl, "--no-change-set", "--fail", stack)
			cmd.Env = append(synth.Env(root(t)), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_PROFILE=")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("cdk diff %s: %v\n%s", stack, err, out)
			}
		}
	})
}

func zippedSize(t *testing.T, path string) int {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

func root(t *testing.T) string {
	t.Helper()
	r, err := synth.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestContextIsChecked(t *testing.T) {
	// What no context gives; each case says what it changes.
	defaults := stacks.AppConfig{Stage: design.DefaultStage, Step: design.FinalStep}
	with := func(change func(*stacks.AppConfig)) stacks.AppConfig {
		c := defaults
		change(&c)
		return c
	}
	for _, tc := range []struct {
		name    string
		context map[string]any
		wantErr string
		want    stacks.AppConfig
	}{
		{"no context means stage dev and the final step", map[string]any{}, "", defaults},
		{"a stage is read", map[string]any{"stage": "prod-2"}, "", with(func(c *stacks.AppConfig) { c.Stage = "prod-2" })},
		{"a step number is read", map[string]any{"step": "2"}, "", with(func(c *stacks.AppConfig) { c.Step = design.StepTopic })},
		{"a step from cdk.json may be a number", map[string]any{"step": 3.0}, "", with(func(c *stacks.AppConfig) { c.Step = design.StepSubscriber })},
		{"a step that is not a number is refused", map[string]any{"step": "two"}, "not a whole number", stacks.AppConfig{}},
		{"a step past the last is refused", map[string]any{"step": "9"}, "does not exist", stacks.AppConfig{}},
		{"a stage with upper case is refused", map[string]any{"stage": "Prod"}, "lower-case", stacks.AppConfig{}},
		{"a unicorn service URL is read", map[string]any{"requestUnicornUrl": "https://unicorns.example.com/request"}, "",
			with(func(c *stacks.AppConfig) { c.RequestUnicornURL = "https://unicorns.example.com/request" })},
		{"an alarm email is read", map[string]any{"alarmEmail": "ops@example.com"}, "", with(func(c *stacks.AppConfig) { c.AlarmEmail = "ops@example.com" })},
		{"an alarm email that is not an address is refused", map[string]any{"alarmEmail": "ops"}, "context alarmEmail", stacks.AppConfig{}},
		{"an alarm email with a display name is refused", map[string]any{"alarmEmail": "Ops <ops@example.com>"}, "context alarmEmail", stacks.AppConfig{}},
		{"one table capacity sets read and write units", map[string]any{"tableCapacity": "5"}, "", with(func(c *stacks.AppConfig) { c.TableCapacity = design.TableCapacity{Read: 5, Write: 5} })},
		{"a table capacity from cdk.json may be a number", map[string]any{"tableCapacity": 25.0}, "", with(func(c *stacks.AppConfig) { c.TableCapacity = design.TableCapacity{Read: 25, Write: 25} })},
		{"read/write sets each", map[string]any{"tableCapacity": "10/2"}, "", with(func(c *stacks.AppConfig) { c.TableCapacity = design.TableCapacity{Read: 10, Write: 2} })},
		{"a capacity of no unit is refused", map[string]any{"tableCapacity": "0"}, "between 1 and 40000", stacks.AppConfig{}},
		{"a capacity that is not a number is refused", map[string]any{"tableCapacity": "lots"}, "context tableCapacity", stacks.AppConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.context
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
			cfg, err := configFromContext(app)
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one saying %q", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.wantErr == "" && cfg != tc.want:
				t.Errorf("config %+v, want %+v", cfg, tc.want)
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}
