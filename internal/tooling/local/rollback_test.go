package local_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

// stackStatus is the stack's status as the SDK's CloudFormation client reads it on the local
// CloudFormation endpoint, with its Step output ("" when it has none).
func stackStatus(t testing.TB, sys *local.System, name string) (types.StackStatus, string) {
	t.Helper()
	client := cloudformation.NewFromConfig(state(t, sys).CloudFormationConfig())
	out, err := client.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeStacks %s: %v", name, err)
	}
	st := out.Stacks[0]
	for _, o := range st.Outputs {
		if aws.ToString(o.OutputKey) == design.StepOutput {
			return st.StackStatus, aws.ToString(o.OutputValue)
		}
	}
	return st.StackStatus, ""
}

// CloudFormation rolls a failed update back by sending the guard an Update with its old
// properties, which nothing marks as a rollback: the guard must answer it even when the check it
// would make fails (here every SSM call of the functions), or the stack wedges in
// UPDATE_ROLLBACK_FAILED.
//
// Both guards check SSM: wild-rydes at step 2 requires POST /record open, and at step 0 also the
// subscriber absent.
func TestAGuardWhoseSSMFailsFailsTheUpdateAndStillRollsItBackCleanly(t *testing.T) {
	t.Parallel() // on a system of its own: beside the other tests that start one
	sys := env.Start(t, localtest.At(design.StepTopic))
	ctx := context.Background()
	back, err := env.Steps.Stack(design.WildRydes, design.StepSynchronous)
	if err != nil {
		t.Fatal(err)
	}
	sys.SetParameterStoreUnavailable(time.Hour)
	err = sys.Deploy(ctx, back)
	if err == nil || !strings.Contains(err.Error(), "Received response status [FAILED]") {
		t.Fatalf("deploying %s at step %d while SSM fails: %v, want the guard's FAILED answer", back.Name, design.StepSynchronous, err)
	}
	if status, step := stackStatus(t, sys, back.Name); status != types.StackStatusUpdateRollbackComplete || step != "2" {
		t.Fatalf("%s is %s at step %s, want %s at step 2: the guard must answer the rollback's Update", back.Name, status, step, types.StackStatusUpdateRollbackComplete)
	}

	sys.SetParameterStoreUnavailable(0)
	if err := sys.Deploy(ctx, back); err != nil {
		t.Fatalf("deploying it again once SSM answers: %v", err)
	}
	if status, step := stackStatus(t, sys, back.Name); status != types.StackStatusUpdateComplete || step != "0" {
		t.Errorf("%s is %s at step %s, want %s at step 0", back.Name, status, step, types.StackStatusUpdateComplete)
	}
}

// Rolling ride-record back below the subscriber's step deletes PutRideRecordSns. Rides that
// wild-rydes published before it stopped may still wait in Lambda's asynchronous queue or
// back-off for it, and Lambda discards them with the function. Under traffic, with the table
// unavailable so that they wait, every ride accepted must end in the table or a dead-letter
// queue: ride-record's rollback is refused until none can still be waiting.
func TestRollingRideRecordBackBelowTheSubscriberUnderTrafficDropsNoRide(t *testing.T) {
	t.Parallel() // on a system of its own: beside the other tests that start one
	ctx := context.Background()
	sys := env.Start(t, localtest.At(design.StepPublish))
	st := state(t, sys)
	obs := observe(t, sys)
	redriver := &riderecord.Redriver{Queue: obs.sqs, QueueURL: obs.queue, UnstorableURL: st.Queues["UnstorableRidesQueue"],
		Logger: slog.New(slog.DiscardHandler)}

	// Riders: 20 requests a second, each on its own, whatever the answers' latency.
	var mu sync.Mutex
	var accepted []string
	refused := 0
	stop := make(chan struct{})
	var clients sync.WaitGroup
	clients.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			clients.Go(func() {
				resp, err := http.Post(st.ApiUrl+"/ride", "application/json", strings.NewReader(rideBody))
				var r ride.Ride
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					defer resp.Body.Close()
					if resp.StatusCode == http.StatusCreated && json.NewDecoder(resp.Body).Decode(&r) == nil {
						accepted = append(accepted, r.RideID)
						return
					}
				}
				refused++
			})
		}
	})

	// The table goes away long enough for PutRideRecordSns to fail its attempts: the rides
	// published meanwhile wait for Lambda's retries.
	time.Sleep(300 * time.Millisecond)
	const outage = 3 * time.Second
	sys.SetTableUnavailable(outage)
	outageEnds := time.Now().Add(outage)
	time.Sleep(time.Second)
	wild, err := env.Steps.Stack(design.WildRydes, design.StepTopic)
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.Deploy(ctx, wild); err != nil {
		t.Fatalf("rolling wild-rydes back to step %d: %v", design.StepTopic, err)
	}
	ride0, err := env.Steps.Stack(design.RideRecord, design.StepSharedPutPath)
	if err != nil {
		t.Fatal(err)
	}
	rolledBack := time.Now()
	waiting := sys.AsyncStats() // the rides on their way to PutRideRecordSns when its deletion is first asked for
	var refusals []string
	for err := sys.Deploy(ctx, ride0); err != nil; err = sys.Deploy(ctx, ride0) {
		refusals = append(refusals, err.Error())
		if time.Since(rolledBack) > 20*time.Second {
			t.Fatalf("ride-record's rollback below step %d still refused after 20 s: %v", design.StepSubscriber, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("ride-record rolled back %s after wild-rydes stopped publishing (%d refusals first)", time.Since(rolledBack).Round(10*time.Millisecond), len(refusals))
	time.Sleep(time.Until(outageEnds))
	close(stop)
	clients.Wait()
	if err := sys.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}

	stored := map[string]bool{}
	for _, r := range obs.rides(t) {
		stored[r.RideID] = true
	}
	listing, err := redriver.ListQueues(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	deadLettered := map[string]bool{}
	for _, l := range append(listing.DeadLetters, listing.Unstorable...) {
		for _, r := range l.Rides {
			deadLettered[r.RideID] = true
		}
	}
	var lost []string
	inTable, inQueue := 0, 0
	for _, id := range accepted {
		switch {
		case stored[id]:
			inTable++
		case deadLettered[id]:
			inQueue++
		default:
			lost = append(lost, id)
		}
	}
	t.Logf("rides accepted %d (and %d requests refused), stored %d, dead-lettered %d, lost %d; Lambda dropped %d events; %d events pending when the rollback was first asked for",
		len(accepted), refused, inTable, inQueue, len(lost), sys.AsyncStats().Dropped, waiting.Pending)
	if len(lost) > 0 {
		t.Errorf("%d accepted rides are in neither the table nor a dead-letter queue, e.g. %s", len(lost), lost[0])
	}
	if waiting.Pending < 5 || len(accepted) < 20 {
		t.Errorf("%d rides accepted; %d events pending when the rollback was asked for: too few rides were on their way to show anything",
			len(accepted), waiting.Pending)
	}
	if status, step := stackStatus(t, sys, ride0.Name); status != types.StackStatusUpdateComplete || step != "1" {
		t.Errorf("%s is %s at step %s, want %s at step 1", ride0.Name, status, step, types.StackStatusUpdateComplete)
	}
}
