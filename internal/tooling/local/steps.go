package local

import (
	"context"
	"fmt"
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Deploy creates or updates one stack as CloudFormation would (deploy.Engine.Deploy: one
// operation at a time per stack, what CloudFormation refuses refused, a failed update rolled
// back); the fronts and the state file then follow the stacks (stacksChanged). Every deploy of the local system
// comes here: Install, DeployStep, the admin endpoint (`rollout --local`, `local-deploy`) and
// the console's next step.
func (s *System) Deploy(ctx context.Context, stack *cfn.Stack) error {
	return s.engine.Deploy(ctx, stack)
}

// stacksChanged follows the stacks after each operation of the deploy engine (a deploy, its
// rollback, a continued rollback, a delete): points the fronts at the APIs that play their roles
// now, and rewrites the state file.
func (s *System) stacksChanged() {
	s.published.Lock()
	defer s.published.Unlock()
	sys, err := s.engine.Model()
	if err == nil {
		s.gateway.SetRoles(roleAPIs(sys, s.engine.Stacks()))
		err = s.writeState()
	}
	if err != nil {
		fmt.Fprintf(s.opts.Log, "local: after the stacks changed: %v\n", err)
	}
}

// Install creates both stacks at goal on an empty system the way a new account gets them:
// design.FreshInstall's moves, one stack at a time, each with its step's template.
func (s *System) Install(ctx context.Context, steps *synth.Steps, goal design.Step, progress io.Writer) error {
	moves := design.FreshInstall(goal)
	var stacks []*cfn.Stack
	var templates []*cfn.Template
	for _, m := range moves {
		st, err := steps.Stack(m.Kind, m.Step)
		if err != nil {
			return fmt.Errorf("installing step %d: %w", goal, err)
		}
		stacks, templates = append(stacks, st), append(templates, st.Template)
	}
	if err := s.engine.Build(ctx, templates...); err != nil {
		return err
	}
	for i, m := range moves {
		if progress != nil && len(moves) > 2 {
			fmt.Fprintf(progress, "installing: %s at step %d\n", m.Kind, m.Step)
		}
		if err := s.Deploy(ctx, stacks[i]); err != nil {
			return fmt.Errorf("installing step %d (%s at step %d): %w", goal, m.Kind, m.Step, err)
		}
	}
	return nil
}

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
