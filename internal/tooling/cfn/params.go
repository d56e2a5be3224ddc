package cfn

import (
	"cmp"
	"errors"
	"fmt"
)

// ResolveParameters gives every template parameter its value for a local run, in this order:
// overrides[name]; for an SSM-typed parameter (AWS::SSM::Parameter::Value<...>) the SSM
// parameter named by its Default, via lookupSSM; otherwise its Default. Values of list parameters
// stay comma-separated strings; Resolver.Resolve turns a Ref to one into a list. All missing
// values are reported together.
func ResolveParameters(t *Template, lookupSSM func(name string) (string, error), overrides map[string]string) (map[string]string, error) {
	var errs []error
	for _, name := range sortedKeys(overrides) {
		if _, ok := t.Parameters[name]; !ok {
			errs = append(errs, fmt.Errorf("override for parameter %q, which the template does not declare", name))
		}
	}
	values := make(map[string]string, len(t.Parameters))
	for _, name := range sortedKeys(t.Parameters) {
		p := t.Parameters[name]
		if v, ok := overrides[name]; ok {
			values[name] = v
			continue
		}
		if p.Default == nil {
			errs = append(errs, fmt.Errorf("parameter %q has no Default and no override", name))
			continue
		}
		ssmName, ok := p.SSMName()
		if !ok {
			values[name] = *p.Default
			continue
		}
		v, err := lookup(lookupSSM, ssmName)
		switch {
		case err == nil:
			values[name] = v
		case p.CDKBootstrap():
			// Only CDK's version check reads it, and a local run has no bootstrap stack.
			values[name] = "99"
		default:
			errs = append(errs, fmt.Errorf("parameter %q reads SSM parameter %q: %w", name, ssmName, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("resolve parameters of %s: %w", cmp.Or(t.Path, "template"), err)
	}
	return values, nil
}

func lookup(lookupSSM func(string) (string, error), name string) (string, error) {
	if lookupSSM == nil {
		return "", errors.New("no SSM lookup was given")
	}
	return lookupSSM(name)
}
