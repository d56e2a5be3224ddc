package cfn

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

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

// pathError places an error inside the template, e.g.
// "Resources.RequestRide.Properties.Environment.Variables.X: Ref to unknown resource "Foo"".
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// untracked is the path of values inside an intrinsic function's arguments: an error there is
// placed at the function (and says which function), not somewhere inside its arguments.
const untracked = "\x00"

// at places err at path, unless it is already placed. Only err itself counts: a placed error
// that a function wrapped (the condition of an Fn::If) still needs the place of the function.
func at(path string, err error) error {
	if _, placed := err.(*pathError); placed || path == "" || path == untracked {
		return err
	}
	return &pathError{path: path, err: err}
}

func child(path, key string) string {
	switch path {
	case "":
		return key
	case untracked:
		return untracked
	}
	return path + "." + key
}

func index(path string, i int) string {
	if path == untracked {
		return untracked
	}
	return path + "[" + strconv.Itoa(i) + "]"
}

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

func (r *Resolver) call(fn string, arg any) (any, error) {
	// Arguments are resolved untracked: the caller places an error at this call.
	const path = untracked
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref: want a logical ID, got %s", describe(arg))
		}
		return r.ref(name)

	case "Fn::GetAtt":
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
			if attr, err = r.str(path, a[1]); err != nil {
				return nil, fmt.Errorf("Fn::GetAtt attribute: %w", err)
			}
		default:
			return nil, fmt.Errorf("Fn::GetAtt: want [LogicalID, Attribute], got %s", describe(arg))
		}
		return r.getAtt(name, attr)

	case "Fn::Join":
		a, err := args(fn, arg, 2)
		if err != nil {
			return nil, err
		}
		delim, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Join: want a delimiter string, got %s", describe(a[0]))
		}
		list, err := r.list(path, a[1])
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

	case "Fn::Sub":
		return r.sub(arg)

	case "Fn::Select":
		a, err := args(fn, arg, 2)
		if err != nil {
			return nil, err
		}
		is, err := r.str(path, a[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index: %w", err)
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: index %q is not a whole number", is)
		}
		list, err := r.list(path, a[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: %w", err)
		}
		if i < 0 || i >= len(list) {
			return nil, fmt.Errorf("Fn::Select: index %d is outside a list of %d", i, len(list))
		}
		return list[i], nil

	case "Fn::Split":
		a, err := args(fn, arg, 2)
		if err != nil {
			return nil, err
		}
		delim, ok := a[0].(string)
		if !ok || delim == "" {
			return nil, fmt.Errorf("Fn::Split: want a non-empty delimiter string, got %s", describe(a[0]))
		}
		s, err := r.str(path, a[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Split: %w", err)
		}
		var out []any
		for _, p := range strings.Split(s, delim) {
			out = append(out, p)
		}
		return out, nil

	case "Fn::If":
		a, err := args(fn, arg, 3)
		if err != nil {
			return nil, err
		}
		name, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::If: want a condition name, got %s", describe(a[0]))
		}
		if r.Template == nil {
			return nil, fmt.Errorf("Fn::If: the resolver has no Template to evaluate condition %q", name)
		}
		yes, err := r.condition(name, nil)
		if err != nil {
			return nil, fmt.Errorf("Fn::If: %w", err)
		}
		// Only the chosen branch is resolved: the other may name a resource that was not created.
		if yes {
			return r.walk(path, a[1])
		}
		return r.walk(path, a[2])

	case "Fn::Base64":
		s, err := r.str(path, arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::Base64: %w", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil

	case "Fn::GetAZs":
		region, err := r.str(path, arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::GetAZs: %w", err)
		}
		if region == "" {
			if region = r.Region; region == "" {
				return nil, errors.New("Fn::GetAZs: the resolver has no Region")
			}
		}
		return []any{region + "a", region + "b", region + "c"}, nil

	case "Fn::FindInMap":
		a, err := args(fn, arg, 3)
		if err != nil {
			return nil, err
		}
		var keys [3]string
		for i := range keys {
			if keys[i], err = r.str(path, a[i]); err != nil {
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
		return r.walk(path, v)

	case "Fn::ImportValue":
		name, err := r.str(path, arg)
		if err != nil {
			name = fmt.Sprint(arg)
		}
		return nil, fmt.Errorf("Fn::ImportValue %q: cross-stack exports are not supported; share the value through an SSM parameter", name)

	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		return nil, fmt.Errorf("%s is a condition function; it belongs in the Conditions section", fn)

	default:
		return nil, fmt.Errorf("unsupported intrinsic function %s", fn)
	}
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
		return cmpOr(r.Partition, "aws"), nil
	case "AWS::URLSuffix":
		return cmpOr(r.URLSuffix, "amazonaws.com"), nil
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	default:
		return nil, fmt.Errorf("Ref to unknown pseudo parameter %q", name)
	}
}

func cmpOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

func (r *Resolver) getAtt(name, attr string) (any, error) {
	if attrs, ok := r.Attrs[name]; ok {
		if v, ok := attrs[attr]; ok {
			return v, nil
		}
		known := make([]string, 0, len(attrs))
		for k := range attrs {
			known = append(known, k)
		}
		sort.Strings(known)
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

func (t *Template) param(name string) (Parameter, bool) {
	if t == nil {
		return Parameter{}, false
	}
	p, ok := t.Parameters[name]
	return p, ok
}

func (t *Template) resource(name string) (Resource, bool) {
	if t == nil {
		return Resource{}, false
	}
	res, ok := t.Resources[name]
	return res, ok
}

// isListType reports whether a parameter of this type is a list when referenced.
func isListType(typ string) bool {
	typ = strings.TrimSuffix(strings.TrimPrefix(typ, "AWS::SSM::Parameter::Value<"), ">")
	return typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<")
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

func (r *Resolver) sub(arg any) (any, error) {
	const path = untracked // see call
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
			v, err := r.str(path, m[k])
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

// ConditionTrue evaluates the named entry of the Conditions section; Refs in it (usually to
// AWS::Region or a parameter) are resolved with r.
func (t *Template) ConditionTrue(name string, r *Resolver) (bool, error) {
	rr := *r
	rr.Template = t
	return rr.condition(name, nil)
}

// Included reports whether res is part of the stack: it has no Condition, or its Condition is
// true. A runner skips the resources for which it is false, as CloudFormation does.
func (t *Template) Included(res Resource, r *Resolver) (bool, error) {
	if res.Condition == "" {
		return true, nil
	}
	ok, err := t.ConditionTrue(res.Condition, r)
	if err != nil {
		return false, fmt.Errorf("Resources.%s.Condition: %w", res.LogicalID, err)
	}
	return ok, nil
}

// ResolveOutputs resolves the Value of every output whose Condition holds.
func (t *Template) ResolveOutputs(r *Resolver) (map[string]string, error) {
	rr := *r
	rr.Template = t
	out := make(map[string]string, len(t.Outputs))
	for _, id := range sortedKeys(t.Outputs) {
		o := t.Outputs[id]
		if o.Condition != "" {
			ok, err := rr.condition(o.Condition, nil)
			if err != nil {
				return nil, fmt.Errorf("Outputs.%s.Condition: %w", id, err)
			}
			if !ok {
				continue
			}
		}
		v, err := rr.str("Outputs."+id+".Value", o.Value)
		if err != nil {
			return nil, at("Outputs."+id+".Value", err)
		}
		out[id] = v
	}
	return out, nil
}

func (r *Resolver) condition(name string, visiting []string) (bool, error) {
	if slices.Contains(visiting, name) {
		return false, fmt.Errorf("condition cycle: %s -> %s", strings.Join(visiting, " -> "), name)
	}
	def, ok := r.Template.Conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %q", name)
	}
	yes, err := r.evalCondition(def, append(visiting, name))
	if err != nil {
		return false, at("Conditions."+name, err)
	}
	return yes, nil
}

func (r *Resolver) evalCondition(v any, visiting []string) (bool, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("want a condition function, got %s", describe(v))
	}
	var fn string
	var arg any
	for k, v := range m {
		fn, arg = k, v
	}
	switch fn {
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return false, fmt.Errorf("Condition: want a condition name, got %s", describe(arg))
		}
		return r.condition(name, visiting)
	case "Fn::Equals":
		a, err := args(fn, arg, 2)
		if err != nil {
			return false, err
		}
		x, err := r.walk(untracked, a[0])
		if err != nil {
			return false, fmt.Errorf("Fn::Equals: %w", err)
		}
		y, err := r.walk(untracked, a[1])
		if err != nil {
			return false, fmt.Errorf("Fn::Equals: %w", err)
		}
		xs, xerr := scalarString(x)
		ys, yerr := scalarString(y)
		if xerr == nil && yerr == nil {
			return xs == ys, nil
		}
		return reflect.DeepEqual(x, y), nil
	case "Fn::Not":
		a, err := args(fn, arg, 1)
		if err != nil {
			return false, err
		}
		yes, err := r.evalCondition(a[0], visiting)
		return !yes, err
	case "Fn::And", "Fn::Or":
		a, ok := arg.([]any)
		if !ok || len(a) == 0 {
			return false, fmt.Errorf("%s: want a list of conditions, got %s", fn, describe(arg))
		}
		// Evaluate every operand, as CloudFormation validates them all, then combine.
		all, some := true, false
		for _, c := range a {
			yes, err := r.evalCondition(c, visiting)
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			all, some = all && yes, some || yes
		}
		if fn == "Fn::And" {
			return all, nil
		}
		return some, nil
	default:
		return false, fmt.Errorf("%s is not a condition function", fn)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
