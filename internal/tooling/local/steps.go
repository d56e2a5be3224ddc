package local

import (
	"context"
	"fmt"
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// DeploySteps brings the system to the last of path as users reach it, through the documented
// order: the first step installed as a new account gets it (Install: from StepSubscriber on,
// through StepTopic, since the rollout requirements make those states impossible to create from
// nothing), then, for each later step, the stack that step changes. progress, if not nil, gets a
// line per step.
func (s *System) DeploySteps(ctx context.Context, steps *synth.Steps, path []design.Step, progress io.Writer) error {
	if len(path) == 0 {
		return fmt.Errorf("no step to deploy")
	}
	if err := s.Install(ctx, steps, path[0], progress); err != nil {
		return fmt.Errorf("deploying step %d locally: %w", path[0], err)
	}
	for _, step := range path[1:] {
		if progress != nil {
			fmt.Fprintf(progress, "step %d: %s\n", step, step.Summary())
		}
		if err := s.DeployStep(ctx, steps, step); err != nil {
			return err
		}
	}
	return nil
}

// DeployStep deploys the stacks step changes, with step's templates: one move of the refactor.
func (s *System) DeployStep(ctx context.Context, steps *synth.Steps, step design.Step) error {
	for _, kind := range step.Changes() {
		stack, err := steps.Stack(kind, step)
		if err != nil {
			return err
		}
		if err := s.Deploy(ctx, stack); err != nil {
			return fmt.Errorf("deploying step %d locally: %w", step, err)
		}
	}
	return nil
}
