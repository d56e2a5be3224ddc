package cfn

import "strings"

// Ref is the logical name a value refers to directly: {"Ref": X}, {"Fn::GetAtt": [X, attr]} or
// {"Fn::GetAtt": "X.attr"}. ok is false for anything else, a reference inside a larger value
// included (see References).
func Ref(v any) (name string, ok bool) {
	m, _ := v.(map[string]any)
	if len(m) != 1 {
		return "", false
	}
	if arg, found := m["Ref"]; found {
		name, ok = arg.(string)
		return name, ok
	}
	switch arg := m["Fn::GetAtt"].(type) {
	case string:
		name, _, _ = strings.Cut(arg, ".")
		return name, true
	case []any:
		if len(arg) > 0 {
			name, ok = arg[0].(string)
			return name, ok
		}
	}
	return "", false
}

// References lists the names that Ref, Fn::GetAtt and Fn::Sub (${X} and ${X.Attr}, parsed as
// CloudFormation does: ${!X} is a literal and the variables of its own map are not references)
// refer to anywhere inside v, in the order they occur, object keys in sorted order. Which of them
// are resources, parameters or pseudo-parameters is the caller's to decide.
func References(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if name, ok := Ref(v); ok {
				out = append(out, name)
				if att, ok := v["Fn::GetAtt"].([]any); ok {
					walk(att)
				}
				return
			}
			if arg, ok := v["Fn::Sub"]; ok && len(v) == 1 {
				body, vars := arg, map[string]any(nil)
				if list, ok := arg.([]any); ok && len(list) == 2 {
					body, _ = list[0].(string)
					vars, _ = list[1].(map[string]any)
					walk(list[1])
				}
				if s, ok := body.(string); ok {
					parts, _ := parseSub(s)
					for _, p := range parts {
						if _, local := vars[p.text]; p.isVar && !local {
							name, _, _ := strings.Cut(p.text, ".")
							out = append(out, name)
						}
					}
					return
				}
			}
			for _, k := range sortedKeys(v) {
				walk(v[k])
			}
		}
	}
	walk(v)
	return out
}
