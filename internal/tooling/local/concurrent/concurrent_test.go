// Package concurrent_test runs two deploys at once on the local system from every safe pair of
// stack states: a package of its own, so that its minute of deploys runs beside the local
// system's other tests.
package concurrent_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
)

// env is every step of stage "test", synthesized once.
var env *localtest.Env

func TestMain(m *testing.M) {
	env = localtest.Setup()
	os.Exit(env.Run(m))
}

// CloudFormation updates two stacks at once. From every safe pair of stack states, two deploys
// started together, one per stack, to every pair of states each could move to, each order of
// start, never leave the system in a pair the rollout analysis calls unsafe, nor a stack wedged
// in a *_FAILED status: each ends refused, or landed, as the guards decide on the local system.
func TestTwoDeploysAtOnceFromEverySafePairNeverEndUnsafe(t *testing.T) {
	asms, err := env.Steps.All()
	if err != nil {
		t.Fatal(err)
	}
	a := rollout.New(rollout.FromAssemblies(asms, localtest.Stage))
	plan := &mover{t: t, a: a, ctx: context.Background(), edges: map[rollout.Pair][]rollout.Pair{}}
	// Every scenario: from a safe pair the system can be in (reached by accepted deploys and
	// deletes), one deploy per stack, each to a state other than its own, each order of start.
	var todo []scenario
	reachable := plan.distances(rollout.Pair{WildRydes: rollout.Absent, RideRecord: rollout.Absent})
	var froms []rollout.Pair
	for _, p := range plan.safePairs() {
		if _, ok := reachable[p]; !ok {
			t.Logf("%s is safe but no deploys reach it: no scenario starts there", p)
			continue
		}
		froms = append(froms, p)
		for _, tw := range rollout.Revisions(design.WildRydes) {
			for _, tr := range rollout.Revisions(design.RideRecord) {
				if rollout.State(tw) != p.WildRydes && rollout.State(tr) != p.RideRecord {
					todo = append(todo, scenario{p, tw, tr, true}, scenario{p, tw, tr, false})
				}
			}
		}
	}
	// The scenarios run on systems of their own, one per shard, side by side: the pairs they start
	// from dealt out in turn, so that each system moves among its own.
	const shards = 2
	var mu sync.Mutex
	outcomes := map[string]int{}
	start, total := time.Now(), len(todo)
	t.Run("shards", func(t *testing.T) {
		for shard := range shards {
			var mine []scenario
			for _, sc := range todo {
				if slices.Index(froms, sc.from)%shards == shard {
					mine = append(mine, sc)
				}
			}
			t.Run(fmt.Sprintf("%d of %d", shard+1, shards), func(t *testing.T) {
				t.Parallel()
				got := run(t, a, mine)
				mu.Lock()
				defer mu.Unlock()
				for k, n := range got {
					outcomes[k] += n
				}
			})
		}
	})
	t.Logf("%d scenarios from %d safe pairs in %s; what landed: %v", total, len(reachable), time.Since(start).Round(time.Second), outcomes)
}

// scenario is two deploys started together from a pair of stack states, one per stack.
type scenario struct {
	from       rollout.Pair
	wild, ride design.Step
	wildFirst  bool
}

// run runs the scenarios on a system of its own, and counts what landed.
func run(t *testing.T, a *rollout.Analysis, todo []scenario) map[string]int {
	sys := env.Start(t, localtest.Options{})
	st, err := sys.State()
	if err != nil {
		t.Fatal(err)
	}
	m := &mover{t: t, sys: sys, a: a, ctx: context.Background(),
		edges: map[rollout.Pair][]rollout.Pair{}, cfn: cloudformation.NewFromConfig(st.CloudFormationConfig())}
	outcomes := map[string]int{}
	for len(todo) > 0 {
		// The next scenario starts where the system is, else at the nearest pair: fewer moves.
		dist, best := m.distances(m.at()), 0
		for i, sc := range todo {
			if dist[sc.from] < dist[todo[best].from] {
				best = i
			}
		}
		sc := todo[best]
		todo = slices.Delete(todo, best, best+1)
		m.moveTo(sc.from)
		w, r := rollout.Deploy{From: sc.from, Kind: design.WildRydes, Step: sc.wild}, rollout.Deploy{From: sc.from, Kind: design.RideRecord, Step: sc.ride}
		if sc.wildFirst {
			outcomes[m.atOnce(w, r)]++
		} else {
			outcomes[m.atOnce(r, w)]++
		}
	}
	return outcomes
}

// mover moves a local system between pairs of stack states.
type mover struct {
	t     *testing.T
	ctx   context.Context
	sys   *local.System
	a     *rollout.Analysis
	edges map[rollout.Pair][]rollout.Pair // the pairs one accepted, safe deploy leads to
	cfn   *cloudformation.Client
}

func (m *mover) safePairs() []rollout.Pair {
	var out []rollout.Pair
	for _, w := range rollout.States() {
		for _, r := range rollout.States() {
			p := rollout.Pair{WildRydes: w, RideRecord: r}
			if rollout.Normal(design.WildRydes, w) != w || rollout.Normal(design.RideRecord, r) != r {
				continue
			}
			if s, err := m.a.Safety(p); err != nil {
				m.t.Fatal(err)
			} else if s.Safe {
				out = append(out, p)
			}
		}
	}
	return out
}

// at is where the stacks are: each stack that holds resources at its Step output, else absent;
// a stack wedged in a *_FAILED status fails the test.
func (m *mover) at() rollout.Pair {
	m.t.Helper()
	st, err := m.sys.State()
	if err != nil {
		m.t.Fatal(err)
	}
	out, err := m.cfn.DescribeStacks(m.ctx, &cloudformation.DescribeStacksInput{})
	if err != nil {
		m.t.Fatal(err)
	}
	for _, s := range out.Stacks {
		if strings.HasSuffix(string(s.StackStatus), "_FAILED") || strings.HasSuffix(string(s.StackStatus), "_IN_PROGRESS") {
			m.t.Fatalf("%s is %s (%s)", aws.ToString(s.StackName), s.StackStatus, aws.ToString(s.StackStatusReason))
		}
	}
	p := rollout.Pair{WildRydes: rollout.Absent, RideRecord: rollout.Absent}
	for _, kind := range rollout.Kinds {
		if s, ok := st.Stacks[design.StackName(kind, localtest.Stage)]; ok {
			n, err := strconv.Atoi(s.Outputs[design.StepOutput])
			if err != nil {
				m.t.Fatalf("%s says step %q", kind, s.Outputs[design.StepOutput])
			}
			p = p.With(kind, rollout.Normal(kind, rollout.State(n)))
		}
	}
	return p
}

// deploy deploys kind at step, retrying a refusal a few times: a guard may ask to wait (the
// subscriber is drained before a rollback deletes it).
func (m *mover) deploy(kind design.StackKind, step design.Step) {
	m.t.Helper()
	stack, err := env.Steps.Stack(kind, step)
	if err != nil {
		m.t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		err := m.sys.Deploy(m.ctx, stack)
		if err == nil {
			return
		}
		if attempt == 20 {
			m.t.Fatalf("moving %s to step %d: %v", kind, step, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// moveTo brings the system to p by the fewest deploys the analysis accepts and calls safe, and
// deletes (a stack deleted, as the CDK CLI or DeleteStack deletes it), through safe pairs.
func (m *mover) moveTo(p rollout.Pair) {
	m.t.Helper()
	at := m.at()
	path := m.path(at, p)
	if path == nil {
		m.t.Fatalf("no accepted, safe deploys lead from %s to %s", at, p)
	}
	for _, next := range path {
		for _, kind := range rollout.Kinds {
			switch {
			case next.Of(kind) == at.Of(kind):
			case next.Of(kind) == rollout.Absent:
				m.delete(design.StackName(kind, localtest.Stage))
			default:
				m.deploy(kind, design.Step(next.Of(kind)))
			}
		}
		if at = m.at(); at != next {
			m.t.Fatalf("moving to %s, the system is at %s", next, at)
		}
	}
}

// distances are how many moves away from p each pair it can reach is.
func (m *mover) distances(p rollout.Pair) map[rollout.Pair]int {
	dist := map[rollout.Pair]int{p: 0}
	for queue := []rollout.Pair{p}; len(queue) > 0; queue = queue[1:] {
		for _, q := range m.next(queue[0]) {
			if _, seen := dist[q]; !seen {
				dist[q] = dist[queue[0]] + 1
				queue = append(queue, q)
			}
		}
	}
	return dist
}

// path is the pairs from from (excluded) to to, each one delete or one accepted deploy away from
// the one before, all safe; nil: none.
func (m *mover) path(from, to rollout.Pair) []rollout.Pair {
	prev := map[rollout.Pair]rollout.Pair{from: from}
	queue := []rollout.Pair{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			out := []rollout.Pair{}
			for ; p != from; p = prev[p] {
				out = append([]rollout.Pair{p}, out...)
			}
			return out
		}
		for _, q := range m.next(p) {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}

func (m *mover) next(p rollout.Pair) []rollout.Pair {
	if out, ok := m.edges[p]; ok {
		return out
	}
	var out []rollout.Pair
	for _, kind := range rollout.Kinds {
		if gone := p.With(kind, rollout.Absent); p.Of(kind) != rollout.Absent {
			if s, err := m.a.Safety(gone); err != nil {
				m.t.Fatal(err)
			} else if s.Safe {
				out = append(out, gone)
			}
		}
		for _, step := range rollout.Revisions(kind) {
			v, err := m.a.Evaluate(m.ctx, rollout.Deploy{From: p, Kind: kind, Step: step})
			if err != nil {
				m.t.Fatal(err)
			}
			if v.Lands() && v.Result.Safe {
				out = append(out, v.To())
			}
		}
	}
	m.edges[p] = out
	return out
}

// atOnce starts first, then second while first is under way, and checks where they leave the
// system: one of the four pairs they can lead to, one the rollout analysis expects of them
// (Analysis.Concurrently), safe. It returns which landed.
func (m *mover) atOnce(first, second rollout.Deploy) string {
	m.t.Helper()
	var wg sync.WaitGroup
	errs := map[design.StackKind]error{}
	var mu sync.Mutex
	run := func(d rollout.Deploy) {
		stack, err := env.Steps.Stack(d.Kind, d.Step)
		if err == nil {
			err = m.sys.Deploy(m.ctx, stack)
		}
		mu.Lock()
		errs[d.Kind] = err
		mu.Unlock()
	}
	done := make(chan struct{})
	wg.Go(func() { run(first); close(done) })
	name := design.StackName(first.Kind, localtest.Stage)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if strings.HasSuffix(m.status(name), "_IN_PROGRESS") {
			break
		}
		select {
		case <-done:
			deadline = time.Now()
		default:
		}
	}
	wg.Go(func() { run(second) })
	wg.Wait()

	p := first.From
	what := fmt.Sprintf("from %s, %s at step %d started, then %s at step %d", p, first.Kind, first.Step, second.Kind, second.Step)
	got := m.at()
	steps := map[design.StackKind]design.Step{first.Kind: first.Step, second.Kind: second.Step}
	landed := map[design.StackKind]bool{}
	for _, kind := range rollout.Kinds {
		switch got.Of(kind) {
		case p.Of(kind):
		case rollout.State(steps[kind]):
			landed[kind] = true
		default:
			m.t.Errorf("%s: the system is at %s", what, got)
		}
	}
	safety, err := m.a.Safety(got)
	if err != nil {
		m.t.Fatal(err)
	}
	predicted, err := m.a.Concurrently(m.ctx, p, steps[design.WildRydes], steps[design.RideRecord])
	if err != nil {
		m.t.Fatal(err)
	}
	if !slices.Contains(predicted.Outcomes, got) {
		m.t.Errorf("%s: the system is at %s, which the rollout analysis does not expect of two deploys at once (%v)", what, got, predicted.Outcomes)
	}
	if !safety.Safe {
		m.t.Errorf("%s: both accepted (%v, %v), the system is at %s, unsafe: %s", what, errs[first.Kind], errs[second.Kind], got, safety.Why)
	}
	switch {
	case landed[design.WildRydes] && landed[design.RideRecord]:
		return "both"
	case len(landed) == 0:
		return "neither"
	}
	return string(slices.Collect(maps.Keys(landed))[0]) + " alone"
}

// delete deletes the stack through the SDK's DeleteStack, as a user would, and waits until it is
// gone.
func (m *mover) delete(name string) {
	m.t.Helper()
	if _, err := m.cfn.DeleteStack(m.ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		m.t.Fatalf("DeleteStack %s: %v", name, err)
	}
	for deadline := time.Now().Add(30 * time.Second); m.status(name) != ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			m.t.Fatalf("%s is %s 30 s after DeleteStack", name, m.status(name))
		}
	}
}

// status is the stack's status, as DescribeStacks says it ("": the stack does not exist).
func (m *mover) status(name string) string {
	out, err := m.cfn.DescribeStacks(m.ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var missing smithy.APIError
	switch {
	case errors.As(err, &missing) && missing.ErrorCode() == "ValidationError":
		return ""
	case err != nil:
		m.t.Fatalf("DescribeStacks %s: %v", name, err)
	}
	return string(out.Stacks[0].StackStatus)
}
