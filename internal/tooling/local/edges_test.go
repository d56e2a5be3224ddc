package local_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

// A 201 is a promise: whatever a rider or a caller of POST /record sends is either stored as the
// caller was told, or refused with a 400 that names the field; never dead-lettered.

func TestAHostileCoordinateIsStoredAsTheRiderWasToldOrRefused(t *testing.T) {
	sys := final(t)
	st := state(t, sys)
	obs := observe(t, sys)
	t.Cleanup(func() { obs.purge(t) })

	for _, tc := range []struct{ name, latitude, want string }{
		// DynamoDB refuses a non-zero number below 1E-130 ("Number underflow"): 1e-200 is a
		// latitude of 0 to 7 decimal places, and the rider is told so.
		{"a latitude of 1e-200", "1e-200", "0"},
		{"a latitude with 20 decimal places", "42.35250000000000000001", "42.3525"},
		{"a latitude just under the precision", "-0.00000004", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, st.ApiUrl+"/ride", `{"PickupLocation":{"Latitude":`+tc.latitude+`,"Longitude":-71.05}}`)
			if resp.status != http.StatusCreated {
				t.Fatalf("POST /ride = %d %s, want 201", resp.status, resp.body)
			}
			var told ride.Ride
			if err := json.Unmarshal(resp.body, &told); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(mustJSON(t, told.PickupLocation.Latitude))); got != tc.want {
				t.Errorf("the rider was told latitude %s, want %s", got, tc.want)
			}
			waitFor(t, 5*time.Second, "the ride is not in the table", func() bool {
				for _, r := range obs.rides(t) {
					if r.RideID == told.RideID {
						if r != told {
							t.Fatalf("stored %+v, the rider was told %+v", r, told)
						}
						return true
					}
				}
				return false
			})
		})
	}
	if n := obs.queueDepth(t); n != 0 {
		t.Errorf("%d messages in the dead-letter queue: a hostile coordinate must be stored or refused, never dead-lettered", n)
	}

	t.Run("POST /record refuses a coordinate DynamoDB could not store, naming it", func(t *testing.T) {
		for _, latitude := range []string{"1e-200", "42.35250001"} {
			body := `{"RideId":"` + uuid.NewString() + `","Unicorn":{"Name":"Rocinante","Color":"Yellow"},` +
				`"RequestTime":"2026-12-05T10:00:00.000Z","PickupLocation":{"Latitude":` + latitude + `,"Longitude":2}}`
			resp := postSigned(t, st, body)
			if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), "PickupLocation.Latitude") {
				t.Errorf("POST /record with latitude %s = %d %s, want 400 naming PickupLocation.Latitude", latitude, resp.status, resp.body)
			}
		}
	})
}

func TestARetriedRideRequestWithTheSameKeyAnswersTheSameRide(t *testing.T) {
	sys := final(t)
	st := state(t, sys)
	obs := observe(t, sys)
	key := uuid.NewString()

	first := postWithKey(t, st.ApiUrl+"/ride", rideBody, key)
	again := postWithKey(t, st.ApiUrl+"/ride", rideBody, key)
	if first.status != http.StatusCreated || again.status != http.StatusCreated || string(first.body) != string(again.body) {
		t.Fatalf("first %d %s, retry %d %s: a retry with the same key must answer the same ride", first.status, first.body, again.status, again.body)
	}
	other := postWithKey(t, st.ApiUrl+"/ride", `{"PickupLocation":{"Latitude":40.7128,"Longitude":-74.006}}`, key)
	if other.status != http.StatusUnprocessableEntity {
		t.Errorf("the same key with another pickup = %d %s, want 422", other.status, other.body)
	}
	var r ride.Ride
	if err := json.Unmarshal(first.body, &r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the ride is not in the table", func() bool {
		n := 0
		for _, s := range obs.rides(t) {
			if s.RideID == r.RideID {
				n++
			}
		}
		return n == 1
	})
	if a, b := post(t, st.ApiUrl+"/ride", rideBody), post(t, st.ApiUrl+"/ride", rideBody); string(a.body) == string(b.body) {
		t.Errorf("two requests without a key answered the same ride %s: without the header nothing changes", a.body)
	}
}

func TestAMessageTheRedriveCanNeverStoreLeavesTheDeadLetterQueue(t *testing.T) {
	sys := final(t)
	obs := observe(t, sys)
	t.Cleanup(func() { obs.purge(t) })
	// What a message that got in before this round looks like: not a ride, in the dead-letter
	// queue, holding its "a message is visible" alarm in ALARM for the queue's 14 days.
	if _, err := obs.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(obs.queue),
		MessageBody: aws.String(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m-1","Message":"{\"not\":\"a ride\"}"}}]}`)}); err != nil {
		t.Fatal(err)
	}
	// The queue's alarm (a message visible, DeadLetterQueueAlarm) as the local CloudWatch
	// evaluates it: ALARM while the message waits.
	dlqAlarm := func() string {
		for _, a := range sys.CloudWatch().Alarms() {
			if strings.Contains(a.Name, "-DeadLetterQueueAlarm") {
				return a.State
			}
		}
		t.Fatal("no dead-letter queue alarm in the system")
		return ""
	}
	waitFor(t, 10*time.Second, "the dead-letter queue's alarm did not fire for the message", func() bool { return dlqAlarm() == "ALARM" })
	redriver := &riderecord.Redriver{Queue: obs.sqs, QueueURL: obs.queue, UnstorableURL: obs.unstorable,
		Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{Client: obs.ddb, TableName: obs.table}}}
	report, err := redriver.Redrive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if report.Unstorable != 1 || report.Failed != 0 {
		t.Errorf("re-drive report %+v: the message can never be stored, so it must be set aside", report)
	}
	if n := obs.queueDepth(t); n != 0 {
		t.Errorf("%d messages left in the dead-letter queue: its alarm could not fire for the next outage", n)
	}
	if n := obs.depth(t, obs.unstorable); n != 1 {
		t.Errorf("%d messages in the unstorable queue, want the one set aside", n)
	}
	// Set aside, the message no longer holds the alarm: it returns to OK, and fires again for
	// the next ride the queue receives.
	waitFor(t, 10*time.Second, "the dead-letter queue's alarm is not OK after the re-drive", func() bool { return dlqAlarm() == "OK" })
	if _, err := obs.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(obs.queue),
		MessageBody: aws.String(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m-2","Message":"{\"not\":\"a ride either\"}"}}]}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the dead-letter queue's alarm did not fire for the next message", func() bool { return dlqAlarm() == "ALARM" })
}

func postWithKey(t testing.TB, url, body, key string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	return do(t, req)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
