package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// synthAllSteps synthesizes every refactor step in this one run (-c allSteps=true), each step
// as its own app, exactly as `-c step=N` builds it, into design.StepAssembly(outdir, N):
// `wildrydes steps` then starts Node once instead of once per step. Each step's assembly starts
// with the previous one's bundled functions: an asset's hash is its sources', so the bundling
// of a function whose sources are staged already is skipped and each function is built once.
func synthAllSteps(app awscdk.App, cfg stacks.AppConfig) error {
	outdir := *app.Outdir()
	prev := ""
	for _, step := range design.Steps() {
		c := cfg
		c.Step = step
		dir := design.StepAssembly(outdir, step)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if prev != "" {
			if err := linkAssets(prev, dir); err != nil {
				return fmt.Errorf("step %d: %w", step, err)
			}
		}
		target := app
		if step != design.FinalStep {
			// The app's whole context (cdk.json, -c), as the CLI gave it, or a test.
			context, _ := app.Node().GetAllContext(nil).(map[string]any)
			target = awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &context})
		}
		stacks.NewApp(target, c)
		target.Synth(nil)
		prev = dir
	}
	return nil
}

// linkAssets hard-links the bundled assets (asset.<hash>/) of one cloud assembly into another.
func linkAssets(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "asset.") {
			continue
		}
		src := filepath.Join(from, e.Name())
		err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, path)
			dst := filepath.Join(to, e.Name(), rel)
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			if _, err := os.Lstat(dst); err == nil {
				return nil
			}
			return os.Link(path, dst)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
