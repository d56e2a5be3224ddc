package stepdiff

import (
	"context"
	"io"
	"os"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Analysis analyses the templates of every step.
func Analysis(ctx context.Context, root, stage string, log io.Writer) (*rollout.Analysis, error) {
	steps, err := synth.Synthesize(ctx, synth.Options{Root: root, Stage: stage, Log: log})
	if err != nil {
		return nil, err
	}
	asms, err := steps.All()
	if err != nil {
		return nil, err
	}
	return rollout.New(rollout.FromAssemblies(asms, stage)), nil
}

// MoveDiff is the offline cdk diff of one stack from the template of step from to that of step
// to; from Absent, the diff against an empty template (everything added).
func MoveDiff(ctx context.Context, root string, steps *synth.Steps, kind design.StackKind, from rollout.State, to design.Step) (string, error) {
	after, err := steps.Stack(kind, to)
	if err != nil {
		return "", err
	}
	var before string
	if from != rollout.Absent {
		prev, err := steps.Stack(kind, design.Step(from))
		if err != nil {
			return "", err
		}
		before = prev.TemplateFile
	} else {
		f, err := os.CreateTemp("", "empty-*.template.json")
		if err != nil {
			return "", err
		}
		defer os.Remove(f.Name())
		f.WriteString("{}")
		f.Close()
		before = f.Name()
	}
	asm, err := steps.Assembly(to)
	if err != nil {
		return "", err
	}
	out, _, err := cdkDiff(ctx, root, asm.Dir, before, after.Name)
	return out, err
}
