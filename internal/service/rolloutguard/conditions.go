// Package rolloutguard is the deploy-time check of a stack's rollout guard: the conditions a
// stack state declares on the other stack (its SSM parameters, and whether it is being updated),
// evaluated before anything else of the stack changes, and the answer to CloudFormation that
// never wedges the stack. The Lambda behind Custom::RolloutGuard, the rollout analysis and the
// local system all read the conditions here.
package rolloutguard

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// Condition is one requirement on an SSM parameter: its value is one of AllowedValues, where ""
// stands for "the parameter does not exist".
type Condition struct {
	Parameter     string
	AllowedValues []string
	// HeldFor, when set, also requires that every value the parameter held over the last
	// HeldFor was allowed (read from its history): the time in-flight work of a value the
	// condition no longer allows takes to drain.
	HeldFor time.Duration
	// Reason says what the condition protects and what to deploy first.
	Reason string
}

// Allows reports whether value ("" for absent) is allowed.
func (c Condition) Allows(value string) bool { return slices.Contains(c.AllowedValues, value) }

// Conditions reads the conditions from a guard's properties (as the template declares them, or
// as CloudFormation passes them to the function: every scalar a string).
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
		if raw, ok := m[design.GuardHeldForProperty]; ok {
			seconds, err := number(raw)
			if err != nil || seconds < 0 {
				return nil, fmt.Errorf("condition %d: %s %v is not a number of seconds", i, design.GuardHeldForProperty, raw)
			}
			c.HeldFor = time.Duration(seconds * float64(time.Second))
		}
		out = append(out, c)
	}
	return out, nil
}

// Requirements reads the SSM parameters a guard's stack state requires to exist, by name, with
// the value CloudFormation resolved for each when it made the change set (its SSM-typed template
// parameters, which the guard's Requires property refers to). nil when there are none.
func Requirements(props map[string]any) map[string]any {
	m, _ := props[design.GuardRequiresProperty].(map[string]any)
	return m
}

// OtherStack is the stack a guard refuses to run beside: its stack state must not be deployed
// while that stack is being updated. "" when the guard names none.
func OtherStack(props map[string]any) string {
	s, _ := props[design.GuardOtherStackProperty].(string)
	return s
}

// number is a property's number: CloudFormation passes a custom resource's numbers as strings.
func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("%T is not a number", v)
}

// Lookup reads an SSM parameter: found is false when it does not exist.
type Lookup func(ctx context.Context, name string) (value string, found bool, err error)

// Failure is a condition that does not hold.
type Failure struct {
	Condition Condition
	// Value is the parameter's value, "" when it does not exist; for a HeldFor condition, the
	// value it held until Until, which is not allowed.
	Value string
	// Until is when the parameter stopped holding Value (HeldFor conditions only), and Wait how
	// long after the check the condition will hold, if nothing changes the parameter meanwhile.
	Until time.Time
	Wait  time.Duration
}

// Allowed says the allowed values for people: `"http" or absent`.
func (c Condition) Allowed() string {
	allowed := make([]string, 0, len(c.AllowedValues))
	for _, v := range c.AllowedValues {
		if v == "" {
			v = "absent"
		} else {
			v = fmt.Sprintf("%q", v)
		}
		allowed = append(allowed, v)
	}
	return strings.Join(allowed, " or ")
}

func (f *Failure) Error() string {
	var msg string
	if f.Until.IsZero() {
		have := fmt.Sprintf("is %q", f.Value)
		if f.Value == "" {
			have = "does not exist"
		}
		msg = fmt.Sprintf("rollout guard: SSM parameter %s %s; this stack state requires it to be %s",
			f.Condition.Parameter, have, f.Condition.Allowed())
	} else {
		msg = fmt.Sprintf("rollout guard: SSM parameter %s was %q until %s; this stack state requires it to have been %s for %s, so that what it sent before has drained (deploy again in %s)",
			f.Condition.Parameter, f.Value, f.Until.UTC().Format(time.RFC3339), f.Condition.Allowed(), f.Condition.HeldFor, roundWait(f.Wait))
	}
	if f.Condition.Reason != "" {
		msg += ": " + f.Condition.Reason
	}
	return msg
}

// Check evaluates the conditions' values in order and returns the first that fails as a
// *Failure. It does not read history: HeldFor is Held's.
func Check(ctx context.Context, conds []Condition, lookup Lookup) error {
	for _, c := range conds {
		v, found, err := lookup(ctx, c.Parameter)
		if err != nil {
			return fmt.Errorf("rollout guard: reading SSM parameter %s: %w", c.Parameter, err)
		}
		if !found {
			v = ""
		}
		if !c.Allows(v) {
			return &Failure{Condition: c, Value: v}
		}
	}
	return nil
}

// roundWait rounds a wait to seconds, or to tenths of a second under ten seconds (a local system
// whose AWS durations pass faster).
func roundWait(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
