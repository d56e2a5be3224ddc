package cfn

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Order returns the logical IDs of all resources so that every resource comes after the
// resources it references (Ref, Fn::GetAtt, ${X} and ${X.Attr} in Fn::Sub, anywhere in its
// Properties, both branches of an Fn::If included) and after those it names in DependsOn.
// Among resources that are ready at the same time the order is by logical ID, so it is stable.
// Resources whose Condition is false are included; see Included.
func (t *Template) Order() ([]string, error) {
	deps := make(map[string][]string, len(t.Resources))       // id -> resources it needs
	dependents := make(map[string][]string, len(t.Resources)) // id -> resources that need it
	for id, r := range t.Resources {
		for _, d := range r.DependsOn {
			if _, ok := t.Resources[d]; !ok {
				return nil, fmt.Errorf("Resources.%s.DependsOn: unknown resource %q", id, d)
			}
		}
		// References to parameters, pseudo-parameters or unknown names add no edge; Resolve
		// reports the unknown ones with the path where they occur.
		seen := map[string]bool{}
		for _, name := range append(references(r.Properties), r.DependsOn...) {
			if _, ok := t.Resources[name]; ok && !seen[name] {
				seen[name] = true
				deps[id] = append(deps[id], name)
				dependents[name] = append(dependents[name], id)
			}
		}
	}

	waiting := make(map[string]int, len(t.Resources))
	var ready []string
	for id := range t.Resources {
		waiting[id] = len(deps[id])
		if waiting[id] == 0 {
			ready = append(ready, id)
		}
	}
	sort.Strings(ready)

	order := make([]string, 0, len(t.Resources))
	for len(ready) > 0 {
		id := ready[0]
		ready = ready[1:]
		order = append(order, id)
		for _, d := range dependents[id] {
			waiting[d]--
			if waiting[d] == 0 {
				i, _ := slices.BinarySearch(ready, d)
				ready = slices.Insert(ready, i, d)
			}
		}
	}
	if len(order) < len(t.Resources) {
		return nil, fmt.Errorf("dependency cycle: %s", strings.Join(findCycle(deps, waiting), " -> "))
	}
	return order, nil
}

// findCycle walks from the smallest resource still waiting, always to its smallest dependency
// that is still waiting. Every waiting resource has one, so the walk must come back to a resource
// it has visited; the loop from there is the cycle.
func findCycle(deps map[string][]string, waiting map[string]int) []string {
	var stuck []string
	for id, n := range waiting {
		if n > 0 {
			stuck = append(stuck, id)
		}
	}
	sort.Strings(stuck)
	visited := map[string]int{}
	var path []string
	for id := stuck[0]; ; {
		if i, ok := visited[id]; ok {
			return append(path[i:], id)
		}
		visited[id] = len(path)
		path = append(path, id)
		next := ""
		for _, d := range deps[id] {
			if waiting[d] > 0 && (next == "" || d < next) {
				next = d
			}
		}
		id = next
	}
}

// references lists the names that Ref, Fn::GetAtt and Fn::Sub refer to inside v, in the order
// they occur; the caller decides which of them are resources.
func references(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if len(v) == 1 {
				if arg, ok := v["Ref"]; ok {
					if name, ok := arg.(string); ok {
						out = append(out, name)
						return
					}
				}
				if arg, ok := v["Fn::GetAtt"]; ok {
					switch arg := arg.(type) {
					case string:
						name, _, _ := strings.Cut(arg, ".")
						out = append(out, name)
						return
					case []any:
						if len(arg) > 0 {
							if name, ok := arg[0].(string); ok {
								out = append(out, name)
							}
						}
						walk(arg)
						return
					}
				}
				if arg, ok := v["Fn::Sub"]; ok {
					body, vars := arg, map[string]any(nil)
					if list, ok := arg.([]any); ok && len(list) == 2 {
						body, _ = list[0].(string)
						vars, _ = list[1].(map[string]any)
						walk(list[1])
					}
					if s, ok := body.(string); ok {
						parts, _ := parseSub(s)
						for _, p := range parts {
							if !p.isVar {
								continue
							}
							if _, local := vars[p.text]; local {
								continue
							}
							name, _, _ := strings.Cut(p.text, ".")
							out = append(out, name)
						}
						return
					}
				}
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(v[k])
			}
		}
	}
	walk(v)
	return out
}
