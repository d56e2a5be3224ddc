package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Status is a stack's status as CloudFormation reports it (DescribeStacks' StackStatus), with
// the meaning CloudFormation documents for each
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes).
type Status string

// The statuses a stack of the local system passes through.
const (
	CreateInProgress Status = "CREATE_IN_PROGRESS"
	CreateComplete   Status = "CREATE_COMPLETE"
	// A failed create deletes what it made: ROLLBACK_COMPLETE, a stack that holds nothing and
	// takes no update (the CDK CLI deletes it before it creates the stack again).
	RollbackInProgress Status = "ROLLBACK_IN_PROGRESS"
	RollbackComplete   Status = "ROLLBACK_COMPLETE"
	RollbackFailed     Status = "ROLLBACK_FAILED"
	UpdateInProgress   Status = "UPDATE_IN_PROGRESS"
	// After an update, what the new template dropped or replaced is deleted; a failure to delete
	// is reported and the stack still ends UPDATE_COMPLETE.
	UpdateCompleteCleanupInProgress Status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	UpdateComplete                  Status = "UPDATE_COMPLETE"
	// A failed update puts back what it changed, then deletes what it created.
	UpdateRollbackInProgress                Status = "UPDATE_ROLLBACK_IN_PROGRESS"
	UpdateRollbackCompleteCleanupInProgress Status = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
	UpdateRollbackComplete                  Status = "UPDATE_ROLLBACK_COMPLETE"
	// A rollback that could not put a resource back: every later update is refused until
	// ContinueUpdateRollback.
	UpdateRollbackFailed Status = "UPDATE_ROLLBACK_FAILED"
	// A deleted stack is found by its stack ID only (the CDK CLI deletes a stack whose create
	// failed before it creates it again).
	DeleteInProgress Status = "DELETE_IN_PROGRESS"
	DeleteComplete   Status = "DELETE_COMPLETE"
	DeleteFailed     Status = "DELETE_FAILED"
)

// InProgress reports a status under which the stack is changing: it takes no other update.
func (s Status) InProgress() bool { return strings.HasSuffix(string(s), "_IN_PROGRESS") }

// stackRecord is one stack as CloudFormation keeps it: its ID and status, and what it holds.
type stackRecord struct {
	id, name         string
	status           Status
	reason           string
	created, updated time.Time
	// current is what the stack holds: the last deploy that completed (or was rolled back to);
	// nil while it is first created and after a failed create.
	current *Stack
	// params are the parameter values current was deployed with.
	params map[string]string
	// stuck is what UPDATE_ROLLBACK_FAILED left to roll back.
	stuck *rollback
}

// newRecord is a stack CloudFormation has just been asked to create: its ID is a new one, as
// each stack of a name gets (arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID).
func (e *Engine) newRecord(name string) *stackRecord {
	now := e.Clock.Now()
	return &stackRecord{name: name, created: now, updated: now,
		id: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", e.Region, e.AccountID, name, uuid.NewString())}
}

// set moves the stack to status, saying why, and reports it in the log as CloudFormation's
// events do.
func (e *Engine) set(rec *stackRecord, status Status, reason string) {
	e.mu.Lock()
	rec.status, rec.reason, rec.updated = status, reason, e.Clock.Now()
	e.mu.Unlock()
	if reason != "" {
		fmt.Fprintf(e.Log, "%s %s: %s\n", rec.name, status, reason)
	} else {
		fmt.Fprintf(e.Log, "%s %s\n", rec.name, status)
	}
}

// Description is a stack as DescribeStacks describes it.
type Description struct {
	Name, ID         string
	Status           Status
	Reason           string
	Created, Updated time.Time
	// Description is the template's.
	Description string
	Parameters  map[string]string
	Outputs     []Output
}

// Output is one of a stack's outputs, in the template's words.
type Output struct{ Key, Value, Description string }

// ErrNoStack is DescribeStacks of a stack that does not exist: CloudFormation's ValidationError
// "Stack with id NAME does not exist"
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
type ErrNoStack struct{ NameOrID string }

func (e *ErrNoStack) Error() string {
	return fmt.Sprintf("Stack with id %s does not exist", e.NameOrID)
}

// Describe describes the stack of that name or stack ID, or, for "", every stack that exists
// (by name). A stack the CDK CLI deleted to create again is found by its stack ID only, as
// DELETE_COMPLETE.
func (e *Engine) Describe(nameOrID string) ([]Description, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var recs []*stackRecord
	switch {
	case nameOrID == "":
		for _, name := range slices.Sorted(maps.Keys(e.stacks)) {
			recs = append(recs, e.stacks[name])
		}
	case e.stacks[nameOrID] != nil:
		recs = append(recs, e.stacks[nameOrID])
	default:
		for _, rec := range e.stacks {
			if rec.id == nameOrID {
				recs = append(recs, rec)
			}
		}
		for _, rec := range e.deleted {
			if rec.id == nameOrID {
				recs = append(recs, rec)
			}
		}
		if len(recs) == 0 {
			return nil, &ErrNoStack{NameOrID: nameOrID}
		}
	}
	out := make([]Description, 0, len(recs))
	for _, rec := range recs {
		out = append(out, rec.describe())
	}
	return out, nil
}

// describe is rec as DescribeStacks answers. The caller holds e.mu.
func (rec *stackRecord) describe() Description {
	d := Description{Name: rec.name, ID: rec.id, Status: rec.status, Reason: rec.reason, Created: rec.created,
		Updated: rec.updated, Parameters: rec.params}
	if rec.current == nil {
		return d
	}
	t := rec.current.Source.Template
	d.Description = t.Description
	for _, key := range slices.Sorted(maps.Keys(rec.current.Outputs)) {
		d.Outputs = append(d.Outputs, Output{Key: key, Value: rec.current.Outputs[key], Description: t.Outputs[key].Description})
	}
	return d
}

// cannotUpdate is CloudFormation's refusal of an update of a stack in a status that takes none:
// one under way, a failed create, a rollback that failed
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks.html).
func cannotUpdate(rec *stackRecord) error {
	return fmt.Errorf("ValidationError: Stack:%s is in %s state and can not be updated", rec.id, rec.status)
}
