// Package rolloutguard is the deploy-time check of a stack's rollout guard: the conditions a
// stack state declares on the other stack's SSM parameters, evaluated before anything else of the
// stack changes. The Lambda behind Custom::RolloutGuard, the rollout analysis and the local system
// all evaluate them here.
package rolloutguard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// Condition is one requirement on an SSM parameter: its value is one of AllowedValues, where ""
// stands for "the parameter does not exist".
type Condition struct {
	Parameter     string
	AllowedValues []string
	// Reason says what the condition protects and what to deploy first.
	Reason string
}

// Conditions reads the conditions from a guard's properties (as the template declares them, or
// as CloudFormation passes them to the function).
func Conditions(props map[string]any) ([]Condition, error) {
	raw, ok := props[design.GuardConditionsProperty]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is %T, want a list", design.GuardConditionsProperty, raw)
	}
	var out []Condition
	for i, item := range list {
		m, _ := item.(map[string]any)
		c := Condition{}
		c.Parameter, _ = m["Parameter"].(string)
		c.Reason, _ = m["Reason"].(string)
		values, _ := m["AllowedValues"].([]any)
		for _, v := range values {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("condition %d: allowed value %v is not a string", i, v)
			}
			c.AllowedValues = append(c.AllowedValues, s)
		}
		if c.Parameter == "" || len(c.AllowedValues) == 0 {
			return nil, fmt.Errorf("condition %d names no parameter or allows no value: %v", i, item)
		}
		out = append(out, c)
	}
	return out, nil
}

// Lookup reads an SSM parameter: found is false when it does not exist.
type Lookup func(ctx context.Context, name string) (value string, found bool, err error)

// Failure is a condition that does not hold.
type Failure struct {
	Condition Condition
	// Value is the parameter's value, "" when it does not exist.
	Value string
}

func (f *Failure) Error() string {
	have := fmt.Sprintf("is %q", f.Value)
	if f.Value == "" {
		have = "does not exist"
	}
	var allowed []string
	for _, v := range f.Condition.AllowedValues {
		if v == "" {
			v = "absent"
		} else {
			v = fmt.Sprintf("%q", v)
		}
		allowed = append(allowed, v)
	}
	msg := fmt.Sprintf("rollout guard: SSM parameter %s %s; this stack state requires it to be %s",
		f.Condition.Parameter, have, strings.Join(allowed, " or "))
	if f.Condition.Reason != "" {
		msg += ": " + f.Condition.Reason
	}
	return msg
}

// Check evaluates the conditions in order and returns the first that fails as a *Failure.
func Check(ctx context.Context, conds []Condition, lookup Lookup) error {
	for _, c := range conds {
		v, found, err := lookup(ctx, c.Parameter)
		if err != nil {
			return fmt.Errorf("rollout guard: reading SSM parameter %s: %w", c.Parameter, err)
		}
		if !found {
			v = ""
		}
		if !slices.Contains(c.AllowedValues, v) {
			return &Failure{Condition: c, Value: v}
		}
	}
	return nil
}

// ParameterGetter is the one SSM call the guard makes.
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SSMLookup reads parameters through SSM; ParameterNotFound is "absent".
func SSMLookup(client ParameterGetter) Lookup {
	return func(ctx context.Context, name string) (string, bool, error) {
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var notFound *ssmtypes.ParameterNotFound
		switch {
		case errors.As(err, &notFound):
			return "", false, nil
		case err != nil:
			return "", false, err
		}
		return aws.ToString(out.Parameter.Value), true, nil
	}
}

// PhysicalID is the guard's one physical ID, kept across updates so that CloudFormation never
// replaces (and deletes) it.
const PhysicalID = "rollout-guard"

// Handler answers CloudFormation's requests for Custom::RolloutGuard.
type Handler struct {
	Lookup Lookup
}

// Handle checks the conditions on Create and Update; a failure fails the deploy, and since
// every other resource of the stack depends on the guard, nothing else has changed yet. Delete
// always succeeds: a stack being deleted, or a failed create rolling back, must not be held.
func (h *Handler) Handle(ctx context.Context, event cfn.Event) (string, map[string]any, error) {
	if event.RequestType == cfn.RequestDelete {
		return PhysicalID, nil, nil
	}
	conds, err := Conditions(event.ResourceProperties)
	if err != nil {
		return PhysicalID, nil, fmt.Errorf("rollout guard: %w", err)
	}
	if err := Check(ctx, conds, h.Lookup); err != nil {
		return PhysicalID, nil, err
	}
	return PhysicalID, map[string]any{"Checked": len(conds)}, nil
}
