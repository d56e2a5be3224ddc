package deploy

import (
	"context"
	"fmt"
	"strings"
)

// Delete deletes a stack as CloudFormation's DeleteStack does
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html):
// DELETE_IN_PROGRESS, each resource deleted newest first (a custom resource gets a Delete; what a
// DeletionPolicy retains stays), then DELETE_COMPLETE, after which the stack is found by its
// stack ID only; a resource that cannot be deleted leaves DELETE_FAILED, and a later DeleteStack
// tries again. Deleting a stack that does not exist does nothing. As CloudFormation does, it
// returns once the delete has started; done gives its outcome.
func (e *Engine) Delete(ctx context.Context, nameOrID string) (done <-chan error, err error) {
	out := make(chan error, 1)
	e.mu.Lock()
	rec := e.record(nameOrID)
	switch {
	case rec == nil:
		e.mu.Unlock()
		out <- nil
		return out, nil
	case rec.status.InProgress():
		e.mu.Unlock()
		return nil, fmt.Errorf("ValidationError: Stack:%s is in %s state and can not be deleted", rec.id, rec.status)
	}
	rec.status, rec.reason, rec.updated = DeleteInProgress, "", e.Clock.Now()
	current, stuck := rec.current, rec.stuck
	e.mu.Unlock()
	fmt.Fprintf(e.Log, "%s %s\n", rec.name, DeleteInProgress)
	go func() {
		out <- e.deleteResources(context.WithoutCancel(ctx), rec, current, stuck)
		e.changed()
	}()
	return out, nil
}

// deleteResources deletes what current holds, newest first, after what a failed rollback left
// created (stuck, if any), and ends the delete.
func (e *Engine) deleteResources(ctx context.Context, rec *stackRecord, current *Stack, stuck *rollback) error {
	var failedIDs []string
	if stuck != nil {
		for _, r := range stuck.cleanup {
			e.removeReporting(ctx, r)
		}
	}
	var left *Stack // what a failed delete leaves, for the next one
	if current != nil {
		left = &Stack{Name: current.Name, Source: current.Source, Resources: map[string]*Resource{}, Outputs: current.Outputs}
		for i := len(current.order) - 1; i >= 0; i-- {
			r := current.Resources[current.order[i]]
			if err := e.remove(ctx, r); err != nil {
				fmt.Fprintf(e.Log, "%s: deleting %s (%s) failed: %v\n", rec.name, r.LogicalID, r.Type, err)
				failedIDs = append(failedIDs, r.LogicalID)
				left.Resources[r.LogicalID] = r
				left.order = append([]string{r.LogicalID}, left.order...)
			}
		}
	}
	if len(failedIDs) > 0 {
		reason := fmt.Sprintf("The following resource(s) failed to delete: [%s].", strings.Join(failedIDs, ", "))
		e.mu.Lock()
		rec.current, rec.stuck = left, nil
		e.mu.Unlock()
		e.set(rec, DeleteFailed, reason)
		return fmt.Errorf("deleting %s: %s", rec.name, reason)
	}
	e.mu.Lock()
	rec.status, rec.reason, rec.updated, rec.current, rec.stuck = DeleteComplete, "", e.Clock.Now(), nil, nil
	delete(e.stacks, rec.name)
	e.deleted = append(e.deleted, rec)
	e.mu.Unlock()
	fmt.Fprintf(e.Log, "%s %s\n", rec.name, DeleteComplete)
	return nil
}

// record is the stack of that name or stack ID that exists. The caller holds e.mu.
func (e *Engine) record(nameOrID string) *stackRecord {
	if rec := e.stacks[nameOrID]; rec != nil {
		return rec
	}
	for _, rec := range e.stacks {
		if rec.id == nameOrID {
			return rec
		}
	}
	return nil
}
