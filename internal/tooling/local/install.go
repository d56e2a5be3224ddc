package local

import (
	"context"
	"fmt"
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Install creates both stacks at goal on an empty system the way a new account gets them:
// design.FreshInstall's moves, one stack at a time, each with its step's template.
func (s *System) Install(ctx context.Context, steps *synth.Steps, goal design.Step, progress io.Writer) error {
	moves := design.FreshInstall(goal)
	var templates []*cfn.Template
	for _, m := range moves {
		st, err := steps.Stack(m.Kind, m.Step)
		if err != nil {
			return fmt.Errorf("installing step %d: %w", goal, err)
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
		st, _ := steps.Stack(m.Kind, m.Step)
		if err := s.Deploy(ctx, st); err != nil {
			return fmt.Errorf("installing step %d (%s at step %d): %w", goal, m.Kind, m.Step, err)
		}
	}
	return nil
}
