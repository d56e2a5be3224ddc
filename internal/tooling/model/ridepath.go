package model

import (
	"fmt"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// Where a ride accepted by RequestRide ends up. The one implementation: the stack tests, the
// cost tool and the rollout analysis all ask it.

// PutItem is the action that stores a ride.
const PutItem = "dynamodb:PutItem"

// Path is one way by which a handed-off ride reaches a function that may store it.
type Path struct {
	// Via is "http" (a POST to a route) or "sns" (a publish to a topic).
	Via          string
	Route        *Route
	Topic        *Topic
	Subscription *Subscription
	// Writer is the function that stores the ride; Table the table it may write.
	Writer *Function
	Table  *Table
}

func (p Path) String() string {
	if p.Via == "http" {
		return fmt.Sprintf("HTTP %s -> %s", p.Route.Key, p.Writer.LogicalID)
	}
	return fmt.Sprintf("SNS %s -> %s", p.Topic.ID(), p.Writer.LogicalID)
}

// Delivery is what happens to the rides one function hands off.
type Delivery struct {
	From *Function
	// Topic is the topic it publishes each ride to, and Routes the routes it POSTs each ride to
	// (its record URL's): where every ride goes first, whether or not it is stored from there.
	Topic  *Topic
	Routes []*Route
	// Paths each lead to a function that stores the ride; exactly one is what a safe system has.
	Paths []Path
	// Problems say where a ride is lost on the way.
	Problems []string
}

// HandsOffRides reports whether the function hands each ride it accepts to the ride-record
// service (it is RequestRide): its environment names a topic or a record URL.
func (f *Function) HandsOffRides() bool {
	_, topic := f.Environment[design.EnvTopicARN]
	_, url := f.Environment[design.EnvRecordURL]
	return topic || url
}

// RideFunctions are the functions that accept rides from riders and hand them off.
func (s *System) RideFunctions() []*Function {
	var out []*Function
	for _, f := range s.Functions() {
		if f.HandsOffRides() {
			out = append(out, f)
		}
	}
	return out
}

// RideRoutes are the routes riders book rides by: those that invoke a ride function.
func (s *System) RideRoutes() []*Route {
	var out []*Route
	for _, r := range s.Routes() {
		if r.Function != nil && r.Function.HandsOffRides() {
			out = append(out, r)
		}
	}
	return out
}

// Deliveries follows every ride function's rides to the functions that store them.
func (s *System) Deliveries() []Delivery {
	var out []Delivery
	for _, f := range s.RideFunctions() {
		out = append(out, s.delivery(f))
	}
	return out
}

func (s *System) delivery(f *Function) Delivery {
	d := Delivery{From: f}
	if v, ok := f.Environment[design.EnvRecordURL]; ok {
		routes := s.RoutesAt(f, design.EnvRecordURL)
		d.Routes = routes
		name := s.ssmNameOf(f.Stack, v)
		switch {
		case name == "":
			d.Problems = append(d.Problems, fmt.Sprintf("%s of %s does not come from SSM", design.EnvRecordURL, f.LogicalID))
		case s.Writer(name) == nil:
			d.Problems = append(d.Problems, fmt.Sprintf("%s reads %s, which no stack writes", design.EnvRecordURL, name))
		case len(routes) == 0:
			d.Problems = append(d.Problems, fmt.Sprintf("%s = %s leads to no route", design.EnvRecordURL, name))
		}
		for _, r := range routes {
			switch {
			case r.Function == nil:
				d.Problems = append(d.Problems, r.Key+" invokes no function of the system")
			case !s.MayCall(f, r):
				d.Problems = append(d.Problems, fmt.Sprintf("%s requires %s authorization, which %s may not pass", r.Key, r.Authorization, f.LogicalID))
			default:
				if tb := s.StoredBy(r.Function); tb != nil {
					d.Paths = append(d.Paths, Path{Via: "http", Route: r, Writer: r.Function, Table: tb})
				} else {
					d.Problems = append(d.Problems, r.Key+" is served by "+r.Function.LogicalID+", which cannot write the table")
				}
			}
		}
	}
	if _, ok := f.Environment[design.EnvTopicARN]; ok {
		tp := s.PublishesTo(f, design.EnvTopicARN)
		d.Topic = tp
		switch {
		case tp == nil:
			d.Problems = append(d.Problems, fmt.Sprintf("%s publishes to a topic that is not in these stacks", f.LogicalID))
		case len(tp.Subscriptions) == 0:
			d.Problems = append(d.Problems, fmt.Sprintf("%s publishes to %s, which nothing subscribes to", f.LogicalID, tp.ID()))
		}
		if tp != nil {
			for _, sub := range tp.Subscriptions {
				switch {
				case sub.Function == nil:
					d.Problems = append(d.Problems, fmt.Sprintf("%s delivers %s to no function", sub.ID(), sub.Protocol))
				default:
					if tb := s.StoredBy(sub.Function); tb != nil {
						d.Paths = append(d.Paths, Path{Via: "sns", Topic: tp, Subscription: sub, Writer: sub.Function, Table: tb})
					} else {
						d.Problems = append(d.Problems, "the topic's subscriber "+sub.Function.LogicalID+" cannot write the table")
					}
				}
			}
		}
	}
	return d
}

// MayCall reports whether a caller's requests pass a route's authorization: any request passes
// a route without one; an AWS_IAM route takes a caller whose role may execute-api:Invoke it.
func (s *System) MayCall(caller *Function, r *Route) bool {
	switch r.Authorization {
	case "NONE":
		return true
	case "AWS_IAM":
		return r.API != nil && caller.Allows("execute-api:Invoke", &r.API.Resource)
	default:
		return false
	}
}

// StoredBy is the table a function stores rides in: the table its environment names and its
// role may PutItem on; nil when it cannot store a ride.
func (s *System) StoredBy(f *Function) *Table {
	tb := s.Table(f, design.EnvTableName)
	if tb == nil || !f.Allows(PutItem, &tb.Resource) {
		return nil
	}
	return tb
}

// RideTables are the tables the functions that store rides may write.
func (s *System) RideTables() []*Table {
	var out []*Table
	seen := map[*Table]bool{}
	for _, f := range s.Functions() {
		if tb := s.StoredBy(f); tb != nil && !seen[tb] {
			seen[tb] = true
			out = append(out, tb)
		}
	}
	return out
}

// Writers are the functions that may store rides in the table.
func (s *System) Writers(tb *Table) []*Function {
	var out []*Function
	for _, f := range s.Functions() {
		if s.StoredBy(f) == tb {
			out = append(out, f)
		}
	}
	return out
}

// Subscribers are the functions subscribed to a topic that a ride function publishes to.
func (s *System) Subscribers() []*Function {
	var out []*Function
	for _, d := range s.Deliveries() {
		for _, p := range d.Paths {
			if p.Via == "sns" {
				out = append(out, p.Writer)
			}
		}
	}
	return out
}

// DeadLetterQueues are the queues rides wait in when they cannot be stored: a subscriber's
// dead-letter target, or a subscription's redrive target.
func (s *System) DeadLetterQueues() []*Queue {
	var out []*Queue
	seen := map[*Queue]bool{}
	add := func(q *Queue) {
		if q != nil && !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	for _, st := range s.Stacks {
		for _, f := range st.Functions {
			add(f.DeadLetter)
		}
		for _, sub := range st.Subscriptions {
			add(sub.DeadLetter)
		}
	}
	return out
}

// UnstorableQueue is the queue the functions that store rides in tb set aside the rides no retry
// can store in (the queue their UNSTORABLE_QUEUE_URL names), or nil.
func (s *System) UnstorableQueue(tb *Table) *Queue {
	for _, f := range s.Writers(tb) {
		if q := s.Queue(f, design.EnvUnstorableQueueURL); q != nil {
			return q
		}
	}
	return nil
}

// IsDeadLetterQueue reports whether failures of a function or a subscription go to q.
func (s *System) IsDeadLetterQueue(q *Queue) bool {
	for _, d := range s.DeadLetterQueues() {
		if d == q {
			return true
		}
	}
	return false
}

// RideStore is the one table rides are stored in and the queue that holds those that could not
// be stored yet (nil before the subscriber exists), as the tools that read or re-drive them need.
func (s *System) RideStore() (*Table, *Queue, error) {
	tables := s.RideTables()
	if len(tables) != 1 {
		return nil, nil, fmt.Errorf("the system has %d tables that functions may store rides in, want 1", len(tables))
	}
	var dlq *Queue
	for _, q := range s.DeadLetterQueues() {
		if q.Stack == tables[0].Stack {
			dlq = q
		}
	}
	return tables[0], dlq, nil
}
