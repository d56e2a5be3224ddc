package stacks_test

import (
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// This file reads the synthesized templates through the model of the system (internal/tooling/model), the
// same description the cost tool, the local system and the rollout analysis read: a ride's path
// from RequestRide's environment, through the SSM names (the only link between the stacks), to
// the functions that may write the table is worked out there, once.

// system is the model of wild-rydes as wr synthesized it and ride-record as rr did.
func system(t *testing.T, wr, rr *synthesized) *model.System {
	t.Helper()
	sys, err := model.New(wr.wrStack, rr.rrStack)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// route finds the route with routeKey in the system.
func route(t *testing.T, sys *model.System, routeKey string) *model.Route {
	t.Helper()
	for _, r := range sys.Routes() {
		if r.Key == routeKey {
			return r
		}
	}
	t.Fatalf("no route %q", routeKey)
	return nil
}

func routeFunction(t *testing.T, sys *model.System, routeKey string) string {
	t.Helper()
	r := route(t, sys, routeKey)
	if r.Function == nil {
		t.Fatalf("route %s integrates no function of the stack", routeKey)
	}
	return r.Function.LogicalID
}

func routeAPI(t *testing.T, sys *model.System, routeKey string) string {
	t.Helper()
	r := route(t, sys, routeKey)
	if r.API == nil {
		t.Fatalf("route %s belongs to no API of the stack", routeKey)
	}
	return r.API.LogicalID
}

// tableWriters is the set of functions whose role may PutItem on the ride table.
func tableWriters(t *testing.T, sys *model.System) map[string]bool {
	t.Helper()
	writers := map[string]bool{}
	for _, tb := range sys.RideTables() {
		for _, f := range sys.Writers(tb) {
			writers[f.LogicalID] = true
		}
	}
	return writers
}

// rideWriters lists, for the system made of wr (wild-rydes) and rr (ride-record), every path by
// which a ride RequestRide accepted reaches a function that writes the table, and every place a
// ride is lost.
func rideWriters(t *testing.T, wr, rr *synthesized) (paths []string, problems []string) {
	t.Helper()
	deliveries := system(t, wr, rr).Deliveries()
	if len(deliveries) == 0 {
		problems = append(problems, "no function hands off the rides it accepts")
	}
	for _, d := range deliveries {
		for _, p := range d.Paths {
			paths = append(paths, p.String())
		}
		problems = append(problems, d.Problems...)
	}
	return paths, problems
}
