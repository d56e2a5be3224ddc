package console

import (
	"fmt"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// TopologyOf draws the system of the synthesized assembly from the model of it
// (internal/tooling/model): what is drawn, and every edge, is what the templates wire; nothing
// here knows a logical ID. An error says the model could not be made of the templates.
func TopologyOf(asm *cfn.Assembly) (Topology, error) {
	sys, err := model.FromAssemblies(asm)
	if err != nil {
		return Topology{}, fmt.Errorf("drawing the system: %w", err)
	}
	return topologyOfModel(sys), nil
}

func topologyOfModel(sys *model.System) Topology {
	var t Topology
	add := func(r *model.Resource, kind, label string, v any) Node {
		n := Node{ID: r.ID(), Stack: r.Stack.Name, LogicalID: r.LogicalID, Kind: kind, Label: label, Role: role(sys, v)}
		t.Nodes = append(t.Nodes, n)
		return n
	}
	for _, st := range sys.Stacks {
		t.Stacks = append(t.Stacks, st.Name)
		for _, r := range st.Routes {
			add(&r.Resource, "route", r.Key, r)
		}
		for _, f := range st.Functions {
			add(&f.Resource, "function", withoutHash(f.LogicalID), f)
		}
		for _, tp := range st.Topics {
			add(&tp.Resource, "topic", withoutHash(tp.LogicalID), tp)
		}
		for _, sub := range st.Subscriptions {
			add(&sub.Resource, "subscription", withoutHash(sub.LogicalID), sub)
		}
		for _, tb := range st.Tables {
			add(&tb.Resource, "table", withoutHash(tb.LogicalID), tb)
		}
		for _, q := range st.Queues {
			add(&q.Resource, "queue", withoutHash(q.LogicalID), q)
		}
		for _, a := range st.Alarms {
			add(&a.Resource, "alarm", withoutHash(a.LogicalID), a)
			t.Nodes[len(t.Nodes)-1].Threshold, t.Nodes[len(t.Nodes)-1].Comparison = a.Threshold, a.Comparison
		}
	}
	for _, st := range sys.Stacks {
		for _, r := range st.Routes {
			if r.Function != nil {
				t.edge(r.ID(), r.Function.ID(), "invokes")
			}
		}
		for _, sub := range st.Subscriptions {
			if sub.Topic != nil {
				t.edge(sub.Topic.ID(), sub.ID(), "delivers")
			}
			if sub.Function != nil {
				t.edge(sub.ID(), sub.Function.ID(), "async invoke")
			}
			if sub.DeadLetter != nil {
				t.edge(sub.ID(), sub.DeadLetter.ID(), "undeliverable")
			}
		}
		for _, f := range st.Functions {
			if f.DeadLetter != nil {
				t.edge(f.ID(), f.DeadLetter.ID(), "failed attempts")
			}
			for _, r := range sys.RoutesAt(f, design.EnvRecordURL) {
				t.edge(f.ID(), r.ID(), "HTTP")
			}
			// What the function's role lets it do to the tables, topics and queues of its stack.
			for _, tb := range st.Tables {
				if f.Allows(model.PutItem, &tb.Resource) {
					t.edge(f.ID(), tb.ID(), "PutItem")
				}
			}
			for _, tp := range st.Topics {
				if f.Allows("sns:Publish", &tp.Resource) {
					t.edge(f.ID(), tp.ID(), "publish")
				}
			}
			for _, q := range st.Queues {
				if f.Allows("sqs:ReceiveMessage", &q.Resource) {
					t.edge(q.ID(), f.ID(), "re-drives")
				}
			}
		}
		for _, a := range st.Alarms {
			// What the alarm watches, and the topic it notifies.
			for _, d := range a.Dimensions {
				switch r := sys.Target(st, d).(type) {
				case *model.Queue:
					t.edge(r.ID(), a.ID(), "alarm")
				case *model.Function:
					t.edge(r.ID(), a.ID(), "alarm")
				case *model.Table:
					t.edge(r.ID(), a.ID(), "alarm")
				case *model.API:
					for _, route := range st.Routes {
						if route.API == r {
							t.edge(route.ID(), a.ID(), "alarm")
						}
					}
				}
			}
			for _, action := range a.Actions {
				if tp, ok := sys.Target(st, action).(*model.Topic); ok {
					t.edge(a.ID(), tp.ID(), "notifies")
				}
			}
		}
	}
	return t
}

func (t *Topology) edge(from, to, label string) {
	if from == to {
		return
	}
	if _, ok := t.node(from); !ok {
		return
	}
	for _, e := range t.Edges {
		if e.From == from && e.To == to {
			return
		}
	}
	t.Edges = append(t.Edges, Edge{From: from, To: to, Label: label})
}
