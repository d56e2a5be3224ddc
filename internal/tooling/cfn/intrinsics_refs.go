package cfn

import (
	"cmp"
	"fmt"
	"strings"
)

// referenceFunctions name resources, parameters and pseudo-parameters.
var referenceFunctions = map[string]intrinsicFunc{
	"Ref":        fnRef,
	"Fn::GetAtt": fnGetAtt,
}

func fnRef(r *Resolver, arg any) (any, error) {
	name, ok := arg.(string)
	if !ok {
		return nil, fmt.Errorf("Ref: want a logical ID, got %s", describe(arg))
	}
	return r.ref(name)
}

func fnGetAtt(r *Resolver, arg any) (any, error) {
	var name, attr string
	switch a := arg.(type) {
	case string:
		var ok bool
		if name, attr, ok = strings.Cut(a, "."); !ok {
			return nil, fmt.Errorf("Fn::GetAtt: want \"LogicalID.Attribute\", got %q", a)
		}
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt: want [LogicalID, Attribute], got %d elements", len(a))
		}
		var ok bool
		if name, ok = a[0].(string); !ok {
			return nil, fmt.Errorf("Fn::GetAtt: want a logical ID, got %s", describe(a[0]))
		}
		var err error
		if attr, err = r.str(untracked, a[1]); err != nil {
			return nil, fmt.Errorf("Fn::GetAtt attribute: %w", err)
		}
	default:
		return nil, fmt.Errorf("Fn::GetAtt: want [LogicalID, Attribute], got %s", describe(arg))
	}
	return r.getAtt(name, attr)
}

func (r *Resolver) ref(name string) (any, error) {
	if strings.HasPrefix(name, "AWS::") {
		return r.pseudo(name)
	}
	if v, ok := r.Params[name]; ok {
		if p, ok := r.Template.param(name); ok && isListType(p.Type) {
			var out []any
			for _, e := range strings.Split(v, ",") {
				out = append(out, e)
			}
			return out, nil
		}
		return v, nil
	}
	if v, ok := r.Physical[name]; ok {
		return v, nil
	}
	if _, ok := r.Template.param(name); ok {
		return nil, fmt.Errorf("Ref to parameter %q, which has no value", name)
	}
	if res, ok := r.Template.resource(name); ok {
		return nil, fmt.Errorf("Ref to resource %q (%s), which has not been created", name, res.Type)
	}
	return nil, fmt.Errorf("Ref to unknown resource %q", name)
}

func (r *Resolver) pseudo(name string) (any, error) {
	need := func(v, field string) (any, error) {
		if v == "" {
			return nil, fmt.Errorf("Ref to %s, but the resolver has no %s", name, field)
		}
		return v, nil
	}
	switch name {
	case "AWS::Region":
		return need(r.Region, "Region")
	case "AWS::AccountId":
		return need(r.AccountID, "AccountID")
	case "AWS::StackName":
		return need(r.StackName, "StackName")
	case "AWS::StackId":
		return need(r.StackID, "StackID")
	case "AWS::Partition":
		return cmp.Or(r.Partition, "aws"), nil
	case "AWS::URLSuffix":
		return cmp.Or(r.URLSuffix, "amazonaws.com"), nil
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	default:
		return nil, fmt.Errorf("Ref to unknown pseudo parameter %q", name)
	}
}

func (r *Resolver) getAtt(name, attr string) (any, error) {
	if attrs, ok := r.Attrs[name]; ok {
		if v, ok := attrs[attr]; ok {
			return v, nil
		}
		known := sortedKeys(attrs)
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: resource %q has no attribute %q (it has %s)",
			name, attr, name, attr, strings.Join(known, ", "))
	}
	if res, ok := r.Template.resource(name); ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: resource %q (%s) has not been created", name, attr, name, res.Type)
	}
	if _, ok := r.Physical[name]; ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: resource %q has no attributes recorded", name, attr, name)
	}
	return nil, fmt.Errorf("Fn::GetAtt to unknown resource %q", name)
}

// isListType reports whether a parameter of this type is a list when referenced.
func isListType(typ string) bool {
	typ = strings.TrimSuffix(strings.TrimPrefix(typ, ssmTypePrefix), ">")
	return typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<")
}
