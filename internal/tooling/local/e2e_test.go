package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

func TestFinalState(t *testing.T) {
	sys := final(t)
	st := state(t, sys)
	obs := observe(t, sys)

	t.Run("a requested ride is in the table within 2 s with the fields the caller got", func(t *testing.T) {
		resp := post(t, st.ApiUrl+"/ride", rideBody)
		if resp.status != 201 || resp.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("POST /ride = %d %s (CORS %q)", resp.status, resp.body, resp.header.Get("Access-Control-Allow-Origin"))
		}
		var got ride.Ride
		if err := json.Unmarshal(resp.body, &got); err != nil {
			t.Fatal(err)
		}
		var stored []ride.Ride
		waitFor(t, 2*time.Second, "the ride is not in the table", func() bool {
			stored = nil
			for _, r := range obs.rides(t) {
				if r.RideID == got.RideID {
					stored = append(stored, r)
				}
			}
			return len(stored) > 0
		})
		if len(stored) != 1 || stored[0] != got {
			t.Errorf("stored %+v, the caller got %+v", stored, got)
		}
	})

	t.Run("every bad ride request gets a 400 that names the problem", func(t *testing.T) {
		for _, tc := range []struct{ name, body, mentions string }{
			{"a body that is not JSON", `{"PickupLocation":`, "JSON"},
			{"a body without PickupLocation", `{"Pickup":{}}`, "PickupLocation"},
			{"a latitude above 90", `{"PickupLocation":{"Latitude":90.5,"Longitude":0}}`, "Latitude"},
			{"a longitude below -180", `{"PickupLocation":{"Latitude":0,"Longitude":-180.1}}`, "Longitude"},
			{"a latitude that is a string", `{"PickupLocation":{"Latitude":"42","Longitude":0}}`, "Latitude"},
			{"a body over 10 KB", `{"PickupLocation":{"Latitude":1,"Longitude":1},"pad":"` + strings.Repeat("x", 10240) + `"}`, "10"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := post(t, st.ApiUrl+"/ride", tc.body)
				var body struct{ Error string }
				_ = json.Unmarshal(resp.body, &body)
				if resp.status != 400 || !strings.Contains(body.Error, tc.mentions) {
					t.Errorf("POST /ride = %d %s, want 400 with an error naming %q", resp.status, resp.body, tc.mentions)
				}
			})
		}
	})

	t.Run("POST /record, signed, stores a ride once, accepts its repeat and refuses a different one", func(t *testing.T) {
		r := ride.NewRide("6f1c2b8e-6c1e-4c55-9a43-0d6a3b1f2e10", ride.Unicorn{Name: "Rocinante", Color: "Yellow"},
			time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), ride.Location{Latitude: 1, Longitude: 2})
		body, _ := json.Marshal(r)
		for i := 0; i < 2; i++ {
			if resp := postSigned(t, st, string(body)); resp.status != 201 {
				t.Fatalf("POST /record #%d = %d %s", i+1, resp.status, resp.body)
			}
		}
		r.Unicorn.Name = "Shadowfax"
		changed, _ := json.Marshal(r)
		if resp := postSigned(t, st, string(changed)); resp.status != 409 {
			t.Errorf("POST /record with different content = %d %s, want 409", resp.status, resp.body)
		}
		if resp := postSigned(t, st, `{"RideId":"nope"}`); resp.status != 400 {
			t.Errorf("POST /record with a bad ride = %d %s, want 400", resp.status, resp.body)
		}
		n := 0
		for _, s := range obs.rides(t) {
			if s.RideID == r.RideID {
				n++
				if s.Unicorn.Name != "Rocinante" {
					t.Errorf("the stored ride was overwritten: %+v", s)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d items for ride %s, want 1", n, r.RideID)
		}
	})
}

func TestAMessageThatIsNotARideIsSetAsideAtOnceWithItsReason(t *testing.T) {
	sys := final(t)
	obs := observe(t, sys)
	if obs.unstorable == "" {
		t.Fatal("the final state has no unstorable queue")
	}
	before := sys.AsyncStats()
	topic := state(t, sys).Stacks[design.StackName(design.WildRydes, localtest.Stage)].Physical["RidesSnsTopic"]
	if _, err := obs.sns.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(`{"not":"a ride"}`)}); err != nil {
		t.Fatal(err)
	}
	// The message can never be stored: it leaves the shared system's queues with the test.
	t.Cleanup(func() { obs.purge(t) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sys.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if stats := sys.AsyncStats(); stats.Invoked-before.Invoked != 1 || stats.FailedAttempts != before.FailedAttempts {
		t.Errorf("async stats %+v (before the message %+v): a message that can never be stored must not be retried", stats, before)
	}
	redriver := &riderecord.Redriver{Queue: obs.sqs, QueueURL: obs.queue, UnstorableURL: obs.unstorable,
		Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{Client: obs.ddb, TableName: obs.table}}}
	listing, err := redriver.ListQueues(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(listing.DeadLetters) != 0 {
		t.Errorf("dead letters %+v: a message that can never be stored must not hold the dead-letter queue (and its alarm)", listing.DeadLetters)
	}
	if u := listing.Unstorable; len(u) != 1 || u[0].ErrorCode != design.ReasonInvalidRide || u[0].ErrorMessage == "" {
		t.Fatalf("set aside %+v, want the message with ErrorCode %s and its reason", u, design.ReasonInvalidRide)
	}
}

func TestTableOutage(t *testing.T) {
	// The outage disturbs every test of the final system: it runs after them (in parallel with
	// the tests on systems of their own only), and no other test of the final system may. It
	// holds the system from before it waits for its turn, so that none of those stops it first.
	sys := final(t)
	t.Parallel()
	st := state(t, sys)
	obs := observe(t, sys)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := sys.WaitIdle(ctx); err != nil { // the rides other tests sent are stored first
		t.Fatal(err)
	}
	if depth := obs.queueDepth(t); depth != 0 {
		t.Fatalf("the dead-letter queue holds %d messages before the outage", depth)
	}
	sys.SetTableUnavailable(time.Hour)
	t.Cleanup(func() { sys.SetTableUnavailable(0) })

	// Twenty rides: more than the sends in flight at once (10) and than one receive of the
	// re-drive (SQS's 10 messages at most), so that the rides overlap on their way to the
	// dead-letter queue and the re-drive pages through it. Each is retried on its own; more rides
	// would cost more, not show more.
	const rides = 20
	accepted := sendRides(t, st.ApiUrl, rides, 10)
	if len(accepted) != rides {
		t.Fatalf("%d of %d rides got 201 while the table was down; RequestRide must not depend on it", len(accepted), rides)
	}
	if err := sys.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(storedOf(obs.rides(t), accepted)); n != 0 {
		t.Fatalf("%d rides stored during the outage", n)
	}
	if depth := obs.queueDepth(t); depth != rides {
		t.Fatalf("the dead-letter queue holds %d messages, want %d (stats %+v)", depth, rides, sys.AsyncStats())
	}

	sys.SetTableUnavailable(0)
	redriver := &riderecord.Redriver{Queue: obs.sqs, QueueURL: obs.queue,
		Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{Client: obs.ddb, TableName: obs.table}}}
	report, err := redriver.Redrive(context.Background())
	if err != nil || report.Stored != rides || report.Failed != 0 {
		t.Fatalf("re-drive: %+v, %v", report, err)
	}
	stored := map[string]int{}
	for _, r := range storedOf(obs.rides(t), accepted) {
		stored[r.RideID]++
		if r != accepted[r.RideID] {
			t.Errorf("stored %+v, the caller got %+v", r, accepted[r.RideID])
		}
	}
	if len(stored) != rides {
		t.Errorf("the table holds %d rides after the re-drive, want %d", len(stored), rides)
	}
	if depth := obs.queueDepth(t); depth != 0 {
		t.Errorf("%d messages left in the dead-letter queue after a complete re-drive", depth)
	}
}

func TestRefactorUnderTraffic(t *testing.T) {
	t.Parallel() // on a system of its own: beside the other tests that start one
	// The refactor's safety alone: this traffic (about a hundred rides a second) is over step
	// 0's single write unit once its burst capacity is spent, which limits_test.go shows.
	sys := env.Start(t, localtest.Options{Path: []design.Step{design.StepSynchronous}, NoLimits: true})
	st := state(t, sys)

	var mu sync.Mutex
	accepted := map[string]ride.Ride{}
	failures := map[int]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				resp := post(t, st.ApiUrl+"/ride", rideBody)
				mu.Lock()
				if resp.status == 201 {
					var r ride.Ride
					_ = json.Unmarshal(resp.body, &r)
					accepted[r.RideID] = r
				} else {
					failures[resp.status]++
				}
				mu.Unlock()
			}
		}()
	}

	ctx := context.Background()
	time.Sleep(300 * time.Millisecond)
	for _, step := range design.Steps()[1:] {
		if err := sys.DeployStep(ctx, env.Steps, step); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("deploying step %d: %v", step, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := sys.WaitIdle(waitCtx); err != nil {
		t.Fatal(err)
	}

	if len(failures) > 0 {
		t.Errorf("requests failed during the refactor: %v (status: count)", failures)
	}
	if len(accepted) < 100 {
		t.Fatalf("only %d rides were accepted; the traffic did not run through the refactor", len(accepted))
	}
	obs := observe(t, sys)
	count := map[string]int{}
	for _, r := range obs.rides(t) {
		count[r.RideID]++
	}
	var missing []string
	for id := range accepted {
		if count[id] != 1 {
			missing = append(missing, fmt.Sprintf("%s (%d times)", id, count[id]))
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d accepted rides are not in the table exactly once: %v", len(missing), len(accepted), missing[:min(5, len(missing))])
	}
	if len(count) != len(accepted) {
		t.Errorf("the table holds %d rides, %d were accepted", len(count), len(accepted))
	}
	if q := obs.queueDepth(t); q != 0 {
		t.Errorf("%d rides were dead-lettered during the refactor", q)
	}
}

// storedOf are the stored rides among the accepted ones: what a test sent to the shared system.
func storedOf(stored []ride.Ride, accepted map[string]ride.Ride) []ride.Ride {
	var out []ride.Ride
	for _, r := range stored {
		if _, ok := accepted[r.RideID]; ok {
			out = append(out, r)
		}
	}
	return out
}

// sendRides POSTs n rides with the given parallelism and returns the accepted ones by ID.
func sendRides(t *testing.T, api string, n, parallel int) map[string]ride.Ride {
	t.Helper()
	var mu sync.Mutex
	accepted := map[string]ride.Ride{}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				resp := post(t, api+"/ride", rideBody)
				if resp.status != 201 {
					t.Errorf("POST /ride = %d %s", resp.status, resp.body)
					continue
				}
				var r ride.Ride
				_ = json.Unmarshal(resp.body, &r)
				mu.Lock()
				accepted[r.RideID] = r
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return accepted
}
