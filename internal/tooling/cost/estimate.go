// Package cost estimates the monthly AWS bill of the synthesized stacks for a traffic profile,
// and answers the seed's cost questions with the same price table.
package cost

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

const (
	bytesPerGB = 1 << 30
	// DynamoDB bills each item's size plus 100 bytes of indexing overhead for storage.
	dynamoItemOverheadBytes = 100
)

// ErrUnknownFunction is returned when a duration is given for a function no template defines.
var ErrUnknownFunction = errors.New("unknown function")

// function is what a month of rides does to one function of the model.
type function struct {
	*model.Function
	invocations float64
	triggers    []string
	// callees are the functions this one calls over HTTP and waits for.
	callees []*function
	reached bool
}

type route struct {
	*model.Route
	requests float64
}

type topic struct {
	*model.Topic
	publishes float64
	subs      []*subscription
}

type subscription struct {
	*model.Subscription
	fn         *function
	deliveries float64
}

type table struct {
	*model.Table
	writes  float64
	writers []*function
}

// estimator follows a month of rides through the model of one deployment, then prices what
// each resource does with them.
type estimator struct {
	profile Profile
	prices  Prices
	rates   map[PriceKey]Price
	sys     *model.System

	functions []*function // in order of stack name, then logical ID
	byModel   map[*model.Function]*function
	routes    []*route
	topics    []*topic
	tables    []*table
	reached   []*function // in the order a ride reaches them

	report Report
	seen   map[string]bool // notes and warnings already given
}

// Estimate prices the stacks of the given cloud assemblies (one deployment: both Wild Rydes
// stacks) for a month of the profile's traffic.
func Estimate(assemblies []*cfn.Assembly, profile Profile, prices Prices) (Report, error) {
	if err := profile.validate(); err != nil {
		return Report{}, err
	}
	rates, err := prices.region(profile.Region)
	if err != nil {
		return Report{}, err
	}
	if len(assemblies) == 0 {
		return Report{}, errors.New("no stacks to estimate")
	}
	sys, err := model.FromAssemblies(assemblies...)
	if err != nil {
		return Report{}, fmt.Errorf("%w", err)
	}
	var dirs []string
	for _, a := range assemblies {
		dirs = append(dirs, a.Dir)
	}
	e := &estimator{profile: profile, prices: prices, rates: rates, sys: sys,
		byModel: map[*model.Function]*function{}, seen: map[string]bool{}}
	p := profile
	e.report = Report{
		Title:         strings.Join(dirs, " + "),
		Region:        profile.Region,
		FreeTier:      profile.FreeTier,
		PricesChecked: prices.Checked,
		Profile:       &p,
	}
	if err := e.index(); err != nil {
		return Report{}, err
	}
	if err := e.propagate(); err != nil {
		return Report{}, err
	}
	e.bill()
	if profile.FreeTier {
		e.report.Lines = append(e.report.Lines, freeTierCredits(e.report.Lines, prices.FreeTier, rates)...)
		e.note("Free tier: the allowances of prices.json, API Gateway's included, which only an account's first 12 months get; check which free tier your account has.")
	}
	e.report.total()
	return e.report, nil
}

// index wraps every function, route, topic, subscription and table of the model.
func (e *estimator) index() error {
	for _, f := range e.sys.Functions() {
		if f.MemoryNotLiteral {
			e.warn(fmt.Sprintf("%s: MemorySize is not a literal number; priced at %d MB.", f.LogicalID, model.DefaultMemoryMB))
		}
		fn := &function{Function: f}
		e.functions = append(e.functions, fn)
		e.byModel[f] = fn
	}
	for name := range e.profile.DurationsMS {
		if e.functionNamed(name) == nil {
			return fmt.Errorf("%w %q in the durations: the templates define %s", ErrUnknownFunction, name, strings.Join(e.functionNames(), ", "))
		}
	}
	for _, r := range e.sys.Routes() {
		e.routes = append(e.routes, &route{Route: r})
	}
	for _, t := range e.sys.Topics() {
		tp := &topic{Topic: t}
		for _, sub := range t.Subscriptions {
			tp.subs = append(tp.subs, &subscription{Subscription: sub, fn: e.byModel[sub.Function]})
		}
		e.topics = append(e.topics, tp)
	}
	for _, st := range e.sys.Stacks {
		for _, sub := range st.Subscriptions {
			if sub.FilterPolicy {
				e.note(fmt.Sprintf("%s has a filter policy; every message is assumed to match it.", sub.LogicalID))
			}
			if sub.Topic == nil {
				e.warn(fmt.Sprintf("%s: its topic is not in these stacks, so it gets no messages in this estimate.", sub.LogicalID))
			}
		}
	}
	for _, t := range e.sys.Tables() {
		e.tables = append(e.tables, &table{Table: t})
	}
	return nil
}

// propagate sends the month's rides in through the ride routes and follows them: a function
// that publishes rides sends each to the topic (which invokes each subscriber), one with a record
// URL POSTs each to that route (and waits), one with a table writes each.
func (e *estimator) propagate() error {
	type arrival struct {
		fn      *function
		n       float64
		trigger string
	}
	var queue []arrival
	rides := float64(e.profile.RidesPerMonth)
	for _, r := range e.routes {
		if r.Function != nil && r.Function.HandsOffRides() {
			r.requests += rides
			queue = append(queue, arrival{e.byModel[r.Function], rides, r.Key})
		}
	}
	if len(queue) == 0 {
		e.warn("No route leads to a function that books rides: no ride enters these stacks.")
	}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10_000 {
			return errors.New("the functions send rides to each other in a loop; the model cannot price that")
		}
		a := queue[0]
		queue = queue[1:]
		f := a.fn
		if !f.reached {
			f.reached = true
			e.reached = append(e.reached, f)
		}
		f.invocations += a.n
		if !slices.Contains(f.triggers, a.trigger) {
			f.triggers = append(f.triggers, a.trigger)
		}
		if _, ok := f.Environment[design.EnvTopicARN]; ok {
			t := e.topicOf(e.sys.PublishesTo(f.Function, design.EnvTopicARN))
			if t == nil {
				e.warn(fmt.Sprintf("%s publishes to a topic that is not in these stacks: its publishes are not priced.", f.LogicalID))
			} else {
				t.publishes += a.n
				for _, sub := range t.subs {
					sub.deliveries += a.n
					if sub.fn != nil {
						queue = append(queue, arrival{sub.fn, a.n, "topic " + t.LogicalID})
					}
				}
			}
		}
		if _, ok := f.Environment[design.EnvRecordURL]; ok {
			routes := e.sys.RoutesAt(f.Function, design.EnvRecordURL)
			if len(routes) == 0 {
				e.warn(fmt.Sprintf("%s POSTs to a %s that leads to no route in these stacks: those requests are not priced.", f.LogicalID, design.EnvRecordURL))
			}
			for _, mr := range routes {
				r := e.routeOf(mr)
				r.requests += a.n
				if r.Function != nil {
					callee := e.byModel[r.Function]
					if !slices.Contains(f.callees, callee) {
						f.callees = append(f.callees, callee)
					}
					queue = append(queue, arrival{callee, a.n, r.Key})
				}
			}
		}
		if _, ok := f.Environment[design.EnvTableName]; ok {
			t := e.tableOf(e.sys.Table(f.Function, design.EnvTableName))
			if t == nil {
				e.warn(fmt.Sprintf("%s writes to a table that is not in these stacks: its writes are not priced.", f.LogicalID))
			} else {
				t.writes += a.n
				if !slices.Contains(t.writers, f) {
					t.writers = append(t.writers, f)
				}
			}
		}
	}
	return nil
}

func (e *estimator) topicOf(m *model.Topic) *topic {
	for _, t := range e.topics {
		if t.Topic == m && m != nil {
			return t
		}
	}
	return nil
}

func (e *estimator) routeOf(m *model.Route) *route {
	for _, r := range e.routes {
		if r.Route == m {
			return r
		}
	}
	return nil
}

func (e *estimator) tableOf(m *model.Table) *table {
	for _, t := range e.tables {
		if t.Table == m && m != nil {
			return t
		}
	}
	return nil
}

func (e *estimator) functionNamed(name string) *function {
	for _, f := range e.functions {
		if strings.EqualFold(f.LogicalID, name) {
			return f
		}
	}
	return nil
}

func (e *estimator) functionNames() []string {
	var names []string
	for _, f := range e.functions {
		names = append(names, f.LogicalID)
	}
	return names
}

func (e *estimator) note(s string) {
	if !e.seen[s] {
		e.seen[s] = true
		e.report.Notes = append(e.report.Notes, s)
	}
}

func (e *estimator) warn(s string) {
	if !e.seen[s] {
		e.seen[s] = true
		e.report.Warnings = append(e.report.Warnings, s)
	}
}
