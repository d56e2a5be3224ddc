package cfn

import "fmt"

// unsupportedFunctions are known functions that a local run cannot or must not resolve; each
// says why. Any other unknown "Fn::" is "unsupported intrinsic function".
var unsupportedFunctions = map[string]intrinsicFunc{
	"Fn::ImportValue": fnImportValue,
	"Fn::Equals":      misplacedCondition("Fn::Equals"),
	"Fn::And":         misplacedCondition("Fn::And"),
	"Fn::Or":          misplacedCondition("Fn::Or"),
	"Fn::Not":         misplacedCondition("Fn::Not"),
}

func fnImportValue(r *Resolver, arg any) (any, error) {
	name, err := r.str(untracked, arg)
	if err != nil {
		name = fmt.Sprint(arg)
	}
	return nil, fmt.Errorf("Fn::ImportValue %q: cross-stack exports are not supported; share the value through an SSM parameter", name)
}

func misplacedCondition(fn string) intrinsicFunc {
	return func(*Resolver, any) (any, error) {
		return nil, fmt.Errorf("%s is a condition function; it belongs in the Conditions section", fn)
	}
}
