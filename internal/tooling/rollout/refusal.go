package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// Refusal is why CloudFormation refuses a deploy before anything of the stack changes.
type Refusal struct {
	// By is "parameter" (an SSM-typed template parameter names a parameter that does not exist:
	// the change set cannot be created) or "guard" (the rollout guard's conditions fail, and the
	// update rolls back).
	By string
	// Parameter is the SSM parameter that refuses it; Resource the guard, for By "guard".
	Parameter, Resource string
	// Message is what CloudFormation says.
	Message string
}

// Refuses says whether CloudFormation refuses deploying next over prev (nil: the stack is new),
// reading SSM through lookup, as CloudFormation does: first every SSM-typed parameter, then each
// rollout guard that is created or whose properties changed (CloudFormation calls a custom
// resource only then). The conditions are read from the template; the guard's own code evaluates
// them. The local system asks it with its emulator's SSM, the rollout analysis with the
// parameters the other stack's template writes.
func Refuses(ctx context.Context, prev, next *cfn.Template, lookup rolloutguard.Lookup) (*Refusal, error) {
	sys, err := model.New(&cfn.Stack{Name: "next", Template: next})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, r := range sys.Stacks[0].Reads {
		if r.CDKBootstrap { // it exists in any bootstrapped account
			continue
		}
		if _, ok, err := lookup(ctx, r.Name); err != nil {
			return nil, fmt.Errorf("reading SSM parameter %s: %w", r.Name, err)
		} else if !ok {
			missing = append(missing, r.Name)
		}
	}
	if len(missing) > 0 {
		return &Refusal{By: "parameter", Parameter: missing[0],
			Message: fmt.Sprintf("Unable to fetch parameters [%s] from parameter store for this account.", strings.Join(missing, ","))}, nil
	}
	for _, g := range sys.Stacks[0].Guards {
		if prev != nil && !g.ChangedFrom(prev) {
			continue
		}
		err = rolloutguard.Check(ctx, g.Conditions, lookup)
		var failure *rolloutguard.Failure
		if errors.As(err, &failure) {
			return &Refusal{By: "guard", Parameter: failure.Condition.Parameter, Resource: g.LogicalID, Message: err.Error()}, nil
		} else if err != nil {
			return nil, err
		}
	}
	return nil, nil
}
