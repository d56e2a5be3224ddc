package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// Deploy creates or updates one stack as `cdk deploy` has CloudFormation do it. First what makes
// the change set: the parameters resolved (an SSM-typed one that names no parameter refuses the
// deploy, and nothing changes) and the functions built. Then, unless the stack's status takes no
// update (one under way, a failed create, a failed rollback: refused with CloudFormation's
// message), the stack goes CREATE_ or UPDATE_IN_PROGRESS and its resources are made in dependency
// order: unchanged ones kept, changed ones updated in place or replaced (functions swapped without
// dropping an invocation in flight), a custom resource's function invoked and its answer awaited.
// Either every resource succeeds, and what the new template dropped or replaced is deleted last,
// or one fails, and the stack is rolled back (rollback.go). The error says why the deploy was
// refused or failed, as CloudFormation's stack events do.
//
// Two stacks update at once; a template identical to the deployed one, with the same parameter
// values, changes nothing (CloudFormation has no update to perform).
func (e *Engine) Deploy(ctx context.Context, stack *cfn.Stack) error {
	t := stack.Template
	params, err := e.parameters(ctx, stack)
	if err != nil {
		return err
	}
	order, err := t.Order()
	if err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	if err := e.Build(ctx, t); err != nil {
		return err
	}
	op, err := e.begin(stack, params)
	if err != nil || op == nil {
		return err
	}
	return op.run(ctx, order)
}

// operation is one create or update of a stack, under way.
type operation struct {
	e      *Engine
	rec    *stackRecord
	stack  *cfn.Stack
	params map[string]string
	prev   *Stack // what the stack held before; nil on a create
	next   *Stack
	done   []applied // what it changed, in order
	start  time.Time
}

// applied is one resource an operation changed: what it was (nil: created) and what it is now.
type applied struct {
	res      cfn.Resource // as the new template declares it
	old, now *Resource
	replaced bool // now is a new physical resource; old is deleted once the update completes
}

// begin takes the stack for an operation, or refuses as CloudFormation refuses to update a stack
// in its status; nil and no error: nothing to do.
func (e *Engine) begin(stack *cfn.Stack, params map[string]string) (*operation, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.stacks[stack.Name]
	if rec != nil && rec.status == RollbackComplete {
		// A stack whose create failed takes no update; the CDK CLI deletes it and creates it
		// again ("Found existing stack NAME that had previously failed creation. Deleting it
		// before attempting to re-create it": aws-cdk-cli, packages/@aws-cdk/toolkit-lib/lib/api/
		// deployments/deploy-stack.ts). It holds nothing, so the delete has nothing to do.
		rec.status, rec.reason, rec.updated = DeleteComplete, "", e.Clock.Now()
		e.deleted = append(e.deleted, rec)
		delete(e.stacks, stack.Name)
		fmt.Fprintf(e.Log, "%s: deleted after its failed create, to create it again\n", stack.Name)
		rec = nil
	}
	op := &operation{e: e, stack: stack, params: params, start: time.Now(),
		next: &Stack{Name: stack.Name, Source: stack, Resources: map[string]*Resource{}}}
	switch {
	case rec == nil:
		rec = e.newRecord(stack.Name)
		rec.status = CreateInProgress
		e.stacks[stack.Name] = rec
	case rec.status.InProgress() || strings.HasSuffix(string(rec.status), "_FAILED"):
		return nil, fmt.Errorf("deploying %s: %w", stack.Name, cannotUpdate(rec))
	case rec.current != nil && rec.current.Source.Template.Same(stack.Template) && maps.Equal(rec.params, params):
		return nil, nil
	default:
		rec.status, rec.reason, rec.updated = UpdateInProgress, "", e.Clock.Now()
		op.prev = rec.current
	}
	op.rec = rec
	fmt.Fprintf(e.Log, "%s %s\n", stack.Name, rec.status)
	return op, nil
}

// run makes the stack's resources, then completes the operation or rolls it back.
func (op *operation) run(ctx context.Context, order []string) error {
	defer op.e.changed()
	if err := op.apply(ctx, order); err != nil {
		return op.fail(ctx, err)
	}
	op.complete(ctx)
	return nil
}

// resourceFailure is the resource an operation failed at.
type resourceFailure struct {
	applied // what the resource was; now: what it may have become (custom resources)
	err     error
}

func (f *resourceFailure) Error() string {
	return fmt.Sprintf("%s (%s) failed: %v", f.res.LogicalID, f.res.Type, f.err)
}

func (f *resourceFailure) Unwrap() error { return f.err }

// apply makes every resource of the new template, in order.
func (op *operation) apply(ctx context.Context, order []string) error {
	e, t := op.e, op.stack.Template
	r := &cfn.Resolver{Region: e.Region, AccountID: e.AccountID, Partition: "aws", URLSuffix: "amazonaws.com",
		StackName: op.stack.Name, StackID: op.rec.id, Params: op.params, Physical: map[string]string{},
		Attrs: map[string]map[string]string{}, Template: t}
	for _, id := range order {
		res := t.Resources[id]
		if ok, err := t.Included(res, r); err != nil {
			return err
		} else if !ok {
			continue
		}
		props, err := r.ResolveProperties(res)
		if err != nil {
			return err
		}
		var old *Resource
		if op.prev != nil {
			if o := op.prev.Resources[id]; o != nil && o.Type == res.Type {
				old = o
			}
		}
		nr, replaced, err := e.provision(ctx, op.rec, res, props, old)
		if err != nil {
			return &resourceFailure{applied: applied{res: res, old: old, now: e.attempted(op.rec, res, props, old, err)}, err: err}
		}
		if nr != old {
			op.done = append(op.done, applied{res: res, old: old, now: nr, replaced: replaced})
		}
		op.next.Resources[id] = nr
		op.next.order = append(op.next.order, id)
		r.Physical[id] = nr.Physical
		r.Attrs[id] = nr.Attrs
	}
	outputs, err := t.ResolveOutputs(r)
	op.next.Outputs = outputs
	return err
}

// complete commits the new stack, then deletes, newest first, what the new template dropped and
// the resources an update replaced: CloudFormation's clean-up, whose failures it reports without
// failing the update.
func (op *operation) complete(ctx context.Context) {
	e, rec := op.e, op.rec
	e.mu.Lock()
	rec.current, rec.params = op.next, op.params
	e.mu.Unlock()
	if op.prev == nil {
		e.set(rec, CreateComplete, "")
		op.report(len(op.done), 0, 0)
		return
	}
	e.set(rec, UpdateCompleteCleanupInProgress, "")
	var gone []*Resource
	for _, a := range op.done {
		if a.replaced {
			gone = append(gone, a.old)
		}
	}
	removed := 0
	for i := len(op.prev.order) - 1; i >= 0; i-- {
		id := op.prev.order[i]
		if o := op.prev.Resources[id]; op.next.Resources[id] == nil || op.next.Resources[id].Type != o.Type {
			gone = append(gone, o)
			removed++
		}
	}
	for _, o := range gone {
		e.removeReporting(ctx, o)
	}
	e.set(rec, UpdateComplete, "")
	created := 0
	for _, a := range op.done {
		if a.old == nil {
			created++
		}
	}
	op.report(created, len(op.done)-created, len(gone))
}

func (op *operation) report(created, updated, removed int) {
	fmt.Fprintf(op.e.Log, "deployed %s: %d created, %d updated, %d removed, in %.1fs\n",
		op.stack.Name, created, updated, removed, time.Since(op.start).Seconds())
}

// failed says which resource failed, as CloudFormation's stack status reason does.
func failed(verb string, err error) (string, string) {
	var f *resourceFailure
	if errors.As(err, &f) {
		return f.res.LogicalID, fmt.Sprintf("The following resource(s) failed to %s: [%s].", verb, f.res.LogicalID)
	}
	return "", fmt.Sprintf("The stack failed to %s: %v", verb, err)
}
