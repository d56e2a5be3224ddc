package rollout

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// Two deploys at once, one per stack (two operators, two pipelines, `cdk deploy --concurrency`).
// CloudFormation updates the two stacks concurrently, one update at a time per stack. A deploy's
// SSM-typed parameters are resolved when its change set is made
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-supplied-parameter-types.html),
// its guard runs once its stack is UPDATE_IN_PROGRESS, and what it drops (an SSM parameter) goes
// only in its cleanup phase, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS. Checked against each other's
// half-done deploys, two deploys that are each safe alone can land in an unsafe pair.
//
// Each guard refuses while the other stack is *_IN_PROGRESS (or *_FAILED) and checks again, when
// it runs, what its change set resolved. Say guard A runs at time a, during deploy A (which
// started at sA and ends at eA), and guard B at b, during deploy B, and a < b. A passed, so at a
// deploy B was not under way: a < sB (B had not started; it cannot have ended, since b > a).
// B passed, so at b deploy A was not under way: b > eA (A had ended; it had started before a).
// So B's guard ran after A was complete and checked B against what A left, exactly as if B were
// deployed after A; a check that fails refuses B before anything of it changed. Every outcome is
// then one of: neither lands, either alone, or one after the other; and each of those is a
// sequential deploy from a pair, which the matrix evaluates.

// Concurrent is two deploys started at once from one pair, one per stack.
type Concurrent struct {
	From                  Pair
	WildRydes, RideRecord design.Step
	// Serialized: each deploy that changes its stack has a guard that runs, refuses beside the
	// other stack being deployed and checks again what its change set resolved.
	Serialized bool
	// Outcomes are the distinct pairs the system may end in: From (both refused, or both no-ops),
	// either deploy alone, one after the other in either order, and, unless Serialized, both
	// landing as checked against From.
	Outcomes []Pair
	// Overlapped is the pair both deploys land in when each is checked against From (nil when
	// one is refused there or changes nothing): the outcome serialization rules out.
	Overlapped *Pair
}

func (c Concurrent) String() string {
	return fmt.Sprintf("from %s, wild-rydes to step %d and ride-record to step %d at once", c.From, c.WildRydes, c.RideRecord)
}

// Concurrently works out what deploying wild-rydes at wr and ride-record at rr at once from from
// may lead to.
func (a *Analysis) Concurrently(ctx context.Context, from Pair, wr, rr design.Step) (Concurrent, error) {
	c := Concurrent{From: from, WildRydes: wr, RideRecord: rr}
	dW, dR := Deploy{From: from, Kind: design.WildRydes, Step: wr}, Deploy{From: from, Kind: design.RideRecord, Step: rr}
	vW, err := a.Evaluate(ctx, dW)
	if err != nil {
		return c, err
	}
	vR, err := a.Evaluate(ctx, dR)
	if err != nil {
		return c, err
	}
	landed := func(v Verdict) Pair {
		if v.Lands() {
			return v.To()
		}
		return v.From
	}
	add := func(p Pair) {
		if !slices.Contains(c.Outcomes, p) {
			c.Outcomes = append(c.Outcomes, p)
		}
	}
	add(from)
	add(landed(vW))
	add(landed(vR))
	for _, second := range []Deploy{{From: landed(vW), Kind: design.RideRecord, Step: rr}, {From: landed(vR), Kind: design.WildRydes, Step: wr}} {
		v, err := a.Evaluate(ctx, second)
		if err != nil {
			return c, err
		}
		add(landed(v))
	}
	if vW.Lands() && vR.Lands() {
		c.Overlapped = &Pair{WildRydes: State(wr), RideRecord: State(rr)}
	}
	c.Serialized = true
	for _, v := range []Verdict{vW, vR} {
		if v.NoChange {
			continue
		}
		ok, err := a.serializes(v.Deploy)
		if err != nil {
			return c, err
		}
		c.Serialized = c.Serialized && ok
	}
	if !c.Serialized && c.Overlapped != nil {
		add(*c.Overlapped)
	}
	return c, nil
}

// serializes reports whether deploy d's guard runs (CloudFormation calls it on a create or when
// its properties change), refuses while the other stack is being deployed and checks again every
// SSM-typed parameter of the new template.
func (a *Analysis) serializes(d Deploy) (bool, error) {
	next, err := a.templates(d.Kind, d.Step)
	if err != nil {
		return false, err
	}
	otherKind := design.RideRecord
	if d.Kind == design.RideRecord {
		otherKind = design.WildRydes
	}
	other, err := a.templates(otherKind, design.StepSynchronous)
	if err != nil {
		return false, err
	}
	sys, err := model.New(next)
	if err != nil {
		return false, err
	}
	st := sys.Stacks[0]
	for _, g := range st.Guards {
		if g.OtherStack != other.Name {
			continue
		}
		if s := d.From.Of(d.Kind); s != Absent {
			mine, err := a.templates(d.Kind, design.Step(s))
			if err != nil {
				return false, err
			}
			if !g.ChangedFrom(mine.Template) {
				continue
			}
		}
		rechecked := true
		for _, r := range st.Reads {
			rechecked = rechecked && (r.CDKBootstrap || slices.Contains(g.Requires, r.Name))
		}
		if rechecked {
			return true, nil
		}
	}
	return false, nil
}

// concurrent works out every pair of deploys from every pair.
func (a *Analysis) concurrent(ctx context.Context) ([]Concurrent, error) {
	var out []Concurrent
	for _, p := range Pairs() {
		for _, wr := range design.Steps() {
			for _, rr := range design.Steps() {
				c, err := a.Concurrently(ctx, p, wr, rr)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", c, err)
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// LostBy lists the outcomes of c that lose rides: an unsafe pair the deploys led to (From itself
// is not their doing). overlapped also counts Overlapped, as if the deploys were not serialized.
func (m *Matrix) LostBy(c Concurrent, overlapped bool) []Pair {
	var out []Pair
	outcomes := c.Outcomes
	if overlapped && c.Overlapped != nil && !slices.Contains(outcomes, *c.Overlapped) {
		outcomes = append(slices.Clone(outcomes), *c.Overlapped)
	}
	for _, p := range outcomes {
		if p != c.From && !m.Pairs[p].Safe {
			out = append(out, p)
		}
	}
	return out
}

// ConcurrentLost lists the pairs of concurrent deploys that may end in a LOST pair: with the
// templates' guards (must be none), and as it would be if they did not serialize the deploys.
func (m *Matrix) ConcurrentLost() (lost, unserialized []Concurrent) {
	for _, c := range m.Concurrent {
		if len(m.LostBy(c, false)) > 0 {
			lost = append(lost, c)
		}
		if len(m.LostBy(c, true)) > 0 {
			unserialized = append(unserialized, c)
		}
	}
	return lost, unserialized
}

// writeConcurrent prints the concurrent section of the matrix.
func (m *Matrix) writeConcurrent(w io.Writer) {
	lost, unserialized := m.ConcurrentLost()
	serialized, outcomes := 0, 0
	for _, c := range m.Concurrent {
		outcomes += len(c.Outcomes)
		if c.Serialized {
			serialized++
		}
	}
	fmt.Fprintf(w, "\nTwo deploys at once, one per stack, from every pair (each stack to any step, in either order and overlapping):\n")
	fmt.Fprintf(w, "  %d pairs of deploys, %d serialized by the guards (each refuses while the other stack is being deployed);\n", len(m.Concurrent), serialized)
	fmt.Fprintf(w, "  %d outcomes (both refused, one alone, one after the other); ending in a LOST pair: %d pairs of deploys.\n", outcomes, len(lost))
	for _, c := range lost {
		fmt.Fprintf(w, "    LOST %s: %v\n", c, m.LostBy(c, false))
	}
	fmt.Fprintf(w, "  Without that serialization, %d pairs of deploys could end in a LOST pair", len(unserialized))
	if len(unserialized) > 0 {
		c := unserialized[0]
		for _, u := range unserialized {
			if u.From == (Pair{WildRydes: State(design.StepPublish - 1), RideRecord: State(design.StepSubscriber)}) && u.WildRydes == design.StepPublish && u.RideRecord == design.StepTopic {
				c = u // the example of issue 16: wild-rydes and ride-record both at step 3
				break
			}
		}
		fmt.Fprintf(w, ", e.g. %s: %v", c, m.LostBy(c, true))
	}
	fmt.Fprintln(w, ".")
}
