package rollout

import (
	"context"
	"fmt"
	"slices"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
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
