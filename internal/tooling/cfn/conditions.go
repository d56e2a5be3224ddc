package cfn

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// conditionalFunctions choose a value by a condition of the Conditions section.
var conditionalFunctions = map[string]intrinsicFunc{
	"Fn::If": fnIf,
}

func fnIf(r *Resolver, arg any) (any, error) {
	a, err := args("Fn::If", arg, 3)
	if err != nil {
		return nil, err
	}
	name, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::If: want a condition name, got %s", describe(a[0]))
	}
	if r.Template == nil {
		return nil, fmt.Errorf("Fn::If: the resolver has no Template to evaluate condition %q", name)
	}
	yes, err := r.condition(name, nil)
	if err != nil {
		return nil, fmt.Errorf("Fn::If: %w", err)
	}
	// Only the chosen branch is resolved: the other may name a resource that was not created.
	if yes {
		return r.walk(untracked, a[1])
	}
	return r.walk(untracked, a[2])
}

// condition evaluates the named entry of the Conditions section; visiting is the chain of
// conditions that led here, to catch a cycle.
func (r *Resolver) condition(name string, visiting []string) (bool, error) {
	if slices.Contains(visiting, name) {
		return false, fmt.Errorf("condition cycle: %s -> %s", strings.Join(visiting, " -> "), name)
	}
	def, ok := r.Template.Conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %q", name)
	}
	yes, err := r.evalCondition(def, append(visiting, name))
	if err != nil {
		return false, at("Conditions."+name, err)
	}
	return yes, nil
}

func (r *Resolver) evalCondition(v any, visiting []string) (bool, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("want a condition function, got %s", describe(v))
	}
	var fn string
	var arg any
	for k, v := range m {
		fn, arg = k, v
	}
	switch fn {
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return false, fmt.Errorf("Condition: want a condition name, got %s", describe(arg))
		}
		return r.condition(name, visiting)
	case "Fn::Equals":
		a, err := args(fn, arg, 2)
		if err != nil {
			return false, err
		}
		x, err := r.walk(untracked, a[0])
		if err != nil {
			return false, fmt.Errorf("Fn::Equals: %w", err)
		}
		y, err := r.walk(untracked, a[1])
		if err != nil {
			return false, fmt.Errorf("Fn::Equals: %w", err)
		}
		xs, xerr := scalarString(x)
		ys, yerr := scalarString(y)
		if xerr == nil && yerr == nil {
			return xs == ys, nil
		}
		return reflect.DeepEqual(x, y), nil
	case "Fn::Not":
		a, err := args(fn, arg, 1)
		if err != nil {
			return false, err
		}
		yes, err := r.evalCondition(a[0], visiting)
		return !yes, err
	case "Fn::And", "Fn::Or":
		a, ok := arg.([]any)
		if !ok || len(a) == 0 {
			return false, fmt.Errorf("%s: want a list of conditions, got %s", fn, describe(arg))
		}
		// Evaluate every operand, as CloudFormation validates them all, then combine.
		all, some := true, false
		for _, c := range a {
			yes, err := r.evalCondition(c, visiting)
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			all, some = all && yes, some || yes
		}
		if fn == "Fn::And" {
			return all, nil
		}
		return some, nil
	default:
		return false, fmt.Errorf("%s is not a condition function", fn)
	}
}
