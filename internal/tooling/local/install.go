package local

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Install creates both stacks at goal on an empty system the way a new account gets them:
// design.FreshInstall's moves, one stack at a time, each with its step's template.
func (s *System) Install(ctx context.Context, stage string, goal design.Step, assemblies map[design.Step]*cfn.Assembly, progress io.Writer) error {
	moves := design.FreshInstall(goal)
	var templates []*cfn.Template
	for _, m := range moves {
		st, err := stackOf(assemblies, stage, m)
		if err != nil {
			return err
		}
		templates = append(templates, st.Template)
	}
	if err := s.buildFunctions(ctx, templates...); err != nil {
		return err
	}
	for _, m := range moves {
		if progress != nil && len(moves) > 2 {
			fmt.Fprintf(progress, "installing: %s at step %d\n", m.Kind, m.Step)
		}
		st, _ := stackOf(assemblies, stage, m)
		if err := s.Deploy(ctx, st); err != nil {
			return fmt.Errorf("installing step %d (%s at step %d): %w", goal, m.Kind, m.Step, err)
		}
	}
	return nil
}

func stackOf(assemblies map[design.Step]*cfn.Assembly, stage string, m design.Move) (*cfn.Stack, error) {
	asm := assemblies[m.Step]
	if asm == nil {
		return nil, fmt.Errorf("installing needs the templates of step %d (%s at step %d), which were not synthesized", m.Step, m.Kind, m.Step)
	}
	st := asm.Stacks[design.StackName(m.Kind, stage)]
	if st == nil {
		return nil, fmt.Errorf("step %d has no stack %s", m.Step, design.StackName(m.Kind, stage))
	}
	return st, nil
}

// StepsNeeded are the steps whose templates DeploySteps(steps) reads: the fresh install of the
// first step, then each step.
func StepsNeeded(steps []design.Step) []design.Step {
	var out []design.Step
	if len(steps) > 0 {
		for _, m := range design.FreshInstall(steps[0]) {
			if !slices.Contains(out, m.Step) {
				out = append(out, m.Step)
			}
		}
	}
	for _, s := range steps {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// SynthesizeFor adds to assemblies the templates of every step DeploySteps(steps) reads that it
// lacks, from the synth cache (synthesizing those not cached yet).
func SynthesizeFor(ctx context.Context, root, stage string, steps []design.Step, assemblies map[design.Step]*cfn.Assembly, log io.Writer) error {
	for _, s := range StepsNeeded(steps) {
		if assemblies[s] != nil {
			continue
		}
		n := int(s)
		dir, err := synth.Cached(ctx, synth.Options{Root: root, Stage: stage, Step: &n, Log: log})
		if err == nil {
			assemblies[s], err = cfn.LoadAssembly(dir)
		}
		if err != nil {
			return fmt.Errorf("synthesizing step %d: %w", s, err)
		}
	}
	return nil
}
