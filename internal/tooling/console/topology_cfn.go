package console

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// TopologyOf reads the system from the synthesized assembly. Nothing here knows a logical ID:
// resources are found by type and wired by what their properties reference.
func TopologyOf(asm *cfn.Assembly) Topology {
	var t Topology
	for name := range asm.Stacks {
		t.Stacks = append(t.Stacks, name)
	}
	sort.Strings(t.Stacks)
	kinds := map[string]string{"AWS::ApiGatewayV2::Route": "route", "AWS::Lambda::Function": "function",
		"AWS::SNS::Topic": "topic", "AWS::SNS::Subscription": "subscription", "AWS::DynamoDB::Table": "table",
		"AWS::SQS::Queue": "queue", "AWS::CloudWatch::Alarm": "alarm"}
	ssm := map[string]string{}      // SSM parameter name -> ID of what its value references
	routes := map[string][]string{} // API -> its routes
	for _, name := range t.Stacks {
		tpl := asm.Stacks[name].Template
		for _, r := range sorted(tpl) {
			id := name + "/" + r.LogicalID
			if kind, ok := kinds[r.Type]; ok {
				n := Node{ID: id, Stack: name, LogicalID: r.LogicalID, Kind: kind, Label: r.LogicalID}
				switch kind {
				case "route":
					n.Label, _ = r.Properties["RouteKey"].(string)
					for _, api := range refs(r.Properties["ApiId"]) {
						routes[name+"/"+api] = append(routes[name+"/"+api], id)
					}
				case "alarm":
					n.Threshold, _ = r.Properties["Threshold"].(float64)
					n.Comparison, _ = r.Properties["ComparisonOperator"].(string)
				}
				t.Nodes = append(t.Nodes, n)
			}
			if r.Type == "AWS::SSM::Parameter" {
				if pname, ok := r.Properties["Name"].(string); ok {
					for _, ref := range refs(r.Properties["Value"]) {
						ssm[pname] = name + "/" + ref
					}
				}
			}
		}
	}
	for _, name := range t.Stacks {
		t.wire(name, asm.Stacks[name].Template, ssm, routes)
	}
	return t
}

func (t *Topology) wire(stack string, tpl *cfn.Template, ssm map[string]string, routes map[string][]string) {
	// expand is id itself when it is a node, or the routes of an API.
	expand := func(id string) []string {
		if _, ok := t.node(id); ok {
			return []string{id}
		}
		return routes[id]
	}
	// resolve turns a reference into node IDs: a resource of this stack, an SSM parameter another
	// stack writes, or an API (its routes).
	var resolve func(ref string) []string
	resolve = func(ref string) []string {
		if p, ok := tpl.Parameters[ref]; ok && p.Default != nil && strings.HasPrefix(p.Type, "AWS::SSM::Parameter::Value") {
			if target, ok := ssm[*p.Default]; ok {
				return expand(target)
			}
			return nil
		}
		if r, ok := tpl.Resources[ref]; ok {
			switch r.Type {
			case "AWS::ApiGatewayV2::Integration":
				var out []string
				for _, f := range refs(r.Properties["IntegrationUri"]) {
					out = append(out, resolve(f)...)
				}
				return out
			case "AWS::IAM::Role":
				return nil
			}
		}
		return expand(stack + "/" + ref)
	}
	link := func(from string, v any, label string) {
		for _, ref := range refs(v) {
			for _, to := range resolve(ref) {
				t.edge(from, to, label)
			}
		}
	}
	roles := map[string][]string{} // role -> functions
	for _, r := range sorted(tpl) {
		id := stack + "/" + r.LogicalID
		p := r.Properties
		switch r.Type {
		case "AWS::ApiGatewayV2::Route":
			link(id, p["Target"], "invokes")
		case "AWS::SNS::Subscription":
			for _, ref := range refs(p["TopicArn"]) {
				for _, topic := range resolve(ref) {
					t.edge(topic, id, "delivers")
				}
			}
			link(id, p["Endpoint"], "async invoke")
			link(id, p["RedrivePolicy"], "undeliverable")
		case "AWS::Lambda::Function":
			link(id, p["DeadLetterConfig"], "failed attempts")
			if env, ok := p["Environment"].(map[string]any); ok {
				for _, ref := range refs(env) {
					for _, to := range resolve(ref) {
						if n, _ := t.node(to); n.Kind == "route" {
							t.edge(id, to, "HTTP")
						}
					}
				}
			}
			for _, role := range refs(p["Role"]) {
				roles[role] = append(roles[role], id)
			}
		case "AWS::CloudWatch::Alarm":
			for _, ref := range refs(p["Dimensions"]) {
				for _, q := range resolve(ref) {
					t.edge(q, id, "alarm")
				}
			}
		}
	}
	// What each function's policy lets it do to the table, the topic and the queue.
	actions := map[string]string{"dynamodb:PutItem": "PutItem", "sns:Publish": "publish", "sqs:ReceiveMessage": "re-drives"}
	for _, r := range tpl.ResourcesOfType("AWS::IAM::Policy") {
		doc, _ := r.Properties["PolicyDocument"].(map[string]any)
		stmts, _ := doc["Statement"].([]any)
		for _, s := range stmts {
			st, _ := s.(map[string]any)
			for _, action := range list(st["Action"]) {
				label, ok := actions[action]
				if !ok {
					continue
				}
				for _, role := range refs(r.Properties["Roles"]) {
					for _, fn := range roles[role] {
						for _, ref := range refs(st["Resource"]) {
							for _, to := range resolve(ref) {
								if label == "re-drives" {
									t.edge(to, fn, label)
								} else {
									t.edge(fn, to, label)
								}
							}
						}
					}
				}
			}
		}
	}
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

func sorted(tpl *cfn.Template) []cfn.Resource {
	var out []cfn.Resource
	for _, r := range tpl.Resources {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// refs are the logical IDs v references with Ref or Fn::GetAtt, anywhere inside it.
func refs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["Ref"].(string); ok && len(x) == 1 {
			return []string{r}
		}
		if ga, ok := x["Fn::GetAtt"]; ok && len(x) == 1 {
			switch g := ga.(type) {
			case []any:
				if len(g) > 0 {
					return []string{fmt.Sprint(g[0])}
				}
			case string:
				return []string{strings.SplitN(g, ".", 2)[0]}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, refs(x[k])...)
		}
	case []any:
		for _, e := range x {
			out = append(out, refs(e)...)
		}
	}
	return out
}

func list(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}
