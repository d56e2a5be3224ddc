package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// provider is how the local system creates, updates and deletes one resource type: the three
// together, so that supporting a new type is one entry in providers, made in the file of its
// service (provider_<service>.go). A type that nothing runs for locally is a placeholder, with
// the reason; TestEveryResourceTypeOfEveryStepIsRunOrAPlaceholder holds every type of the
// templates to one or the other.
type provider struct {
	// apply creates c.nr (c.old nil) or updates c.old into it. It reports whether c.old was
	// replaced by a new physical resource, which then has to be deleted once the stack is updated.
	apply func(ctx context.Context, e *Engine, c change) (*Resource, bool, error)
	// remove deletes what a stack update dropped or replaced; nil when nothing runs locally.
	remove func(ctx context.Context, e *Engine, r *Resource) error
	// placeholder says why nothing runs for this type locally; empty for a type the local system
	// runs.
	placeholder string
}

// change is one resource of a stack update: the template's resource with its properties
// resolved, the record being made of it, and what the previous deploy made (nil when new).
type change struct {
	stack   string // its name
	stackID string
	res     cfn.Resource
	props   map[string]any
	nr      *Resource
	old     *Resource
}

// providers by resource type.
var providers = map[string]provider{}

// register declares the provider of a type the local system runs.
func register(typ string, p provider) { providers[typ] = p }

// placeholder declares a type nothing runs for locally, and why: its resources still get a
// physical ID and an ARN, so that references to them resolve.
func placeholder(typ, reason string) {
	providers[typ] = provider{apply: applyPlaceholder, placeholder: reason}
}

func applyPlaceholder(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
	nr := c.nr
	nr.Physical = physicalName(c.stack, c.res.LogicalID, 128)
	service := strings.ToLower(strings.Split(strings.TrimPrefix(c.res.Type, "AWS::"), "::")[0])
	nr.Attrs["Arn"] = fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, e.Region, e.AccountID, nr.Physical)
	return nr, false, nil
}

// provision creates res in the stack rec, or updates old into it, with the provider of its type; a
// type no provider declares is treated as a placeholder.
func (e *Engine) provision(ctx context.Context, rec *stackRecord, res cfn.Resource, props map[string]any, old *Resource) (*Resource, bool, error) {
	b, _ := json.Marshal(props)
	nr := &Resource{LogicalID: res.LogicalID, Type: res.Type, props: string(b), Attrs: map[string]string{}, stackID: rec.id,
		retain: res.DeletionPolicy == "Retain" || res.DeletionPolicy == "RetainExceptOnCreate"}
	if old != nil && old.props == nr.props {
		return old, false, nil
	}
	apply := applyPlaceholder
	if p, ok := providerOf(res.Type); ok {
		apply = p.apply
	}
	return apply(ctx, e, change{stack: rec.name, stackID: rec.id, res: res, props: props, nr: nr, old: old})
}

// providerOf is the provider of a type: the one registered, or, for any custom resource type,
// the custom resource's.
func providerOf(typ string) (provider, bool) {
	if p, ok := providers[typ]; ok {
		return p, true
	}
	if isCustom(typ) {
		return customResource, true
	}
	return provider{}, false
}

// attempted is what a resource whose create or update failed may have become, for the rollback to
// undo: a custom resource's function may have acted before it answered FAILED (or never
// answered); the other providers fail before they change anything (nil).
func (e *Engine) attempted(rec *stackRecord, res cfn.Resource, props map[string]any, old *Resource, err error) *Resource {
	if !isCustom(res.Type) {
		return nil
	}
	b, _ := json.Marshal(props)
	r := &Resource{LogicalID: res.LogicalID, Type: res.Type, props: string(b), Attrs: map[string]string{}, stackID: rec.id}
	switch {
	case old != nil:
		r.Physical = old.Physical
	case physicalOf(err) != "":
		r.Physical = physicalOf(err)
	default:
		r.Physical = physicalName(rec.name, res.LogicalID, 128)
	}
	return r
}

// remove deletes what a stack update dropped or replaced, or a rollback undoes, with the
// provider of its type (nothing for a resource retained by its DeletionPolicy).
func (e *Engine) remove(ctx context.Context, r *Resource) error {
	if r.retain {
		fmt.Fprintf(e.Log, "retained %s %s (DeletionPolicy Retain)\n", r.Type, r.LogicalID)
		return nil
	}
	p, ok := providerOf(r.Type)
	if !ok || p.remove == nil {
		return nil
	}
	return p.remove(ctx, e, r)
}

// removeReporting is remove in a clean-up, whose failure CloudFormation reports (DELETE_FAILED)
// without failing the stack's operation.
func (e *Engine) removeReporting(ctx context.Context, r *Resource) {
	if err := e.remove(ctx, r); err != nil {
		fmt.Fprintf(e.Log, "removing %s %s: %v\n", r.Type, r.LogicalID, err)
	}
}

// keep carries the physical resource of old over to nr: an update in place.
func keep(nr, old *Resource) *Resource {
	nr.Physical, nr.Attrs = old.Physical, old.Attrs
	return nr
}

// physicalName is how CloudFormation names what the template leaves unnamed: stack, logical ID
// and a random suffix, so parallel stages and repeated runs never collide
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html).
func physicalName(stack, logicalID string, limit int) string {
	suffix := "-" + strings.ToUpper(randomID(12))
	name := stack + "-" + logicalID
	if len(name)+len(suffix) > limit {
		name = name[:limit-len(suffix)]
	}
	return name + suffix
}

// randomID is n random lowercase hex digits: the shape of the short IDs AWS gives APIs, routes
// and integrations, and of CloudFormation's name suffixes (not UUIDs).
func randomID(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
