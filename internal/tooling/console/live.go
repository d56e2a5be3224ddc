package console

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// Figures are one node's live numbers; each kind of node uses its own.
type Figures struct {
	Status       map[string]int `json:",omitempty"` // a route's answers by HTTP status
	Invoked      int            `json:",omitempty"`
	Succeeded    int            `json:",omitempty"`
	Failed       int            `json:",omitempty"`
	Retried      int            `json:",omitempty"`
	DeadLettered int            `json:",omitempty"`
	Published    int            `json:",omitempty"` // a topic's messages
	Delivered    int            `json:",omitempty"` // a subscription's successful deliveries
	Items        *int           `json:",omitempty"` // a table's items
	Messages     *int           `json:",omitempty"` // a queue's messages
	State        string         `json:",omitempty"` // an alarm's: OK or ALARM
}

// Snapshot is every figure at one time, with the controls' state.
type Snapshot struct {
	Time    time.Time
	Figures map[string]*Figures // by node ID
	Fault   struct {
		Until   time.Time
		Refused int64
	}
	Steps  map[string]int `json:",omitempty"`
	Burst  BurstState
	Deploy DeployState
	Recent []Trace // the latest rides, newest first
	Lost   int64   // events a full buffer dropped
	// Alarms are every alarm with its state as the local CloudWatch evaluates it; Changes and
	// Outbox the latest state changes and emails, newest first.
	Alarms  []AlarmView
	Changes []cloudwatch.Transition
	Outbox  []sns.Mail
	// Limits are AWS's limits at work: throttles per second over the last two seconds, and each
	// table's burst capacity left.
	Limits local.LimitFigures
}

// Trace is one ride's path with timings.
type Trace struct {
	RideID string
	Start  time.Time
	Steps  []TraceStep
	// Ended is "table" or "dead-letter queue" once the ride got there; Reason says why it was
	// dead-lettered.
	Ended, Reason string
}

// TraceStep is one hop: At milliseconds after the ride's first event, taking Took ms.
type TraceStep struct {
	Time     time.Time `json:"-"`
	At, Took float64
	Node     string // the node ID it happened at
	What     string
	OK       bool
	Detail   string `json:",omitempty"`
}

const keptTraces = 2000

type live struct {
	sys *local.System
	mu  sync.Mutex
	top Topology
	// byName finds a node from what events carry: function names, route keys, topic ARNs.
	byName        map[string][]string
	figures       map[string]*Figures
	traces        map[string]*Trace
	order         []string
	version, sent int
	alarmViews    []AlarmView
	changes       []cloudwatch.Transition
	outbox        []sns.Mail
	ddb           *dynamodb.Client
	sqs           *sqs.Client
}

func newLive(sys *local.System, asm *cfn.Assembly) (*live, error) {
	st, err := sys.State()
	if err != nil {
		return nil, err
	}
	// The emulator itself, not the fault switch: the figures stay true during an outage.
	cfg := st.Config()
	l := &live{sys: sys, traces: map[string]*Trace{}, figures: map[string]*Figures{},
		ddb: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
	if asm != nil {
		if err := l.draw(asm); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// draw draws the system of asm, as the local system runs it; figures of nodes that stay are
// kept.
func (l *live) draw(asm *cfn.Assembly) error {
	t, err := TopologyOf(asm)
	if err != nil {
		return err
	}
	st, err := l.sys.State()
	if err != nil {
		return err
	}
	l.setTopology(t, st)
	return nil
}

// setTopology draws a new step, with the physical names of st.
func (l *live) setTopology(t Topology, st localstate.State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.top, l.byName = t, map[string][]string{}
	for _, n := range t.Nodes {
		if l.figures[n.ID] == nil {
			l.figures[n.ID] = &Figures{}
		}
		name := st.Stacks[n.Stack].Physical[n.LogicalID]
		switch n.Kind {
		case "route":
			name = n.Label
		case "function":
			name = name[strings.LastIndex(name, ":")+1:] // a name or an ARN
		}
		l.byName[name] = append(l.byName[name], n.ID)
	}
	l.version++
}

func (l *live) topology() Topology {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.top
}

func (l *live) changed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.version != l.sent
	l.sent = l.version
	return c
}

// apply counts one event on its nodes and adds it to its ride's trace.
func (l *live) apply(ev events.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++
	var key string
	switch ev.Kind {
	case "request":
		key = ev.Route
	case "publish":
		key = ev.Topic
	case "fault":
		return
	default:
		key = ev.Function
	}
	nodes := l.byName[key]
	for _, id := range nodes {
		f := l.figures[id]
		switch ev.Kind {
		case "request":
			if f.Status == nil {
				f.Status = map[string]int{}
			}
			f.Status[strconv.Itoa(ev.Status)]++
		case "invoke":
			f.Invoked++
			if ev.OK {
				f.Succeeded++
			} else {
				f.Failed++
			}
		case "attempt":
			if ev.Retry {
				f.Retried++
			}
			if ev.OK {
				for _, sub := range l.from("subscription", "async invoke", id) {
					l.figures[sub].Delivered++
				}
			}
		case "deadletter":
			f.DeadLettered++
		case "publish":
			f.Published++
		}
	}
	if ev.RideID == "" || len(nodes) == 0 {
		return
	}
	l.addStep(ev, nodes[0])
}

// from lists the nodes of kind with an edge labelled label to id.
func (l *live) from(kind, label, id string) []string {
	var out []string
	for _, e := range l.top.Edges {
		if n, _ := l.top.node(e.From); e.To == id && e.Label == label && n.Kind == kind {
			out = append(out, e.From)
		}
	}
	return out
}

// to lists the nodes id has an edge labelled label to.
func (l *live) to(id, label string) []Node {
	var out []Node
	for _, e := range l.top.Edges {
		if e.From == id && e.Label == label {
			if n, ok := l.top.node(e.To); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

func (l *live) addStep(ev events.Event, node string) {
	t := l.traces[ev.RideID]
	if t == nil {
		t = &Trace{RideID: ev.RideID}
		l.traces[ev.RideID] = t
		l.order = append(l.order, ev.RideID)
		if len(l.order) > keptTraces {
			delete(l.traces, l.order[0])
			l.order = l.order[1:]
		}
	}
	n, _ := l.top.node(node)
	step := TraceStep{Time: ev.Time.Add(-ev.Duration), Took: ms(ev.Duration), Node: node, OK: ev.OK}
	stores := func(fn string) bool { return len(l.to(fn, "PutItem")) > 0 }
	switch ev.Kind {
	case "request":
		step.OK = ev.Status < 400
		step.What = n.Label
		for _, fn := range l.to(node, "invokes") {
			step.What += " → " + fn.Label
			if step.OK && stores(fn.ID) {
				t.Ended = "table"
			}
		}
		step.Detail = strconv.Itoa(ev.Status)
	case "publish":
		step.What = "publish to " + n.Label
	case "attempt":
		step.What = fmt.Sprintf("%s attempt %d", n.Label, ev.Attempt)
		switch {
		case ev.OK:
			step.Detail = "delivered"
			if stores(node) {
				t.Ended, t.Reason = "table", ""
			}
		case ev.Retry:
			step.Detail = "failed, will retry: " + ev.Error
		default:
			step.Detail = "failed: " + ev.Error
		}
	case "deadletter":
		step.What = "dead-lettered"
		if queues := l.to(node, "failed attempts"); len(queues) > 0 {
			step.What += " to " + queues[0].Label
		}
		step.Detail = ev.Error
		t.Ended, t.Reason = "dead-letter queue", ev.Error
		if !ev.OK {
			t.Ended = "dropped"
		}
	default:
		return
	}
	t.Steps = append(t.Steps, step)
}

// redriven marks rides a re-drive stored.
func (l *live) redriven(rides []string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++
	for _, id := range rides {
		if t := l.traces[id]; t != nil {
			t.Steps = append(t.Steps, TraceStep{Time: at, What: "re-driven from the dead-letter queue", OK: true, Detail: "stored"})
			t.Ended, t.Reason = "table", ""
		}
	}
}

// render orders a trace's steps and times them from its first.
func render(t *Trace) Trace {
	out := *t
	out.Steps = append([]TraceStep(nil), t.Steps...)
	sort.SliceStable(out.Steps, func(i, j int) bool { return out.Steps[i].Time.Before(out.Steps[j].Time) })
	if len(out.Steps) > 0 {
		out.Start = out.Steps[0].Time
	}
	for i := range out.Steps {
		out.Steps[i].At = ms(out.Steps[i].Time.Sub(out.Start))
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (l *live) trace(id string) (Trace, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.traces[id]
	if !ok {
		return Trace{}, false
	}
	return render(t), true
}

func (l *live) snapshot() Snapshot {
	snap := Snapshot{Time: time.Now(), Figures: map[string]*Figures{}, Lost: l.sys.Events().Lost(),
		Limits: l.sys.LimitFigures(2 * time.Second)}
	snap.Fault.Until, snap.Fault.Refused = l.sys.TableFault()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.top.Nodes {
		f := *l.figures[n.ID]
		snap.Figures[n.ID] = &f
	}
	snap.Alarms, snap.Changes, snap.Outbox = l.alarmViews, l.changes, l.outbox
	for i := len(l.order) - 1; i >= 0 && len(snap.Recent) < 6; i-- {
		snap.Recent = append(snap.Recent, render(l.traces[l.order[i]]))
	}
	return snap
}

// touch marks the figures changed (a control moved).
func (l *live) touch() {
	l.mu.Lock()
	l.version++
	l.mu.Unlock()
}
