package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
)

// refuse fails a deploy CloudFormation would refuse, before anything changes, with
// CloudFormation's message: an SSM-typed parameter naming a parameter that does not exist (the
// change set cannot be created), or a rollout guard whose conditions fail (it runs first, on a
// create or when its properties changed, and the update rolls back).
func (e *Engine) refuse(ctx context.Context, stack *cfn.Stack) error {
	e.mu.Lock()
	prev := e.stacks[stack.Name]
	e.mu.Unlock()
	var prevTemplate *cfn.Template
	if prev != nil {
		prevTemplate = prev.Source.Template
	}
	r, err := rollout.Refuses(ctx, prevTemplate, stack.Template, rolloutguard.SSMLookup(e.AWS.SSM))
	switch {
	case err != nil:
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	case r == nil:
		return nil
	case r.By == "parameter":
		return fmt.Errorf("deploying %s: ValidationError: %s", stack.Name, strings.TrimSuffix(r.Message, "."))
	default:
		return fmt.Errorf("deploying %s: %s (%s) failed: Received response status [FAILED] from custom resource. Message returned: %s; the stack was left as it was",
			stack.Name, r.Resource, design.GuardResourceType, r.Message)
	}
}
