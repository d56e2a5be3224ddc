package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// refuse fails a deploy CloudFormation would refuse, before anything changes, with
// CloudFormation's message: an SSM-typed parameter naming a parameter that does not exist (the
// change set cannot be created), or a rollout guard whose conditions fail (it runs first, on a
// create or when its properties changed, and the update rolls back).
func (s *System) refuse(ctx context.Context, stack *cfn.Stack) error {
	t := stack.Template
	if missing := s.missingParameters(ctx, t); len(missing) > 0 {
		return fmt.Errorf("deploying %s: ValidationError: Unable to fetch parameters [%s] from parameter store for this account",
			stack.Name, strings.Join(missing, ","))
	}
	s.mu.Lock()
	prev := s.stacks[stack.Name]
	s.mu.Unlock()
	for _, g := range t.ResourcesOfType(design.GuardResourceType) {
		if prev != nil {
			if old, ok := prev.source.Template.Resources[g.LogicalID]; ok && old.Type == g.Type && sameJSON(old.Properties, g.Properties) {
				continue // CloudFormation calls a custom resource only when it changed
			}
		}
		conds, err := rolloutguard.Conditions(g.Properties)
		if err != nil {
			return fmt.Errorf("deploying %s: %s: %w", stack.Name, g.LogicalID, err)
		}
		var failure *rolloutguard.Failure
		if err := rolloutguard.Check(ctx, conds, rolloutguard.SSMLookup(s.aws.ssm)); errors.As(err, &failure) {
			return fmt.Errorf("deploying %s: %s (%s) failed: Received response status [FAILED] from custom resource. Message returned: %v; the stack was left as it was",
				stack.Name, g.LogicalID, g.Type, err)
		} else if err != nil {
			return fmt.Errorf("deploying %s: %s: %w", stack.Name, g.LogicalID, err)
		}
	}
	return nil
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
