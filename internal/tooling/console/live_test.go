package console

import (
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
)

// liveOf is the console's bookkeeping over the final step's topology, with the events' names
// being the nodes' labels (a running system gives physical names).
func liveOf(t *testing.T) *live {
	t.Helper()
	l := &live{top: topologyOf(t, final), byName: map[string][]string{}, figures: map[string]*Figures{}, traces: map[string]*Trace{}}
	for _, n := range l.top.Nodes {
		l.figures[n.ID] = &Figures{}
		l.byName[n.Label] = append(l.byName[n.Label], n.ID)
	}
	return l
}

func TestATraceFollowsARideThroughRetriesToTheDeadLetterQueueAndBackToTheTable(t *testing.T) {
	l := liveOf(t)
	topic := l.top.byKind("topic")[0].Label
	t0 := time.Now()
	const ride = "3f1c6a5e-8b2d-4c9a-9e7f-0a1b2c3d4e5f"
	for _, ev := range []events.Event{
		{Kind: "publish", Topic: topic, RideID: ride, OK: true, Time: t0.Add(2 * time.Millisecond)},
		{Kind: "invoke", Function: "RequestRide", OK: true, Time: t0.Add(3 * time.Millisecond), Duration: 3 * time.Millisecond},
		{Kind: "request", Route: "POST /ride", Status: 201, RideID: ride, Time: t0.Add(4 * time.Millisecond), Duration: 4 * time.Millisecond},
		{Kind: "attempt", Function: "PutRideRecordSns", RideID: ride, Attempt: 1, Retry: true, Error: "ServiceUnavailable", Time: t0.Add(50 * time.Millisecond)},
		{Kind: "attempt", Function: "PutRideRecordSns", RideID: ride, Attempt: 2, Retry: true, Error: "ServiceUnavailable", Time: t0.Add(300 * time.Millisecond)},
		{Kind: "attempt", Function: "PutRideRecordSns", RideID: ride, Attempt: 3, Error: "ServiceUnavailable", Time: t0.Add(700 * time.Millisecond)},
		{Kind: "deadletter", Function: "PutRideRecordSns", RideID: ride, Error: "ServiceUnavailable", Queue: "q", OK: true, Time: t0.Add(710 * time.Millisecond)},
	} {
		l.apply(ev)
	}
	tr, ok := l.trace(ride)
	if !ok {
		t.Fatal("no trace of the ride")
	}
	var what []string
	for _, s := range tr.Steps {
		what = append(what, s.What)
	}
	want := []string{"POST /ride → RequestRide", "publish to " + topic, "PutRideRecordSns attempt 1", "PutRideRecordSns attempt 2", "PutRideRecordSns attempt 3", "dead-lettered to "}
	if len(what) != len(want) {
		t.Fatalf("trace %q, want %q", what, want)
	}
	for i := range want {
		if !strings.HasPrefix(what[i], want[i]) {
			t.Errorf("step %d is %q, want %q", i+1, what[i], want[i])
		}
	}
	if tr.Ended != "dead-letter queue" || tr.Reason != "ServiceUnavailable" || tr.Steps[0].At != 0 || tr.Steps[4].At < 690 {
		t.Errorf("trace ended %q (%q), timings %+v: want the dead-letter queue with the reason, timed from the request", tr.Ended, tr.Reason, tr.Steps)
	}
	fn := l.figures[l.byName["PutRideRecordSns"][0]]
	if fn.Retried != 2 || fn.DeadLettered != 1 {
		t.Errorf("PutRideRecordSns figures %+v: want 2 retries and 1 dead-letter", fn)
	}
	if f := l.figures[l.byName["POST /ride"][0]]; f.Status["201"] != 1 {
		t.Errorf("route figures %+v: want one 201", f)
	}

	l.redriven([]string{ride}, t0.Add(time.Second))
	if tr, _ := l.trace(ride); tr.Ended != "table" || !strings.HasPrefix(tr.Steps[len(tr.Steps)-1].What, "re-driven") {
		t.Errorf("after the re-drive the trace ends %q with %+v, want the table", tr.Ended, tr.Steps[len(tr.Steps)-1])
	}
}

func TestOnlyTheNewestTracesAreKept(t *testing.T) {
	l := liveOf(t)
	for i := 0; i < keptTraces+10; i++ {
		l.apply(events.Event{Kind: "request", Route: "POST /ride", Status: 201, RideID: string(rune('a'+i%26)) + strings.Repeat("x", i), Time: time.Now()})
	}
	if len(l.traces) != keptTraces || len(l.order) != keptTraces {
		t.Errorf("%d traces kept (%d in order), want %d", len(l.traces), len(l.order), keptTraces)
	}
}
