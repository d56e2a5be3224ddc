// Package rollout works out, from the synthesized templates of every step, which deploys
// CloudFormation refuses and which states of the two stacks are safe (a ride RequestRide accepts
// reaches the table by exactly one path), for the proof test, `wildrydes steps --matrix` and
// `wildrydes rollout`. It reads the templates through the model (internal/tooling/model) and evaluates
// the guards' conditions with the guard's own code (internal/service/rolloutguard); it imports no CDK.
package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// State is where one stack is: the step it was deployed at, or Absent.
type State int

// Absent: the stack is not deployed.
const Absent State = -1

func (s State) String() string {
	if s == Absent {
		return "absent"
	}
	return fmt.Sprintf("step %d", int(s))
}

// States lists Absent and every step.
func States() []State {
	out := []State{Absent}
	for _, s := range design.Steps() {
		out = append(out, State(s))
	}
	return out
}

// Kinds are the two stacks, in the order a fresh install creates them.
var Kinds = []design.StackKind{design.RideRecord, design.WildRydes}

// Pair is the state of the system: where each stack is.
type Pair struct{ WildRydes, RideRecord State }

// Of is where kind is.
func (p Pair) Of(kind design.StackKind) State {
	if kind == design.WildRydes {
		return p.WildRydes
	}
	return p.RideRecord
}

// With is p with kind at s.
func (p Pair) With(kind design.StackKind, s State) Pair {
	if kind == design.WildRydes {
		p.WildRydes = s
	} else {
		p.RideRecord = s
	}
	return p
}

func (p Pair) String() string {
	return fmt.Sprintf("wild-rydes %s, ride-record %s", p.WildRydes, p.RideRecord)
}

// Templates gives the synthesized stack of kind at step.
type Templates func(kind design.StackKind, step design.Step) (*cfn.Stack, error)

// FromAssemblies reads the templates of each step from its cloud assembly (one per step).
func FromAssemblies(asms map[design.Step]*cfn.Assembly, stage string) Templates {
	return func(kind design.StackKind, step design.Step) (*cfn.Stack, error) {
		a, ok := asms[step]
		if !ok {
			return nil, fmt.Errorf("no cloud assembly for step %d", step)
		}
		st, ok := a.Stacks[design.StackName(kind, stage)]
		if !ok {
			return nil, fmt.Errorf("the assembly of step %d has no stack %s", step, design.StackName(kind, stage))
		}
		return st, nil
	}
}

// Analysis answers questions about the pairs of stack states and the deploys between them.
type Analysis struct {
	templates Templates

	mu       sync.Mutex
	verdicts map[Deploy]Verdict // what Evaluate worked out already: it depends on nothing else
	safety   map[Pair]Safety
}

// New is an analysis of the system the templates describe.
func New(t Templates) *Analysis {
	return &Analysis{templates: t, verdicts: map[Deploy]Verdict{}, safety: map[Pair]Safety{}}
}

// stacks are the templates of the stacks deployed in p.
func (a *Analysis) stacks(p Pair) ([]*cfn.Stack, error) {
	var out []*cfn.Stack
	for _, kind := range Kinds {
		if s := p.Of(kind); s != Absent {
			st, err := a.templates(kind, design.Step(s))
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// Safety says whether a pair is safe: with wild-rydes deployed, every ride RequestRide accepts
// reaches a function that stores it by exactly one path, and nothing loses it on the way.
type Safety struct {
	Safe bool
	// Why is the ride's path when safe, what goes wrong otherwise.
	Why string
}

// Safety of p, from the model's one implementation of where a ride goes.
func (a *Analysis) Safety(p Pair) (Safety, error) {
	a.mu.Lock()
	s, ok := a.safety[p]
	a.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := a.safetyOf(p)
	if err == nil {
		a.mu.Lock()
		a.safety[p] = s
		a.mu.Unlock()
	}
	return s, err
}

func (a *Analysis) safetyOf(p Pair) (Safety, error) {
	if p.WildRydes == Absent {
		return Safety{Safe: true, Why: "wild-rydes is not deployed: no ride is accepted"}, nil
	}
	stacks, err := a.stacks(p)
	if err != nil {
		return Safety{}, err
	}
	sys, err := model.New(stacks...)
	if err != nil {
		return Safety{}, err
	}
	deliveries := sys.Deliveries()
	if len(deliveries) == 0 {
		return Safety{Why: "no function hands off the rides it accepts"}, nil
	}
	var paths, problems []string
	for _, d := range deliveries {
		for _, pt := range d.Paths {
			paths = append(paths, pt.String())
		}
		problems = append(problems, d.Problems...)
		if len(d.Paths) != 1 && len(d.Problems) == 0 {
			problems = append(problems, fmt.Sprintf("a ride %s accepts reaches the table by %d paths", d.From.LogicalID, len(d.Paths)))
		}
	}
	if len(problems) > 0 {
		return Safety{Why: strings.Join(problems, "; ")}, nil
	}
	return Safety{Safe: true, Why: strings.Join(paths, "; ")}, nil
}

// Deploy is deploying Kind at Step when the system is in From.
type Deploy struct {
	From Pair
	Kind design.StackKind
	Step design.Step
}

// To is the pair the deploy leads to when CloudFormation accepts it.
func (d Deploy) To() Pair { return d.From.With(d.Kind, State(d.Step)) }

// Command is the hand-typed command of the deploy.
func (d Deploy) Command(stage string) string {
	return fmt.Sprintf("cdk deploy -c stage=%s -c step=%d %s", stage, d.Step, design.StackName(d.Kind, stage))
}

// Verdict is what CloudFormation does with a deploy, and where it leaves the system.
type Verdict struct {
	Deploy
	// NoChange: the stack's template is already the one deployed; cdk deploys nothing.
	NoChange bool
	// Refused: CloudFormation fails the deploy before anything changes, because of Parameter, with
	// the message it would give.
	Refused            bool
	Parameter, Message string
	// By is "parameter" (an SSM-typed template parameter) or "guard" (Custom::RolloutGuard).
	By string
	// Result is the safety of the pair the system is in afterwards (From when refused).
	Result Safety
}

// Lands reports whether the deploy changes the system: accepted and not a no-op.
func (v Verdict) Lands() bool { return !v.NoChange && !v.Refused }

// UnsafeAccepted reports a deploy CloudFormation accepts into an unsafe pair.
func (v Verdict) UnsafeAccepted() bool { return v.Lands() && !v.Result.Safe }

// Evaluate says what CloudFormation does with d: the SSM-typed parameters of the new template
// must name parameters that exist (written by the templates currently deployed, or by CDK's
// bootstrap), and the guard, which CloudFormation runs when the stack is created or its properties
// changed, evaluates the conditions of the new template against the parameters that exist.
func (a *Analysis) Evaluate(ctx context.Context, d Deploy) (Verdict, error) {
	a.mu.Lock()
	v, ok := a.verdicts[d]
	a.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := a.evaluate(ctx, d)
	if err == nil {
		a.mu.Lock()
		a.verdicts[d] = v
		a.mu.Unlock()
	}
	return v, err
}

func (a *Analysis) evaluate(ctx context.Context, d Deploy) (Verdict, error) {
	v := Verdict{Deploy: d}
	next, err := a.templates(d.Kind, d.Step)
	if err != nil {
		return v, err
	}
	current, err := a.stacks(d.From)
	if err != nil {
		return v, err
	}
	var mine *cfn.Stack
	for _, st := range current {
		if st.Name == next.Name {
			mine = st
		}
	}
	result := d.To()
	if mine != nil && mine.Template.Same(next.Template) {
		v.NoChange, result = true, d.From
	} else if refusal, err := refuses(ctx, current, mine, next); err != nil {
		return v, err
	} else if refusal != nil {
		v.Refused, v.Parameter, v.Message, v.By = true, refusal.Parameter, refusal.Message, refusal.By
		result = d.From
	}
	v.Result, err = a.Safety(result)
	return v, err
}

// refuses is Refuses for deploying next over mine (nil: new) while the other stacks are current:
// SSM holds what their templates write.
func refuses(ctx context.Context, current []*cfn.Stack, mine, next *cfn.Stack) (*Refusal, error) {
	values, err := parameters(current)
	if err != nil {
		return nil, err
	}
	var prev *cfn.Template
	if mine != nil {
		prev = mine.Template
	}
	r, err := Refuses(ctx, prev, next.Template, func(_ context.Context, name string) (string, bool, error) {
		v, ok := values[name]
		return v, ok, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", next.Name, err)
	}
	return r, nil
}

// parameters are the SSM parameters the stacks write, by name, with their values.
func parameters(stacks []*cfn.Stack) (map[string]string, error) {
	values := map[string]string{}
	if len(stacks) == 0 {
		return values, nil
	}
	sys, err := model.New(stacks...)
	if err != nil {
		return nil, err
	}
	for _, st := range sys.Stacks {
		for _, p := range st.Parameters {
			values[p.Name] = literal(p.Value)
		}
	}
	return values, nil
}

// literal is a parameter's value as the guard would read it: the string the template writes, or,
// for a value only known once deployed (a topic's ARN), a non-empty stand-in.
func literal(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return "<resolved at deploy time: " + string(b) + ">"
}
