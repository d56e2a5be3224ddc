package local_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/ddbproxy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

// Step 0's table has the original's single write unit and 300 s of burst capacity: a burst of
// rides spends it, the functions' own SDK retries the throttled writes and gives up, and the
// rider gets RequestRide's 502. Every ride answered 201 is stored.
func TestABurstOfRidesSpendsStepZerosBurstCapacityAndRidersGet502(t *testing.T) {
	t.Parallel() // on a system of its own: beside the other tests that start one
	sys := env.Start(t, localtest.At(design.StepSynchronous))
	st := state(t, sys)
	table := sys.Tables()[st.RideTable]
	if table.Throughput != (ddbproxy.Throughput{Read: 1, Write: 1}) || table.WriteUnitsMax != 300 {
		t.Fatalf("step 0's table runs with %+v and a burst of %v units, want the template's 1/1 and 300", table.Throughput, table.WriteUnitsMax)
	}

	// 320 rides within about a second, eight at a time: the burst is the rides against the 300
	// units, whatever their concurrency; each more worker only starts one more RequestRide and one
	// more PutRideRecordHttp process (32 workers: 64 cold starts, about 3 CPU-seconds).
	const rides, workers = 320, 8
	var mu sync.Mutex
	var accepted []ride.Ride
	codes := map[int]int{}
	var refusal string
	next := make(chan struct{}, rides)
	for range rides {
		next <- struct{}{}
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range next {
				resp := post(t, st.ApiUrl+"/ride", rideBody)
				mu.Lock()
				codes[resp.status]++
				if resp.status == 201 {
					var r ride.Ride
					_ = json.Unmarshal(resp.body, &r)
					accepted = append(accepted, r)
				} else {
					refusal = string(resp.body)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	if codes[502] == 0 || codes[201]+codes[502] != rides {
		t.Errorf("%d rides at once against 300 units of burst got %v, want 201s and then 502s", rides, codes)
	}
	if !strings.Contains(refusal, "ride could not be recorded") {
		t.Errorf("a refused rider was told %s, want RequestRide's 502", refusal)
	}
	stored := map[string]bool{}
	for _, r := range observe(t, sys).rides(t) {
		stored[r.RideID] = true
	}
	for _, r := range accepted {
		if !stored[r.RideID] {
			t.Errorf("ride %s was answered 201 and is not in the table", r.RideID)
		}
	}
	if got := sys.Tables()[st.RideTable].ThrottledWrites; got < int64(codes[502]) {
		t.Errorf("%d throttled writes for %d refused rides, want each refused ride's writes throttled", got, codes[502])
	}
	live := sys.LimitFigures(time.Minute)
	if live.ThrottledWrites[st.RideTable] <= 0 || live.Names[st.RideTable] != "RideRecordTable" || live.Tables[st.RideTable].WriteUnitsLeft > 10 {
		t.Errorf("the console's figures over the last minute: %v throttled writes/s of %q, %.1f units left; want the throttles of RideRecordTable, its burst spent",
			live.ThrottledWrites[st.RideTable], live.Names[st.RideTable], live.Tables[st.RideTable].WriteUnitsLeft)
	}
	now := sys.Metrics().Now()
	stats, err := sys.Metrics().Statistics(cloudwatch.Metric{Namespace: "AWS/DynamoDB", Name: "WriteThrottleEvents",
		Dimensions: map[string]string{"TableName": st.RideTable}}, "Sum", now.Add(-time.Hour), now.Add(time.Second), time.Hour+time.Second)
	if err != nil || len(stats) != 1 || stats[0].Value < 1 {
		t.Errorf("AWS/DynamoDB WriteThrottleEvents of the ride table: %v %v, want the throttled writes", stats, err)
	}
}

func TestTheFinalStepsTableIsOnDemand(t *testing.T) {
	sys := final(t)
	table := sys.Tables()[state(t, sys).RideTable]
	if !table.Throughput.OnDemand || table.WriteUnitsMax != 4000 {
		t.Errorf("the final step's table runs with %+v (%v writes at once), want on-demand's initial 4,000 writes a second", table.Throughput, table.WriteUnitsMax)
	}
}
