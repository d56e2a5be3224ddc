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
		for _, name := range append(References(r.Properties), r.DependsOn...) {
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
