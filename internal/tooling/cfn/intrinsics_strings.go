package cfn

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// stringFunctions build, split and pick strings and lists.
var stringFunctions = map[string]intrinsicFunc{
	"Fn::Join":   fnJoin,
	"Fn::Sub":    fnSub,
	"Fn::Split":  fnSplit,
	"Fn::Select": fnSelect,
	"Fn::Base64": fnBase64,
}

func fnJoin(r *Resolver, arg any) (any, error) {
	a, err := args("Fn::Join", arg, 2)
	if err != nil {
		return nil, err
	}
	delim, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::Join: want a delimiter string, got %s", describe(a[0]))
	}
	list, err := r.list(untracked, a[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Join: %w", err)
	}
	parts := make([]string, len(list))
	for i, e := range list {
		if parts[i], err = scalarString(e); err != nil {
			return nil, fmt.Errorf("Fn::Join element %d: %w", i, err)
		}
	}
	return strings.Join(parts, delim), nil
}

func fnSelect(r *Resolver, arg any) (any, error) {
	a, err := args("Fn::Select", arg, 2)
	if err != nil {
		return nil, err
	}
	is, err := r.str(untracked, a[0])
	if err != nil {
		return nil, fmt.Errorf("Fn::Select index: %w", err)
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: index %q is not a whole number", is)
	}
	list, err := r.list(untracked, a[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: %w", err)
	}
	if i < 0 || i >= len(list) {
		return nil, fmt.Errorf("Fn::Select: index %d is outside a list of %d", i, len(list))
	}
	return list[i], nil
}

func fnSplit(r *Resolver, arg any) (any, error) {
	a, err := args("Fn::Split", arg, 2)
	if err != nil {
		return nil, err
	}
	delim, ok := a[0].(string)
	if !ok || delim == "" {
		return nil, fmt.Errorf("Fn::Split: want a non-empty delimiter string, got %s", describe(a[0]))
	}
	s, err := r.str(untracked, a[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Split: %w", err)
	}
	var out []any
	for _, p := range strings.Split(s, delim) {
		out = append(out, p)
	}
	return out, nil
}

func fnBase64(r *Resolver, arg any) (any, error) {
	s, err := r.str(untracked, arg)
	if err != nil {
		return nil, fmt.Errorf("Fn::Base64: %w", err)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnSub(r *Resolver, arg any) (any, error) {
	body, ok := arg.(string)
	vars := map[string]string{}
	if !ok {
		a, err := args("Fn::Sub", arg, 2)
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub: want a string or [string, {variables}], got %s", describe(arg))
		}
		if body, ok = a[0].(string); !ok {
			return nil, fmt.Errorf("Fn::Sub: want a string to substitute into, got %s", describe(a[0]))
		}
		m, ok := a[1].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub: want a map of variables, got %s", describe(a[1]))
		}
		for _, k := range sortedKeys(m) {
			v, err := r.str(untracked, m[k])
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = v
		}
	}
	parts, err := parseSub(body)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, p := range parts {
		if !p.isVar {
			b.WriteString(p.text)
			continue
		}
		if v, ok := vars[p.text]; ok {
			b.WriteString(v)
			continue
		}
		var v any
		if name, attr, dotted := strings.Cut(p.text, "."); dotted {
			v, err = r.getAtt(name, attr)
		} else {
			v, err = r.ref(name)
		}
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", p.text, err)
		}
		s, err := scalarString(v)
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", p.text, err)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

type subPart struct {
	text  string
	isVar bool
}

// parseSub splits an Fn::Sub string into literal text and ${Name} / ${Name.Attr} variables;
// ${!Literal} stands for the text "${Literal}".
func parseSub(s string) ([]subPart, error) {
	var parts []subPart
	var lit strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit.WriteString(s)
			break
		}
		lit.WriteString(s[:i])
		s = s[i+2:]
		if strings.HasPrefix(s, "!") {
			lit.WriteString("${")
			s = s[1:]
			continue
		}
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return nil, fmt.Errorf("Fn::Sub: unterminated \"${\" before %q", s)
		}
		if lit.Len() > 0 {
			parts = append(parts, subPart{text: lit.String()})
			lit.Reset()
		}
		parts = append(parts, subPart{text: strings.TrimSpace(s[:j]), isVar: true})
		s = s[j+1:]
	}
	if lit.Len() > 0 {
		parts = append(parts, subPart{text: lit.String()})
	}
	return parts, nil
}
