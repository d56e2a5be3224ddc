package riderecord

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// withMetrics gives a recorder an emitter into buf and a clock 1.377 s after testRide's
// RequestTime (2026-11-22T10:00:00.123Z).
func withMetrics(rec *Recorder, buf *bytes.Buffer) *metrics.Emitter {
	em := metrics.New(buf, "dev")
	rec.Metrics = em
	rec.Now = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 1, 500e6, time.UTC) }
	return em
}

// emitted is what CloudWatch would extract from buf: each metric (by name and dimensions) with its
// values, in order.
func emitted(t *testing.T, buf *bytes.Buffer) map[string][]float64 {
	t.Helper()
	data, err := metrics.ParseLog(buf.Bytes())
	if err != nil {
		t.Fatalf("the log is not embedded metric format CloudWatch extracts: %v\n%s", err, buf.String())
	}
	out := map[string][]float64{}
	for _, d := range data {
		out[d.String()] = append(out[d.String()], d.Values...)
	}
	return out
}

func TestThePutPathCountsRidesStoredAndAlreadyStoredWithTheDeliveryLatency(t *testing.T) {
	tests := []struct {
		name string
		puts []ride.Ride
		want map[string][]float64
	}{
		{"a ride stored for the first time, 1377 ms after it was requested", []ride.Ride{testRide(rideA)},
			map[string][]float64{"WildRydes/RidesStored{Stage=dev}": {1}, "WildRydes/DeliveryLatency{Stage=dev}": {1377}}},
		{"a duplicate delivery is already stored, with no second latency", []ride.Ride{testRide(rideA), testRide(rideA)},
			map[string][]float64{"WildRydes/RidesStored{Stage=dev}": {1}, "WildRydes/DeliveryLatency{Stage=dev}": {1377},
				"WildRydes/RidesAlreadyStored{Stage=dev}": {1}}},
		{"a conflict is neither", []ride.Ride{testRide(rideA), func() ride.Ride { r := testRide(rideA); r.Unicorn.Color = "Red"; return r }()},
			map[string][]float64{"WildRydes/RidesStored{Stage=dev}": {1}, "WildRydes/DeliveryLatency{Stage=dev}": {1377}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			rec := &Recorder{Store: DynamoDBStore{Client: newStore(), TableName: "rides"}}
			withMetrics(rec, &buf)
			for _, r := range tt.puts {
				rec.PutRide(context.Background(), r)
			}
			if got := emitted(t, &buf); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("emitted %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestRecordsSentToAQueueAreCountedByReason(t *testing.T) {
	tests := []struct {
		name       string
		unstorable bool
		want       map[string][]float64
	}{
		{"without an unstorable queue they are dead-lettered", false, map[string][]float64{
			"WildRydes/RidesDeadLettered{Stage=dev}":                    {1, 1},
			"WildRydes/RidesDeadLettered{Reason=InvalidRide,Stage=dev}": {1},
			"WildRydes/RidesDeadLettered{Reason=Conflict,Stage=dev}":    {1},
		}},
		{"with one they are set aside", true, map[string][]float64{
			"WildRydes/RidesSetAside{Stage=dev}":                    {1, 1},
			"WildRydes/RidesSetAside{Reason=InvalidRide,Stage=dev}": {1},
			"WildRydes/RidesSetAside{Reason=Conflict,Stage=dev}":    {1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			store := newStore()
			store.items[rideB] = ItemFromRide(testRide(rideB))
			h := newSNSHandler(store, &fakeQueue{})
			h.Metrics = metrics.New(&buf, "dev")
			if tt.unstorable {
				h.UnstorableURL = unstorableURL
			}
			other := testRide(rideB)
			other.Unicorn.Name = "Shadowfax"
			if err := h.Handle(inLambda("req"), snsEvent(snsRecord("sns-1", `{}`), snsRecord("sns-2", rideJSON(other)))); err != nil {
				t.Fatal(err)
			}
			if got := emitted(t, &buf); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("emitted %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestTheRedriveCountsRidesRedrivenAndSetAside(t *testing.T) {
	var buf bytes.Buffer
	store, q := newStore(), &fakeQueue{}
	lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))), snsRecord("sns-2", rideJSON(testRide(rideB))))
	q.add("hello", nil)
	r := twoQueues(store, q)
	withMetrics(r.Recorder, &buf)
	r.Metrics = r.Recorder.Metrics
	if _, err := r.Redrive(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{
		"WildRydes/RidesStored{Stage=dev}":                      {1, 1},
		"WildRydes/DeliveryLatency{Stage=dev}":                  {1377, 1377},
		"WildRydes/RidesRedriven{Stage=dev}":                    {1, 1},
		"WildRydes/RidesSetAside{Stage=dev}":                    {1},
		"WildRydes/RidesSetAside{Reason=InvalidRide,Stage=dev}": {1},
	}
	if got := emitted(t, &buf); !reflect.DeepEqual(got, want) {
		t.Errorf("emitted %v\nwant %v", got, want)
	}
}
