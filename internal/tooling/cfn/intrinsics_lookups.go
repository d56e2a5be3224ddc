package cfn

import (
	"errors"
	"fmt"
)

// lookupFunctions read values the template or the region holds.
var lookupFunctions = map[string]intrinsicFunc{
	"Fn::FindInMap": fnFindInMap,
	"Fn::GetAZs":    fnGetAZs,
}

func fnFindInMap(r *Resolver, arg any) (any, error) {
	a, err := args("Fn::FindInMap", arg, 3)
	if err != nil {
		return nil, err
	}
	var keys [3]string
	for i := range keys {
		if keys[i], err = r.str(untracked, a[i]); err != nil {
			return nil, fmt.Errorf("Fn::FindInMap: %w", err)
		}
	}
	if r.Template == nil {
		return nil, errors.New("Fn::FindInMap: the resolver has no Template to read Mappings from")
	}
	v, ok := r.Template.Mappings[keys[0]][keys[1]][keys[2]]
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: no Mappings.%s.%s.%s", keys[0], keys[1], keys[2])
	}
	return r.walk(untracked, v)
}

// fnGetAZs gives three zones, "<region>a" to "<region>c".
func fnGetAZs(r *Resolver, arg any) (any, error) {
	region, err := r.str(untracked, arg)
	if err != nil {
		return nil, fmt.Errorf("Fn::GetAZs: %w", err)
	}
	if region == "" {
		if region = r.Region; region == "" {
			return nil, errors.New("Fn::GetAZs: the resolver has no Region")
		}
	}
	return []any{region + "a", region + "b", region + "c"}, nil
}
