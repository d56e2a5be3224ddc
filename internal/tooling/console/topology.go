// Package console is the local system's web console: the rider's page, the system drawn from
// the synthesized templates with live figures pushed over server-sent events, a ride's trace,
// and the workshop's controls (table fault, dead-letter re-drive, bursts, the next refactor step).
package console

// Topology is the system as the templates describe it: what the console draws.
type Topology struct {
	Stacks []string
	Nodes  []Node
	Edges  []Edge
}

// Node is one resource the console draws.
type Node struct {
	ID        string // Stack + "/" + LogicalID
	Stack     string
	LogicalID string
	// Kind is route, function, topic, subscription, table, queue or alarm.
	Kind string
	// Label names it: a route's key, else its logical ID without the hash CDK adds to the IDs
	// it makes (AlarmTopicD01E77F9 is AlarmTopic).
	Label string
	// Role says what it does in the system ("books rides", "alarm topic"), when the model knows.
	Role string `json:",omitempty"`
	// Alarms only: the rule read from the template.
	Threshold  float64 `json:",omitempty"`
	Comparison string  `json:",omitempty"`
}

// Edge is a path between two nodes, labelled as the template wires it.
type Edge struct {
	From, To, Label string
}

func (t Topology) node(id string) (Node, bool) {
	for _, n := range t.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// alarmed says whether an alarm's rule holds for value.
func (n Node) alarmed(value float64) bool {
	switch n.Comparison {
	case "GreaterThanOrEqualToThreshold":
		return value >= n.Threshold
	case "GreaterThanThreshold":
		return value > n.Threshold
	case "LessThanThreshold":
		return value < n.Threshold
	case "LessThanOrEqualToThreshold":
		return value <= n.Threshold
	}
	return false
}
