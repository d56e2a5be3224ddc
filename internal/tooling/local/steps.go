package local

import (
	"context"
	"fmt"
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// DeploySteps brings the system to the last of steps as users reach it, through the documented
// order: the first step installed as a new account gets it (Install: from StepSubscriber on, through
// StepTopic, since the rollout requirements make those states impossible to create from nothing),
// then, for each later step, the stack that step changes. assemblies must hold StepsNeeded(steps).
// progress, if not nil, gets a line per step.
func (s *System) DeploySteps(ctx context.Context, stage string, steps []design.Step, assemblies map[design.Step]*cfn.Assembly, progress io.Writer) error {
	if len(steps) == 0 {
		return fmt.Errorf("no step to deploy")
	}
	if err := s.Install(ctx, stage, steps[0], assemblies, progress); err != nil {
		return fmt.Errorf("deploying step %d locally: %w", steps[0], err)
	}
	for _, step := range steps[1:] {
		if progress != nil {
			fmt.Fprintf(progress, "step %d: %s\n", step, step.Summary())
		}
		for _, kind := range step.Changes() {
			name := design.StackName(kind, stage)
			var stack *cfn.Stack
			if asm := assemblies[step]; asm != nil {
				stack = asm.Stacks[name]
			}
			if stack == nil {
				return fmt.Errorf("step %d has no stack %s", step, name)
			}
			if err := s.Deploy(ctx, stack); err != nil {
				return fmt.Errorf("deploying step %d locally: %w", step, err)
			}
		}
	}
	return nil
}
