package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// What CloudFormation does when an operation fails
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-update-rollback-failed):
//   - a failed create (ROLLBACK_IN_PROGRESS) deletes, newest first, what the create made; a
//     custom resource whose Create failed gets a Delete with the physical ID of its FAILED answer
//     (https://github.com/aws/aws-cdk/pull/5525). The stack ends ROLLBACK_COMPLETE, holding
//     nothing, or ROLLBACK_FAILED when a delete fails.
//   - a failed update (UPDATE_ROLLBACK_IN_PROGRESS) puts back, newest first, each resource it
//     updated in place, the one that failed included, with its previous properties: a custom
//     resource gets an Update whose ResourceProperties are its previous properties and whose
//     OldResourceProperties are the new ones; nothing in the request marks it as a rollback
//     (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html;
//     https://github.com/aws/aws-cdk/issues/17040). A replaced resource's previous physical resource
//     was never deleted, so it is simply the stack's again. Then
//     (UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS) what the update created, new resources and
//     replacements, is deleted, and the stack ends UPDATE_ROLLBACK_COMPLETE. When putting a
//     resource back fails, the stack ends UPDATE_ROLLBACK_FAILED: it takes no update until
//     ContinueUpdateRollback puts back the rest, skipping the resources it is told to
//     (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ContinueUpdateRollback.html).

// rollback is what putting a failed update back takes.
type rollback struct {
	restore []restore   // newest first
	cleanup []*Resource // what the update created, deleted once the stack is back
}

// restore is one resource to put back to its previous properties.
type restore struct {
	res   cfn.Resource   // as the previous template declares it
	props map[string]any // its previous properties, resolved
	now   *Resource      // what it is now
}

// fail rolls the failed operation back and returns the deploy's error.
func (op *operation) fail(ctx context.Context, cause error) error {
	e, rec := op.e, op.rec
	if op.prev == nil {
		_, reason := failed("create", cause)
		e.set(rec, RollbackInProgress, reason)
		if err := op.deleteCreated(ctx, cause); err != nil {
			e.set(rec, RollbackFailed, err.Error())
			return fmt.Errorf("creating %s: %w; the rollback failed too (%s: %v)", op.stack.Name, cause, RollbackFailed, err)
		}
		e.set(rec, RollbackComplete, "")
		return fmt.Errorf("creating %s: %w; the stack was rolled back (%s: it holds nothing; the next deploy creates it again)",
			op.stack.Name, cause, RollbackComplete)
	}
	_, reason := failed("update", cause)
	e.set(rec, UpdateRollbackInProgress, reason)
	rb := op.rollback(cause)
	if err := e.rollBack(ctx, rec, rb, nil); err != nil {
		return fmt.Errorf("updating %s: %w; the rollback failed too: %s (%v): it takes no update until `wildrydes rollout --continue-update-rollback`",
			op.stack.Name, cause, UpdateRollbackFailed, err)
	}
	return fmt.Errorf("updating %s: %w; the stack was rolled back (%s)", op.stack.Name, cause, UpdateRollbackComplete)
}

// deleteCreated deletes, newest first, what a failed create made, the resource that failed
// included when it may exist (a custom resource).
func (op *operation) deleteCreated(ctx context.Context, cause error) error {
	made := make([]*Resource, 0, len(op.done)+1)
	if f := failure(cause); f != nil && f.now != nil {
		made = append(made, f.now)
	}
	for i := len(op.done) - 1; i >= 0; i-- {
		made = append(made, op.done[i].now)
	}
	var failedIDs []string
	for _, r := range made {
		if err := op.e.remove(ctx, r); err != nil {
			fmt.Fprintf(op.e.Log, "%s: deleting %s (%s) failed: %v\n", op.stack.Name, r.LogicalID, r.Type, err)
			failedIDs = append(failedIDs, r.LogicalID)
		}
	}
	if len(failedIDs) > 0 {
		return fmt.Errorf("The following resource(s) failed to delete: [%s].", strings.Join(failedIDs, ", "))
	}
	return nil
}

// rollback is what putting back the failed update takes.
func (op *operation) rollback(cause error) *rollback {
	rb := &rollback{}
	undo := func(a applied) {
		switch {
		case a.now == nil:
		case a.old == nil || a.replaced:
			rb.cleanup = append(rb.cleanup, a.now)
		default:
			prevRes := op.prev.Source.Template.Resources[a.old.LogicalID]
			var props map[string]any
			if err := a.old.resolved(&props); err == nil {
				rb.restore = append(rb.restore, restore{res: prevRes, props: props, now: a.now})
			}
		}
	}
	if f := failure(cause); f != nil {
		undo(f.applied)
	}
	for i := len(op.done) - 1; i >= 0; i-- {
		undo(op.done[i])
	}
	return rb
}

func failure(err error) *resourceFailure {
	f, _ := err.(*resourceFailure)
	return f
}

// rollBack puts back each resource of rb but those skipped, then cleans up, moving rec to
// UPDATE_ROLLBACK_COMPLETE; or, when a resource cannot be put back, to UPDATE_ROLLBACK_FAILED
// with what is left to roll back.
func (e *Engine) rollBack(ctx context.Context, rec *stackRecord, rb *rollback, skip []string) error {
	left := &rollback{cleanup: rb.cleanup}
	var failedIDs []string
	var errs []string
	for _, r := range rb.restore {
		if slices.Contains(skip, r.res.LogicalID) {
			fmt.Fprintf(e.Log, "%s: %s skipped: it keeps what the failed update made of it\n", rec.name, r.res.LogicalID)
			continue
		}
		if _, _, err := e.provision(ctx, rec, r.res, r.props, r.now); err != nil {
			failedIDs = append(failedIDs, r.res.LogicalID)
			errs = append(errs, fmt.Sprintf("%s (%s): %v", r.res.LogicalID, r.res.Type, err))
			left.restore = append(left.restore, r)
		}
	}
	if len(failedIDs) > 0 {
		e.mu.Lock()
		rec.stuck = left
		e.mu.Unlock()
		e.set(rec, UpdateRollbackFailed, fmt.Sprintf("The following resource(s) failed to update: [%s].", strings.Join(failedIDs, ", ")))
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	e.mu.Lock()
	rec.stuck = nil
	e.mu.Unlock()
	e.set(rec, UpdateRollbackCompleteCleanupInProgress, "")
	for _, r := range rb.cleanup {
		e.removeReporting(ctx, r)
	}
	e.set(rec, UpdateRollbackComplete, "")
	return nil
}

// ContinueUpdateRollback continues the rollback of a stack in UPDATE_ROLLBACK_FAILED, skipping
// the resources named (each must be one the rollback could not put back: it keeps what the failed
// update made of it). As CloudFormation does, it returns once the rollback has started; done
// gives its outcome.
func (e *Engine) ContinueUpdateRollback(ctx context.Context, nameOrID string, skip []string) (done <-chan error, err error) {
	e.mu.Lock()
	rec := e.record(nameOrID)
	if rec == nil {
		e.mu.Unlock()
		return nil, &ErrNoStack{NameOrID: nameOrID}
	}
	if rec.status != UpdateRollbackFailed || rec.stuck == nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("ValidationError: Stack %s is in %s state: only a stack in %s can continue its rollback", rec.id, rec.status, UpdateRollbackFailed)
	}
	rb := rec.stuck
	for _, id := range skip {
		if !slices.ContainsFunc(rb.restore, func(r restore) bool { return r.res.LogicalID == id }) {
			e.mu.Unlock()
			return nil, fmt.Errorf("ValidationError: Resource %s is not one the rollback of %s failed to update: only those can be skipped", id, rec.name)
		}
	}
	rec.status, rec.reason, rec.updated = UpdateRollbackInProgress, "", e.Clock.Now()
	e.mu.Unlock()
	fmt.Fprintf(e.Log, "%s %s (continued, skipping %v)\n", rec.name, UpdateRollbackInProgress, skip)
	out := make(chan error, 1)
	go func() {
		out <- e.rollBack(context.WithoutCancel(ctx), rec, rb, skip)
		e.changed()
	}()
	return out, nil
}
