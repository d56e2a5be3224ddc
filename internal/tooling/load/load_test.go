package load

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load/loadtest"
)

const table = "wild-rydes-ride-record-dev-RideRecordTable-ABC123"

func TestPercentilesUseNearestRank(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		var d []time.Duration
		for _, n := range ns {
			d = append(d, time.Duration(n)*time.Millisecond)
		}
		return d
	}
	oneToHundred := make([]int, 100)
	for i := range oneToHundred {
		oneToHundred[i] = 100 - i // out of order on purpose
	}
	tests := []struct {
		name      string
		latencies []time.Duration
		want      Latencies
	}{
		{"no responses gives zeros", nil, Latencies{}},
		{"one response is every percentile", ms(42), Latencies{Min: ms(42)[0], Median: ms(42)[0], P95: ms(42)[0], P99: ms(42)[0], Max: ms(42)[0]}},
		{"1..100 ms gives the rank itself", ms(oneToHundred...), Latencies{Min: ms(1)[0], Median: ms(50)[0], P95: ms(95)[0], P99: ms(99)[0], Max: ms(100)[0]}},
		{"ten responses: p95 and p99 are the slowest", ms(10, 1, 9, 2, 8, 3, 7, 4, 6, 5), Latencies{Min: ms(1)[0], Median: ms(5)[0], P95: ms(10)[0], P99: ms(10)[0], Max: ms(10)[0]}},
		{"one slow request in a hundred shows in p99 but not p95", ms(append(slices.Repeat([]int{20}, 99), 29000)...),
			Latencies{Min: ms(20)[0], Median: ms(20)[0], P95: ms(20)[0], P99: ms(20)[0], Max: ms(29000)[0]}},
		{"two slow requests in a hundred show in p99", ms(append(slices.Repeat([]int{20}, 98), 29000, 29000)...),
			Latencies{Min: ms(20)[0], Median: ms(20)[0], P95: ms(20)[0], P99: ms(29000)[0], Max: ms(29000)[0]}},
	}
	for _, tt := range tests {
		if got := percentiles(tt.latencies); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestRunSendsRateTimesDurationAndReportsProgress(t *testing.T) {
	t.Parallel()
	sys := &loadtest.API{}
	url := sys.Start(t)
	var progress bytes.Buffer
	res, err := Run(context.Background(), Options{
		URL: url + "/", Rate: 20, Duration: 2 * time.Second, SkipCheck: true,
		Progress: &progress, ProgressEvery: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 40 || res.Completed != 40 || res.Codes[201] != 40 || res.RidesAccepted != 40 {
		t.Errorf("sent %d, completed %d, codes %v, rides %d; want 40 of each", res.Sent, res.Completed, res.Codes, res.RidesAccepted)
	}
	if res.RPSSent < 18 || res.RPSSent > 22 {
		t.Errorf("RPS sent %.2f, want about 20", res.RPSSent)
	}
	if lines := strings.Count(progress.String(), "\n"); lines < 2 || !strings.Contains(progress.String(), "errors 0") {
		t.Errorf("progress every 500ms over 2s printed:\n%s", progress.String())
	}
	// The workshop's Artillery scenario sends no Idempotency-Key, and neither does its replay.
	if keys := sys.Keys(); len(keys) != 1 || keys[""] != 40 {
		t.Errorf("the 40 requests carried Idempotency-Keys %v, want none, as the workshop's scenario", keys)
	}
}

func TestWithIdempotencyKeysEachRideHasItsOwn(t *testing.T) {
	t.Parallel()
	sys := &loadtest.API{}
	url := sys.Start(t)
	if _, err := Run(context.Background(), Options{URL: url, Rate: 20, Duration: time.Second, SkipCheck: true, IdempotencyKeys: true}); err != nil {
		t.Fatal(err)
	}
	keys := sys.Keys()
	if len(keys) != 20 || keys[""] != 0 {
		t.Errorf("the 20 requests carried %d distinct Idempotency-Keys (%d none): each ride must have its own, so a retry could never book twice", len(keys), keys[""])
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	sys := &loadtest.API{}
	url := sys.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, Options{URL: url, Rate: 20, Duration: time.Minute, TableName: table, Table: &loadtest.Table{API: sys, Name: table}})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("a cancelled run returned %v after %v", err, time.Since(start))
	}
	if res.Sent == 0 || res.Sent > 20 || res.Checked {
		t.Errorf("a run cancelled after 300ms sent %d and checked %v", res.Sent, res.Checked)
	}
}

func TestRidesAreReadInBatchesOfAHundred(t *testing.T) {
	t.Parallel()
	sys := &loadtest.API{}
	res := Result{}
	for i := range 250 {
		rd := ride.NewRide(strings.Repeat("0", 8)+"-0000-4000-8000-"+strings.Repeat("0", 9)+string(rune('a'+i%26))+string(rune('a'+i/26)),
			ride.Pick(nil), time.Now(), requestedPickup)
		sys.Store(rd)
		res.Rides = append(res.Rides, rd)
	}
	res.RidesAccepted = len(res.Rides)
	ft := &loadtest.Table{API: sys, Name: table, Unprocessed: 1}
	if err := checkRides(context.Background(), ft, table, time.Second, &res); err != nil {
		t.Fatal(err)
	}
	if res.RidesFound != 250 || len(res.Missing) != 0 || len(res.Mismatched) != 0 {
		t.Errorf("found %d, missing %d, mismatched %d of 250", res.RidesFound, len(res.Missing), len(res.Mismatched))
	}
	// The first call leaves 99 keys unprocessed; they are asked for again before the next chunk.
	if want := []int{100, 99, 100, 50}; !slices.Equal(ft.BatchSizes(), want) {
		t.Errorf("batches of %v keys, want %v", ft.BatchSizes(), want)
	}
}

func TestRequestTimesAreComparedAsInstants(t *testing.T) {
	t.Parallel()
	accepted := ride.Ride{RideID: "r", Unicorn: ride.Unicorn{Name: "Rocinante", Color: "Yellow"}, RequestTime: "2026-11-22T10:00:00.120Z"}
	stored := accepted
	stored.RequestTime = "2026-11-22T10:00:00.12Z"
	stored.PickupLocation = requestedPickup
	if d := differences(accepted, stored); len(d) != 0 {
		t.Errorf("the same instant written two ways is a difference: %v", d)
	}
	stored.RequestTime = "2026-11-22T10:00:01.120Z"
	if d := differences(accepted, stored); len(d) != 1 || !strings.HasPrefix(d[0], "RequestTime") {
		t.Errorf("a second later gave %v", d)
	}
}
