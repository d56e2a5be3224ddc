package local

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// provider is how the local system creates, updates and deletes one resource type: the three
// together, so that supporting a new type is one entry in providers.
type provider struct {
	// apply creates c.res (c.old nil) or updates c.old into it. It reports whether c.old was
	// replaced by a new physical resource, which then has to be deleted once the stack is updated.
	apply func(ctx context.Context, s *System, c change) (*resource, bool, error)
	// remove deletes what a stack update dropped or replaced; nil when nothing runs locally.
	remove func(ctx context.Context, s *System, r *resource) error
}

// change is one resource of a stack update: the template's resource with its properties
// resolved, the record being made of it, and what the previous deploy made (nil when new).
type change struct {
	stack string
	res   cfn.Resource
	props map[string]any
	nr    *resource
	old   *resource
}

// providers by resource type; the types not listed get placeholder.
var providers = map[string]provider{}

func register(typ string, p provider) { providers[typ] = p }

// placeholder is every type nothing runs for locally (IAM, log groups, permissions, policies,
// alarms): it still gets a physical ID and an ARN so that references to it resolve.
var placeholder = provider{apply: func(_ context.Context, s *System, c change) (*resource, bool, error) {
	nr := c.nr
	nr.physical = physicalName(c.stack, c.res.LogicalID, 128)
	service := strings.ToLower(strings.Split(strings.TrimPrefix(c.res.Type, "AWS::"), "::")[0])
	nr.attrs["Arn"] = fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, s.opts.Region, localstate.AccountID, nr.physical)
	return nr, false, nil
}}

// provision creates res, or updates old into it, with the provider of its type.
func (s *System) provision(ctx context.Context, stack string, res cfn.Resource, props map[string]any, old *resource) (*resource, bool, error) {
	b, _ := json.Marshal(props)
	nr := &resource{logicalID: res.LogicalID, typ: res.Type, props: string(b), attrs: map[string]string{},
		retain: res.DeletionPolicy == "Retain" || res.DeletionPolicy == "RetainExceptOnCreate"}
	if old != nil && old.props == nr.props {
		return old, false, nil
	}
	p, ok := providers[res.Type]
	if !ok {
		p = placeholder
	}
	return p.apply(ctx, s, change{stack: stack, res: res, props: props, nr: nr, old: old})
}

// remove deletes what a stack update dropped or replaced, with the provider of its type.
func (s *System) remove(ctx context.Context, r *resource) {
	if r.retain {
		fmt.Fprintf(s.opts.Log, "retained %s %s (DeletionPolicy Retain)\n", r.typ, r.logicalID)
		return
	}
	p, ok := providers[r.typ]
	if !ok || p.remove == nil {
		return
	}
	if err := p.remove(ctx, s, r); err != nil {
		fmt.Fprintf(s.opts.Log, "removing %s %s: %v\n", r.typ, r.logicalID, err)
	}
}

// keep carries the physical resource of old over to nr: an update in place.
func keep(nr, old *resource) *resource {
	nr.physical, nr.attrs = old.physical, old.attrs
	return nr
}
