package rollout

import (
	"context"
	"fmt"
	"slices"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// Revisions are the steps at which kind's template changes: the states a stack really has.
func Revisions(kind design.StackKind) []design.Step {
	var out []design.Step
	for _, s := range design.Steps() {
		if s.StackStep(kind) == s {
			out = append(out, s)
		}
	}
	return out
}

// Normal is s as the step whose template the stack has (Absent stays Absent).
func Normal(kind design.StackKind, s State) State {
	if s == Absent {
		return Absent
	}
	return State(design.Step(s).StackStep(kind))
}

// Plan is the moves from where the stacks are to both stacks at step to: one stack per move,
// each move one step of the refactor for that stack (or its creation), each accepted by
// CloudFormation and leaving the system safe; the fewest such moves.
func (a *Analysis) Plan(ctx context.Context, from Pair, to design.Step) ([]Deploy, error) {
	start := Pair{Normal(design.WildRydes, from.WildRydes), Normal(design.RideRecord, from.RideRecord)}
	goal := Pair{State(to.StackStep(design.WildRydes)), State(to.StackStep(design.RideRecord))}
	forward := State(to) >= max(start.WildRydes, start.RideRecord)
	path, found, err := a.shortest(ctx, start, goal, func(p Pair) []Deploy {
		var candidates []Deploy
		for _, kind := range Kinds {
			for _, step := range moves(kind, p.Of(kind)) {
				candidates = append(candidates, Deploy{From: p, Kind: kind, Step: step})
			}
		}
		// Among plans of equal length, the refactor's own order: forward, the lower step first;
		// back, the stack whose step is later is undone first.
		slices.SortStableFunc(candidates, func(x, y Deploy) int {
			if forward {
				return int(x.Step) - int(y.Step)
			}
			return int(y.From.Of(y.Kind)) - int(x.From.Of(x.Kind))
		})
		return candidates
	})
	if err != nil || found {
		return path, err
	}
	return nil, fmt.Errorf("no sequence of accepted, safe deploys leads from %s to step %d", start, to)
}

// moves are the steps a stack at s may be deployed at next: any of its states when it is
// absent, else the one before or after.
func moves(kind design.StackKind, s State) []design.Step {
	revs := Revisions(kind)
	if s == Absent {
		return revs
	}
	i := slices.Index(revs, design.Step(s))
	var out []design.Step
	if i > 0 {
		out = append(out, revs[i-1])
	}
	if i >= 0 && i+1 < len(revs) {
		out = append(out, revs[i+1])
	}
	return out
}

// Wait is a move of a plan that the guard lets through only once a parameter an earlier move of
// the plan changed has held an allowed value for a while (a condition's HeldFor): ride-record
// lets PutRideRecordSns go only once the rides published before wild-rydes stopped publishing
// have drained.
type Wait struct {
	// Move waits until For has passed since move After completed (indexes into the plan).
	Move, After int
	// Condition is the guard's: its Parameter, the values it allows and its HeldFor.
	Condition rolloutguard.Condition
}

// Waits lists the waits of plan. A parameter that changed shortly before the plan began is not
// seen here; the guard then refuses the move, saying how long to wait.
func (a *Analysis) Waits(plan []Deploy) ([]Wait, error) {
	var out []Wait
	for k, d := range plan {
		next, err := a.templates(d.Kind, d.Step)
		if err != nil {
			return nil, err
		}
		var prev *cfn.Template
		if s := d.From.Of(d.Kind); s != Absent {
			mine, err := a.templates(d.Kind, design.Step(s))
			if err != nil {
				return nil, err
			}
			prev = mine.Template
		}
		sys, err := model.New(next)
		if err != nil {
			return nil, err
		}
		for _, g := range sys.Stacks[0].Guards {
			if prev != nil && !g.ChangedFrom(prev) {
				continue // CloudFormation does not call it
			}
			for _, c := range g.Conditions {
				if c.HeldFor <= 0 {
					continue
				}
				for j := k - 1; j >= 0; j-- {
					before, err := a.values(plan[j].From)
					if err != nil {
						return nil, err
					}
					after, err := a.values(plan[j].To())
					if err != nil {
						return nil, err
					}
					if before[c.Parameter] == after[c.Parameter] {
						continue
					}
					if !c.Allows(before[c.Parameter]) {
						out = append(out, Wait{Move: k, After: j, Condition: c})
					}
					break
				}
			}
		}
	}
	return out, nil
}

// values are the SSM parameters the stacks of p write, "" for none.
func (a *Analysis) values(p Pair) (map[string]string, error) {
	stacks, err := a.stacks(p)
	if err != nil {
		return nil, err
	}
	return parameters(stacks)
}
