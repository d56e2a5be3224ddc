package model

import (
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// link follows the references that cross stacks: a subscription's topic read from SSM.
func (s *System) link() {
	for _, st := range s.Stacks {
		for _, sub := range st.Subscriptions {
			sub.TopicParameter = s.ssmNameOf(st, sub.Source.Properties["TopicArn"])
			if tp, ok := s.Target(st, sub.Source.Properties["TopicArn"]).(*Topic); ok {
				sub.Topic = tp
				tp.Subscriptions = append(tp.Subscriptions, sub)
			}
		}
	}
}

// ssmNameOf is the SSM parameter name behind a Ref to an SSM-typed template parameter, else "".
func (s *System) ssmNameOf(st *Stack, v any) string {
	name := refName(v)
	for _, r := range st.Reads {
		if r.Parameter == name {
			return r.Name
		}
	}
	return ""
}

// Writer is the SSM parameter of the system with this name, or nil.
func (s *System) Writer(ssmName string) *Parameter {
	for _, st := range s.Stacks {
		for _, p := range st.Parameters {
			if p.Name == ssmName {
				return p
			}
		}
	}
	return nil
}

// Deref follows a reference to an SSM-typed template parameter to the value that the
// AWS::SSM::Parameter of that name stores, in whichever stack writes it: that is how the two
// stacks know each other's topic and URL. It returns the stack the value belongs to.
func (s *System) Deref(st *Stack, v any) (*Stack, any) {
	for range 5 {
		name := s.ssmNameOf(st, v)
		if name == "" {
			return st, v
		}
		p := s.Writer(name)
		if p == nil {
			return st, v
		}
		st, v = p.Stack, p.Value
	}
	return st, v
}

// Target is the part of the model a value refers to (a *Function, *Topic, *Table, *Queue,
// *API, *Role), following SSM links; nil when it refers to nothing the system has.
func (s *System) Target(st *Stack, v any) any {
	st, v = s.Deref(st, v)
	return st.byID[refName(v)]
}

// PublishesTo is the topic a function publishes rides to (its EnvTopicARN), or nil.
func (s *System) PublishesTo(f *Function, envVar string) *Topic {
	v, ok := f.Environment[envVar]
	if !ok {
		return nil
	}
	tp, _ := s.Target(f.Stack, v).(*Topic)
	return tp
}

// Table is the table a function's environment variable names, or nil.
func (s *System) Table(f *Function, envVar string) *Table {
	v, ok := f.Environment[envVar]
	if !ok {
		return nil
	}
	tb, _ := s.Target(f.Stack, v).(*Table)
	return tb
}

// Queue is the queue a function's environment variable names, or nil.
func (s *System) Queue(f *Function, envVar string) *Queue {
	v, ok := f.Environment[envVar]
	if !ok {
		return nil
	}
	q, _ := s.Target(f.Stack, v).(*Queue)
	return q
}

// RoutesAt finds the routes a URL in a function's environment variable leads to. CDK writes an
// API's URL as {"Fn::Join": ["", [<the API's ApiEndpoint>, "/record"]]}: the API is the one the
// join refers to, the path its last literal part that starts with "/". A route "POST <path>" or
// "ANY <path>" takes it, else the API's $default route.
func (s *System) RoutesAt(f *Function, envVar string) []*Route {
	v, ok := f.Environment[envVar]
	if !ok {
		return nil
	}
	st, v := s.Deref(f.Stack, v)
	var api *API
	var p string
	if str, ok := v.(string); ok {
		if u, err := url.Parse(str); err == nil {
			p = u.Path
		}
	}
	if join, ok := asMap(v)["Fn::Join"].([]any); ok && len(join) == 2 {
		for _, part := range list(join[1]) {
			if a, ok := st.byID[refName(part)].(*API); ok && api == nil {
				api = a
			}
			if str, ok := part.(string); ok && strings.HasPrefix(str, "/") {
				p = str
			}
		}
	}
	if api == nil {
		return nil
	}
	var out, fallback []*Route
	for _, r := range st.Routes {
		switch {
		case r.API != api:
		case r.Key == "POST "+p || r.Key == "ANY "+p:
			out = append(out, r)
		case r.Key == "$default":
			fallback = append(fallback, r)
		}
	}
	if len(out) == 0 {
		return fallback
	}
	return out
}

// Allows reports whether the function's role may do action on the resource: an Allow statement
// names the action (or a wildcard pattern of it) and refers to the resource (its Ref or an
// attribute, alone or inside a Join or Sub).
func (f *Function) Allows(action string, on *Resource) bool {
	if f.Role == nil {
		return false
	}
	for _, st := range f.Role.Statements {
		if st.Effect != "Allow" || !matchesAny(st.Actions, action) {
			continue
		}
		for _, r := range st.Resources {
			if refersTo(r, on.LogicalID) {
				return true
			}
		}
	}
	return false
}

// Actions lists every action any Allow statement of the function's role names.
func (f *Function) Actions() []string {
	if f.Role == nil {
		return nil
	}
	var out []string
	for _, st := range f.Role.Statements {
		if st.Effect == "Allow" {
			out = append(out, st.Actions...)
		}
	}
	return out
}

func matchesAny(patterns []string, action string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}

// refersTo reports whether a template value refers to the logical ID anywhere inside it.
func refersTo(v any, logicalID string) bool {
	return slices.Contains(cfn.References(v), logicalID)
}

// InvokePermissions lists the permissions that let principal invoke the function.
func (f *Function) InvokePermissions(principal string) []*Permission {
	var out []*Permission
	for _, p := range f.Stack.Permissions {
		if p.Function == f && p.Principal == principal && p.Action == "lambda:InvokeFunction" {
			out = append(out, p)
		}
	}
	return out
}
