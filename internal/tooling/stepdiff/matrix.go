package stepdiff

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Assemblies synthesizes (or reuses the cached assemblies of) every step.
func Assemblies(ctx context.Context, root, stage string, log io.Writer) (map[design.Step]*cfn.Assembly, error) {
	asms := map[design.Step]*cfn.Assembly{}
	for _, s := range design.Steps() {
		n := int(s)
		dir, err := synth.Cached(ctx, synth.Options{Root: root, Stage: stage, Step: &n, Log: log})
		if err != nil {
			return nil, err
		}
		if asms[s], err = cfn.LoadAssembly(dir); err != nil {
			return nil, err
		}
	}
	return asms, nil
}

// Analysis analyses the assemblies of every step.
func Analysis(ctx context.Context, root, stage string, log io.Writer) (*rollout.Analysis, error) {
	asms, err := Assemblies(ctx, root, stage, log)
	if err != nil {
		return nil, err
	}
	return rollout.New(rollout.FromAssemblies(asms, stage)), nil
}

// MoveDiff is the offline cdk diff of one stack from the template of step from to that of step
// to; from Absent, the diff against an empty template (everything added).
func MoveDiff(ctx context.Context, root string, asms map[design.Step]*cfn.Assembly, stack string, from rollout.State, to design.Step) (string, error) {
	var before string
	if from != rollout.Absent {
		before = filepath.Join(asms[design.Step(from)].Dir, stack+".template.json")
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
	out, _, err := cdkDiff(ctx, root, asms[to].Dir, before, stack)
	return out, err
}

// printMatrix is `wildrydes steps --matrix`: every pair of stack states, every deploy into an
// unsafe one and what refuses it, and the fresh-install sequence. It fails when CloudFormation
// would accept a deploy that loses rides.
func printMatrix(ctx context.Context, root, stage string, stdout, stderr io.Writer) int {
	a, err := Analysis(ctx, root, stage, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "steps:", err)
		return 2
	}
	m, err := a.Matrix(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "steps:", err)
		return 2
	}
	fresh, err := a.FreshInstall(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "steps:", err)
	}
	m.Write(stdout, stage, fresh)
	if all, _ := m.UnsafeAccepted(); len(all) > 0 || err != nil {
		return 1
	}
	return 0
}
