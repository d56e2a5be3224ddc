package rollout

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// Matrix is every pair of stack states, every deploy into each pair, and every two deploys at
// once (one per stack) from each pair.
type Matrix struct {
	Pairs      map[Pair]Safety
	Verdicts   []Verdict
	Concurrent []Concurrent
}

// Pairs lists every pair of stack states, wild-rydes first.
func Pairs() []Pair {
	var out []Pair
	for _, wr := range States() {
		for _, rr := range States() {
			out = append(out, Pair{WildRydes: wr, RideRecord: rr})
		}
	}
	return out
}

// Matrix evaluates every deploy (each stack at each step) from every pair, and every two
// deploys at once.
func (a *Analysis) Matrix(ctx context.Context) (*Matrix, error) {
	m := &Matrix{Pairs: map[Pair]Safety{}}
	for _, p := range Pairs() {
		s, err := a.Safety(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		m.Pairs[p] = s
		for _, kind := range Kinds {
			for _, step := range design.Steps() {
				v, err := a.Evaluate(ctx, Deploy{From: p, Kind: kind, Step: step})
				if err != nil {
					return nil, fmt.Errorf("deploying %s at step %d into %s: %w", kind, step, p, err)
				}
				m.Verdicts = append(m.Verdicts, v)
			}
		}
	}
	var err error
	m.Concurrent, err = a.concurrent(ctx)
	return m, err
}

// Unsafe lists the pairs in which a ride is lost or stored twice.
func (m *Matrix) Unsafe() []Pair {
	var out []Pair
	for _, p := range Pairs() {
		if !m.Pairs[p].Safe {
			out = append(out, p)
		}
	}
	return out
}

// Key identifies a deploy by what decides its outcome: the stack, its step and where the other
// stack is (the deployed stack's own previous step changes neither refusal nor result).
type Key struct {
	Kind  design.StackKind
	Step  design.Step
	Other State
}

func (k Key) String() string {
	other := design.RideRecord
	if k.Kind == design.RideRecord {
		other = design.WildRydes
	}
	return fmt.Sprintf("%s at step %d with %s %s", k.Kind, k.Step, other, k.Other)
}

// KeyOf is the verdict's key.
func KeyOf(v Verdict) Key {
	other := design.RideRecord
	if v.Kind == design.RideRecord {
		other = design.WildRydes
	}
	return Key{Kind: v.Kind, Step: v.Step, Other: v.From.Of(other)}
}

// UnsafeAccepted lists the deploys CloudFormation accepts into an unsafe pair, and the distinct
// keys among them.
func (m *Matrix) UnsafeAccepted() (all []Verdict, keys []Key) {
	seen := map[Key]bool{}
	for _, v := range m.Verdicts {
		if v.UnsafeAccepted() {
			all = append(all, v)
			if k := KeyOf(v); !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return all, keys
}

// FreshInstall is the shortest sequence of deploys, each accepted and each leaving the system
// safe, from nothing deployed to every stack at the final step.
func (a *Analysis) FreshInstall(ctx context.Context) ([]Deploy, error) {
	goal := Pair{State(design.FinalStep), State(design.FinalStep)}
	path, found, err := a.shortest(ctx, Pair{Absent, Absent}, goal, func(p Pair) []Deploy {
		var out []Deploy
		for _, kind := range Kinds {
			for _, step := range design.Steps() {
				out = append(out, Deploy{From: p, Kind: kind, Step: step})
			}
		}
		return out
	})
	if err == nil && !found {
		err = fmt.Errorf("no sequence of accepted, safe deploys reaches %s", goal)
	}
	return path, err
}

// shortest is the fewest deploys from start to goal, each one of candidates(the pair it starts
// from), accepted by CloudFormation and leaving the system safe: a breadth-first search, so among
// paths of equal length the one whose candidates come first. found is false when none exists.
func (a *Analysis) shortest(ctx context.Context, start, goal Pair, candidates func(Pair) []Deploy) (path []Deploy, found bool, err error) {
	prev := map[Pair]Deploy{}
	seen := map[Pair]bool{start: true}
	queue := []Pair{start}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == goal {
			for q := goal; q != start; q = prev[q].From {
				path = append([]Deploy{prev[q]}, path...)
			}
			return path, true, nil
		}
		for _, d := range candidates(p) {
			v, err := a.Evaluate(ctx, d)
			if err != nil {
				return nil, false, err
			}
			if to := v.To(); v.Lands() && v.Result.Safe && !seen[to] {
				seen[to] = true
				prev[to] = v.Deploy
				queue = append(queue, to)
			}
		}
	}
	return nil, false, nil
}

// Write prints the matrix for users: the safety of every pair, every deploy into an unsafe pair
// with what refuses it, the counts, and the fresh-install sequence.
func (m *Matrix) Write(w io.Writer, stage string, fresh []Deploy) {
	fmt.Fprintf(w, "Pairs of stack states (rows: wild-rydes-%s, columns: wild-rydes-ride-record-%s).\n", stage, stage)
	fmt.Fprintf(w, "ok: every accepted ride reaches the table by exactly one path; LOST: it can be lost (or stored twice).\n\n")
	header := fmt.Sprintf("%-10s", "")
	for _, rr := range States() {
		header += fmt.Sprintf(" %-7s", short(rr))
	}
	fmt.Fprintln(w, strings.TrimRight(header, " "))
	for _, wr := range States() {
		line := fmt.Sprintf("%-10s", short(wr))
		for _, rr := range States() {
			cell := "ok"
			if !m.Pairs[Pair{wr, rr}].Safe {
				cell = "LOST"
			}
			line += fmt.Sprintf(" %-7s", cell)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}

	fmt.Fprintf(w, "\nDeploys into a LOST pair, by stack, step and where the other stack is:\n")
	type entry struct {
		v     Verdict
		count int
	}
	var order []Key
	entries := map[Key]*entry{}
	for _, v := range m.Verdicts {
		if v.NoChange || m.Pairs[v.To()].Safe {
			continue
		}
		k := KeyOf(v)
		if entries[k] == nil {
			order = append(order, k)
			entries[k] = &entry{v: v}
		}
		entries[k].count++
		if !v.Refused {
			entries[k].v = v // one accepted deploy of the key is enough to show
		}
	}
	for _, k := range order {
		e := entries[k]
		if e.v.Refused {
			fmt.Fprintf(w, "  %-62s refused by %s %s\n", k.String()+":", e.v.By, e.v.Parameter)
		} else {
			fmt.Fprintf(w, "  %-62s ACCEPTED (from %s): %s\n", k.String()+":", e.v.From, m.Pairs[e.v.To()].Why)
		}
	}
	all, keys := m.UnsafeAccepted()
	refused := 0
	for _, v := range m.Verdicts {
		if v.Refused {
			refused++
		}
	}
	fmt.Fprintf(w, "\n%d pairs, %d LOST; %d deploys evaluated, %d refused by CloudFormation; "+
		"accepted into a LOST pair: %d deploys (%d by stack, step and the other stack's state).\n",
		len(m.Pairs), len(m.Unsafe()), len(m.Verdicts), refused, len(all), len(keys))
	m.writeConcurrent(w)
	if len(fresh) > 0 {
		fmt.Fprintf(w, "\nFresh install, through safe states only:\n")
		for _, d := range fresh {
			fmt.Fprintf(w, "  %s\n", d.Command(stage))
		}
	}
}

func short(s State) string {
	if s == Absent {
		return "absent"
	}
	return fmt.Sprintf("%d", int(s))
}
