package rolloutguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// PhysicalID is the guard's physical ID on create. An update or a delete answers the one
// CloudFormation sends, so it never changes: a new one would make CloudFormation replace the
// guard (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
const PhysicalID = "rollout-guard"

// The guard's time budget. CloudFormation invokes the function asynchronously and waits for the
// answer at the ResponseURL, not for the invocation
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html lists it among the
// asynchronous callers); an invocation frozen at its timeout answers nothing.
const (
	// DefaultMargin is kept before the function's deadline for the answer.
	DefaultMargin = 5 * time.Second
	// DefaultCallTimeout bounds each SDK call, its own retries included.
	DefaultCallTimeout = 5 * time.Second
	// noDeadline is the checks' budget when the context has no deadline (not in Lambda).
	noDeadline = 25 * time.Second
)

// Handler answers CloudFormation's requests for Custom::RolloutGuard.
type Handler struct {
	SSM    SSMClient
	Stacks StackDescriber
	// ConfigErr is why the SDK's configuration could not be loaded at start-up; the guard then
	// still answers every request: Delete succeeds, the others fail saying why.
	ConfigErr error
	Respond   Responder
	Clock     Clock
	// Margin and CallTimeout default to DefaultMargin and DefaultCallTimeout.
	Margin, CallTimeout time.Duration
}

// Answer is what the guard tells CloudFormation.
type Answer struct {
	Status     cfn.StatusType
	PhysicalID string
	Reason     string
	Data       map[string]any
}

// Handle is the function's handler: it decides, answers at the request's ResponseURL, and
// fails the invocation only when the answer could not be sent, so that Lambda's asynchronous
// retries (1 and 2 minutes later) decide and send it again.
func (h *Handler) Handle(ctx context.Context, event cfn.Event) error {
	a := h.Decide(ctx, event)
	reason := a.Reason
	if len(reason) > 512 {
		reason = reason[:512] + "..."
	}
	slog.InfoContext(ctx, "rollout guard", "requestType", event.RequestType, "stack", event.StackID, "status", a.Status, "reason", reason)
	r := cfn.Response{Status: a.Status, RequestID: event.RequestID, LogicalResourceID: event.LogicalResourceID,
		StackID: event.StackID, PhysicalResourceID: a.PhysicalID, Reason: a.Reason, Data: a.Data}
	if err := h.Respond.Send(ctx, event.ResponseURL, r); err != nil {
		slog.ErrorContext(ctx, "rollout guard: the answer was not sent", "error", err.Error())
		return err
	}
	return nil
}

// Decide is the answer to event; it never panics and returns before ctx's deadline less the
// margin. A Delete always succeeds: a stack being deleted, or a failed create rolling back,
// must not be held. An Update while the stack rolls back succeeds unchecked: it only puts
// back the properties the stack had, and failing it would leave UPDATE_ROLLBACK_FAILED. Every
// other request passes only if the checks pass.
func (h *Handler) Decide(ctx context.Context, event cfn.Event) (a Answer) {
	a.PhysicalID = PhysicalID
	if event.RequestType != cfn.RequestCreate && event.PhysicalResourceID != "" {
		a.PhysicalID = event.PhysicalResourceID
	}
	if event.RequestType == cfn.RequestDelete {
		a.Status = cfn.StatusSuccess
		return a
	}
	defer func() {
		if r := recover(); r != nil {
			a.Status, a.Data = cfn.StatusFailed, nil
			a.Reason = fmt.Sprintf("rollout guard: the check failed unexpectedly: %v", r)
		}
	}()
	ctx, cancel := h.budget(ctx)
	defer cancel()

	var statusErr error
	var err error
	switch {
	case h.ConfigErr != nil:
		err = fmt.Errorf("rollout guard: the function could not load its AWS configuration, so it cannot check: %w", h.ConfigErr)
		statusErr = errors.New("no AWS configuration")
	case event.RequestType == cfn.RequestUpdate:
		var status string
		status, statusErr = call(ctx, h.callTimeout(), func(ctx context.Context) (string, error) {
			return StackStatus(ctx, h.Stacks, event.StackID)
		})
		if statusErr == nil && RollingBack(status) {
			a.Status, a.Data = cfn.StatusSuccess, map[string]any{"Checked": 0}
			a.Reason = fmt.Sprintf("the stack is %s: the previous properties are put back unchecked", status)
			return a
		}
	}
	if err == nil {
		var checked int
		if checked, err = h.check(ctx, event); err == nil {
			a.Status, a.Data = cfn.StatusSuccess, map[string]any{"Checked": checked}
			return a
		}
	}
	a.Status, a.Reason = cfn.StatusFailed, err.Error()
	if statusErr != nil && event.RequestType == cfn.RequestUpdate {
		// Unknown whether this is a rollback: refusing a forward update that may lose rides
		// comes first. A rollback refused here has put back every other resource already (they
		// all depend on the guard, so it is rolled back last), and the guard holds nothing.
		a.Reason += fmt.Sprintf("; the stack's status could not be read (%v), so this may be a rollback: if the stack is left UPDATE_ROLLBACK_FAILED, "+
			"run aws cloudformation continue-update-rollback --stack-name %s --resources-to-skip %s", statusErr, stackName(event.StackID), event.LogicalResourceID)
	}
	return a
}

// budget is ctx with a deadline that leaves the margin to answer.
func (h *Handler) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	margin := h.Margin
	if margin == 0 {
		margin = DefaultMargin
	}
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, deadline.Add(-margin))
	}
	return context.WithTimeout(ctx, noDeadline)
}

func (h *Handler) callTimeout() time.Duration {
	if h.CallTimeout == 0 {
		return DefaultCallTimeout
	}
	return h.CallTimeout
}

// check runs every check of the guard's properties, in order: the other stack is settled, the
// parameters the change set resolved still hold what it resolved, each condition's value, each
// condition's history. It returns how many checks it made.
func (h *Handler) check(ctx context.Context, event cfn.Event) (int, error) {
	props := event.ResourceProperties
	conds, err := Conditions(props)
	if err != nil {
		return 0, fmt.Errorf("rollout guard: %w", err)
	}
	n := 0
	if other := OtherStack(props); other != "" {
		n++
		status, err := call(ctx, h.callTimeout(), func(ctx context.Context) (string, error) { return StackStatus(ctx, h.Stacks, other) })
		if err != nil {
			return n, fmt.Errorf("rollout guard: reading whether %s is being updated: %w", other, err)
		}
		if why := Unsettled(other, status); why != "" {
			return n, errors.New("rollout guard: " + why)
		}
	}
	lookup := h.lookup()
	requires := Requirements(props)
	for _, name := range slices.Sorted(maps.Keys(requires)) {
		n++
		value, found, err := lookup(ctx, name)
		switch resolved, _ := requires[name].(string); {
		case err != nil:
			return n, fmt.Errorf("rollout guard: reading SSM parameter %s: %w", name, err)
		case !found:
			return n, fmt.Errorf("rollout guard: SSM parameter %s, which this stack state requires, no longer exists (it did when CloudFormation made the change set): the other stack changed meanwhile; deploy again", name)
		case resolved != "" && value != resolved:
			return n, fmt.Errorf("rollout guard: SSM parameter %s is %q, not %q as when CloudFormation made the change set: the other stack changed meanwhile; deploy again", name, value, resolved)
		}
	}
	n += len(conds)
	if err := Check(ctx, conds, lookup); err != nil {
		return n, err
	}
	history := func(ctx context.Context, name string) ([]Version, error) {
		return call(ctx, h.callTimeout(), func(ctx context.Context) ([]Version, error) { return SSMHistory(h.SSM)(ctx, name) })
	}
	return n, Held(ctx, conds, history, h.Clock)
}

// lookup is SSMLookup with each call bounded.
func (h *Handler) lookup() Lookup {
	return func(ctx context.Context, name string) (string, bool, error) {
		type found struct {
			value string
			ok    bool
		}
		f, err := call(ctx, h.callTimeout(), func(ctx context.Context) (found, error) {
			v, ok, err := SSMLookup(h.SSM)(ctx, name)
			return found{v, ok}, err
		})
		return f.value, f.ok, err
	}
}

// call runs f under a timeout of its own within ctx, and returns when either ends even if f
// does not: a call that hangs past its context still lets the guard answer.
func call[T any](ctx context.Context, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("no answer in time: %w", ctx.Err())
	}
}

// stackName is the name in a stack ID (arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID).
func stackName(stackID string) string {
	if parts := strings.Split(stackID, "/"); len(parts) >= 2 {
		return parts[1]
	}
	return stackID
}
