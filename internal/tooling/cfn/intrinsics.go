package cfn

import "fmt"

// intrinsicFunc resolves one intrinsic function call, given its unresolved argument. Errors are
// placed by the caller at the call; arguments are resolved untracked.
type intrinsicFunc func(r *Resolver, arg any) (any, error)

// intrinsics maps each intrinsic function Resolve knows to its handler. It is filled from the
// families in init, because the handlers resolve their arguments through it.
var intrinsics = map[string]intrinsicFunc{}

func init() {
	families := []map[string]intrinsicFunc{
		referenceFunctions,   // Ref, Fn::GetAtt
		stringFunctions,      // Fn::Join, Fn::Sub, Fn::Split, Fn::Select, Fn::Base64
		lookupFunctions,      // Fn::FindInMap, Fn::GetAZs
		conditionalFunctions, // Fn::If
		unsupportedFunctions, // Fn::ImportValue, condition functions outside Conditions
	}
	for _, family := range families {
		for name, fn := range family {
			if _, twice := intrinsics[name]; twice {
				panic("cfn: two handlers for " + name)
			}
			intrinsics[name] = fn
		}
	}
}

func (r *Resolver) call(fn string, arg any) (any, error) {
	h, ok := intrinsics[fn]
	if !ok {
		return nil, fmt.Errorf("unsupported intrinsic function %s", fn)
	}
	return h(r, arg)
}

func args(fn string, arg any, n int) ([]any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != n {
		return nil, fmt.Errorf("%s: want a list of %d arguments, got %s", fn, n, describe(arg))
	}
	return a, nil
}

// str resolves v and requires a string (numbers and booleans are rendered as strings).
func (r *Resolver) str(path string, v any) (string, error) {
	out, err := r.walk(path, v)
	if err != nil {
		return "", err
	}
	return scalarString(out)
}

// list resolves v and requires a list.
func (r *Resolver) list(path string, v any) ([]any, error) {
	out, err := r.walk(path, v)
	if err != nil {
		return nil, err
	}
	l, ok := out.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list, got %s", describe(out))
	}
	return l, nil
}
