package stepdiff

import (
	"context"
	"fmt"
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/refactor"
	"github.com/wildrydes/wild-rydes-cdk/internal/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/synth"
)

// Analysis synthesizes (or reuses the cached assemblies of) every step and analyses them.
func Analysis(ctx context.Context, root, stage string, log io.Writer) (*rollout.Analysis, error) {
	asms := map[refactor.Step]*cfn.Assembly{}
	for _, s := range refactor.Steps() {
		n := int(s)
		dir, err := synth.Cached(ctx, synth.Options{Root: root, Stage: stage, Step: &n, Log: log})
		if err != nil {
			return nil, err
		}
		if asms[s], err = cfn.LoadAssembly(dir); err != nil {
			return nil, err
		}
	}
	return rollout.New(rollout.FromAssemblies(asms, stage)), nil
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
