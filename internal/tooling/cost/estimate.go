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
	if err := profile.Validate(); err != nil {
		return Report{}, err
	}
	rates, err := prices.Region(profile.Region)
	if err != nil {
		return Report{}, err
	}
	if len(assemblies) == 0 {
		return Report{}, errors.New("no stacks to estimate")
	}
	sys, err := model.FromAssemblies(assemblies...)
	if err != nil {
		return Report{}, err
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
	e.propagate()
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

// propagate sends the month's rides in through the ride routes and on to where the model says
// each ride function hands them off (System.Deliveries, the one walk of the ride path): its topic,
// which delivers each ride to every subscription and invokes the subscribed functions, or the
// routes of its record URL, whose functions it waits for; each path that stores the ride writes
// it to its table. Where the model finds rides lost on the way, the estimate warns.
func (e *estimator) propagate() {
	rides := float64(e.profile.RidesPerMonth)
	for _, r := range e.sys.RideRoutes() {
		e.routeOf(r).requests += rides
		e.arrive(e.byModel[r.Function], rides, r.Key)
	}
	if len(e.reached) == 0 {
		e.warn("No route leads to a function that books rides: no ride enters these stacks.")
	}
	for _, d := range e.sys.Deliveries() {
		from := e.byModel[d.From]
		if !from.reached {
			continue // no route books rides with it
		}
		n := from.invocations
		if t := e.topicOf(d.Topic); t != nil {
			t.publishes += n
			for _, sub := range t.subs {
				sub.deliveries += n
				if sub.fn != nil {
					e.arrive(sub.fn, n, "topic "+t.LogicalID)
				}
			}
		}
		for _, mr := range d.Routes {
			r := e.routeOf(mr)
			r.requests += n
			if r.Function != nil {
				callee := e.byModel[r.Function]
				if !slices.Contains(from.callees, callee) {
					from.callees = append(from.callees, callee)
				}
				e.arrive(callee, n, r.Key)
			}
		}
		for _, p := range d.Paths {
			t, writer := e.tableOf(p.Table), e.byModel[p.Writer]
			t.writes += n
			if !slices.Contains(t.writers, writer) {
				t.writers = append(t.writers, writer)
			}
		}
		for _, problem := range d.Problems {
			e.warn(fmt.Sprintf("%s: the rides lost there are not priced beyond it.", problem))
		}
		// Every request is taken to carry an Idempotency-Key (the rider's page and the load
		// replay send one): one conditional PutItem each.
		if t := e.tableOf(e.sys.Table(d.From, design.EnvIdempotencyTableName)); t != nil {
			t.writes += n
			if !slices.Contains(t.writers, from) {
				t.writers = append(t.writers, from)
			}
		}
	}
}

// arrive invokes f n times a month from trigger.
func (e *estimator) arrive(f *function, n float64, trigger string) {
	if !f.reached {
		f.reached = true
		e.reached = append(e.reached, f)
	}
	f.invocations += n
	if !slices.Contains(f.triggers, trigger) {
		f.triggers = append(f.triggers, trigger)
	}
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
