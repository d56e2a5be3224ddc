package cfn

import "fmt"

// ConditionTrue evaluates the named entry of the Conditions section; Refs in it (usually to
// AWS::Region or a parameter) are resolved with r.
func (t *Template) ConditionTrue(name string, r *Resolver) (bool, error) {
	rr := *r
	rr.Template = t
	return rr.condition(name, nil)
}

// Included reports whether res is part of the stack: it has no Condition, or its Condition is
// true. A runner skips the resources for which it is false, as CloudFormation does.
func (t *Template) Included(res Resource, r *Resolver) (bool, error) {
	if res.Condition == "" {
		return true, nil
	}
	ok, err := t.ConditionTrue(res.Condition, r)
	if err != nil {
		return false, fmt.Errorf("Resources.%s.Condition: %w", res.LogicalID, err)
	}
	return ok, nil
}

// ResolveOutputs resolves the Value of every output whose Condition holds.
func (t *Template) ResolveOutputs(r *Resolver) (map[string]string, error) {
	rr := *r
	rr.Template = t
	out := make(map[string]string, len(t.Outputs))
	for _, id := range sortedKeys(t.Outputs) {
		o := t.Outputs[id]
		if o.Condition != "" {
			ok, err := rr.condition(o.Condition, nil)
			if err != nil {
				return nil, fmt.Errorf("Outputs.%s.Condition: %w", id, err)
			}
			if !ok {
				continue
			}
		}
		v, err := rr.str("Outputs."+id+".Value", o.Value)
		if err != nil {
			return nil, at("Outputs."+id+".Value", err)
		}
		out[id] = v
	}
	return out, nil
}

// param and resource look a name up in a template that may be nil (a Resolver without one).
func (t *Template) param(name string) (Parameter, bool) {
	if t == nil {
		return Parameter{}, false
	}
	p, ok := t.Parameters[name]
	return p, ok
}

func (t *Template) resource(name string) (Resource, bool) {
	if t == nil {
		return Resource{}, false
	}
	res, ok := t.Resources[name]
	return res, ok
}
