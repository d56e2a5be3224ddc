package cfn

import "strings"

// Resolver replaces intrinsic functions with the values a local run produced. It never changes
// the template: every result is a fresh copy.
type Resolver struct {
	Region    string
	AccountID string
	Partition string // "aws" when empty
	URLSuffix string // "amazonaws.com" when empty
	StackName string
	StackID   string
	// Params holds the resolved parameter values (see ResolveParameters).
	Params map[string]string
	// Physical is logical ID -> what Ref returns for that resource (a queue URL, a function name...).
	Physical map[string]string
	// Attrs is logical ID -> attribute -> what Fn::GetAtt returns (e.g. "Arn").
	Attrs map[string]map[string]string
	// Template provides Conditions (Fn::If), Mappings (Fn::FindInMap), parameter types (a Ref to
	// a list parameter is a list) and better messages. Resolve works without it as long as the
	// value needs none of these.
	Template *Template
}

// noValue is what Ref AWS::NoValue resolves to until the enclosing object or list drops it.
type noValue struct{}

// Resolve returns v with every intrinsic function replaced by its value: plain JSON values
// (map[string]any, []any, string, float64, bool, nil). It knows Ref (resources, parameters,
// pseudo-parameters), Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If,
// Fn::Base64, Fn::GetAZs (three zones, "<region>a" to "<region>c") and Fn::FindInMap;
// Fn::ImportValue, Fn::Cidr and the like are errors. A key or list element whose value is
// Ref AWS::NoValue is removed; if v itself is one, Resolve returns nil. Errors say where in v
// they occurred.
func (r *Resolver) Resolve(v any) (any, error) {
	out, err := r.walk("", v)
	if _, ok := out.(noValue); ok {
		return nil, err
	}
	return out, err
}

// ResolveProperties resolves a resource's Properties; errors carry the path from "Resources.<ID>".
func (r *Resolver) ResolveProperties(res Resource) (map[string]any, error) {
	out, err := r.walk("Resources."+res.LogicalID+".Properties", res.Properties)
	if err != nil {
		return nil, err
	}
	props, _ := out.(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	return props, nil
}

func (r *Resolver) walk(path string, v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if fn, arg, ok := intrinsic(v); ok {
			out, err := r.call(fn, arg)
			if err != nil {
				return nil, at(path, err)
			}
			return out, nil
		}
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			e, err := r.walk(child(path, k), v[k])
			if err != nil {
				return nil, err
			}
			if _, drop := e.(noValue); !drop {
				out[k] = e
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, e := range v {
			e, err := r.walk(index(path, i), e)
			if err != nil {
				return nil, err
			}
			if _, drop := e.(noValue); !drop {
				out = append(out, e)
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

// intrinsic reports whether m is a function call: a single key that is "Ref" or starts "Fn::".
// ({"Condition": name} is a call only inside conditions; elsewhere it may be data.)
func intrinsic(m map[string]any) (fn string, arg any, ok bool) {
	if len(m) != 1 {
		return "", nil, false
	}
	for k, v := range m {
		fn, arg = k, v
	}
	return fn, arg, fn == "Ref" || strings.HasPrefix(fn, "Fn::")
}
