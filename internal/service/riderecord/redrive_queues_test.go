package riderecord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

func TestAnEmptyAnswerFromAShortPollDoesNotEndAListingOrARedrive(t *testing.T) {
	tests := []struct {
		name string
		run  func(*Redriver) (int, error)
	}{
		{"listing", func(r *Redriver) (int, error) { l, err := r.List(context.Background(), 0); return len(l), err }},
		{"listing both queues", func(r *Redriver) (int, error) {
			l, err := r.ListQueues(context.Background(), 0)
			return len(l.DeadLetters), err
		}},
		{"re-driving", func(r *Redriver) (int, error) { rep, err := r.Redrive(context.Background()); return rep.Stored, err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, q := newStore(), &fakeQueue{shortPollMisses: true}
			for _, id := range []string{rideA, rideB, rideC} {
				lambdaDeadLetter(q, snsRecord("sns-"+id, rideJSON(testRide(id))))
			}
			n, err := tt.run(newRedriver(store, q))
			if err != nil || n != 3 {
				t.Errorf("got %d messages (%v), want all 3: a short poll samples a subset of SQS's servers and may answer empty while messages wait", n, err)
			}
			for i, w := range q.waits {
				if w < 1 {
					t.Errorf("receive %d waited %d s, want a long poll (WaitTimeSeconds >= 1)", i+1, w)
				}
			}
		})
	}
}

// A listing of many messages makes every one visible again, however long the calls take together
// (the workshop's load leaves 1,139 in step 4's dead-letter queue; one 5-second budget for all of
// them left 145 hidden).
func TestAListingOfManyMessagesMakesEveryOneVisibleAgain(t *testing.T) {
	saved := releaseTimeout
	releaseTimeout = 20 * time.Millisecond
	t.Cleanup(func() { releaseTimeout = saved })
	q := &fakeQueue{visibilityDelay: 5 * time.Millisecond}
	for i := 0; i < 30; i++ {
		lambdaDeadLetter(q, snsRecord(fmt.Sprintf("sns-%d", i), rideJSON(testRide(rideA))))
	}
	if letters, err := newRedriver(newStore(), q).List(context.Background(), 0); err != nil || len(letters) != 30 {
		t.Fatalf("List = %d letters, %v; want all 30", len(letters), err)
	}
	for _, m := range q.messages() {
		if m.hidden {
			t.Fatalf("message %s is still hidden after the listing", m.id)
		}
	}
}

func TestAQueueWhoseCountsSayItIsEmptyIsAnsweredWithoutWaiting(t *testing.T) {
	q := &fakeQueue{}
	r := newRedriver(newStore(), q)
	if letters, err := r.List(context.Background(), 0); err != nil || len(letters) != 0 {
		t.Fatalf("List = %d, %v; want an empty list", len(letters), err)
	}
	if rep, err := r.Redrive(context.Background()); err != nil || rep.Received != 0 {
		t.Fatalf("Redrive = %+v, %v; want nothing received", rep, err)
	}
	if q.receives != 0 {
		t.Errorf("%d receives on an empty queue; the counts say it is empty, no long poll is needed", q.receives)
	}
}

func TestCountsThatLagDoNotKeepARunGoingPastAnEmptyLongPoll(t *testing.T) {
	store, q := newStore(), &fakeQueue{staleCount: "5"}
	lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))))
	rep, err := newRedriver(store, q).Redrive(context.Background())
	if err != nil || rep.Stored != 1 {
		t.Fatalf("Redrive = %+v, %v; want the one message stored", rep, err)
	}
	if q.receives != 2 {
		t.Errorf("%d receives, want 2: the message, then an empty long poll ends the run", q.receives)
	}
}

// twoQueues is a re-drive with an unstorable queue.
func twoQueues(store *fakeStore, q *fakeQueue) *Redriver {
	r := newRedriver(store, q)
	r.UnstorableURL = unstorableURL
	return r
}

func TestMessagesNoRetryCanStoreAreMovedToTheUnstorableQueueWithTheirReason(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	store.items[rideD] = ItemFromRide(testRide(rideD))
	other := testRide(rideD)
	other.Unicorn.Name = "Rocinante"
	tiny := strings.Replace(rideJSON(testRide(rideC)), "42.3525", "1e-200", 1)

	good := lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))))
	invalid := lambdaDeadLetter(q, snsRecord("sns-2", `{"RideId":"nope"}`))
	hostile := lambdaDeadLetter(q, snsRecord("sns-3", tiny))
	conflict := lambdaDeadLetter(q, snsRecord("sns-4", rideJSON(other)))
	garbage := q.add("hello", nil)

	rep, err := twoQueues(store, q).Redrive(context.Background())
	if err != nil {
		t.Fatalf("Redrive: %v", err)
	}
	if rep.Received != 5 || rep.Stored != 1 || rep.Unstorable != 4 || rep.Failed != 0 {
		t.Errorf("report %+v, want 5 received, 1 stored, 4 moved as unstorable, none failed", rep)
	}
	if left := q.in(dlqURL); len(left) != 0 {
		t.Errorf("the dead-letter queue still holds %d messages; its alarm would stay in ALARM", len(left))
	}
	want := map[string]struct{ code, reason string }{
		invalid:  {"InvalidRide", "RideId must be a UUID"},
		hostile:  {"InvalidRide", "PickupLocation.Latitude is 1e-200, more precise than a coordinate"},
		conflict: {"Conflict", "already recorded with different content"},
		garbage:  {"InvalidRide", "body is neither an SNS event nor a valid ride"},
	}
	moved := q.in(unstorableURL)
	if len(moved) != len(want) {
		t.Fatalf("the unstorable queue holds %d messages, want %d", len(moved), len(want))
	}
	for _, f := range rep.SetAside {
		w, ok := want[f.MessageID]
		if !ok || f.Code != w.code || !strings.Contains(f.Reason, w.reason) {
			t.Errorf("set aside %+v, want code %s and a reason saying %q", f, w.code, w.reason)
		}
	}
	for _, m := range moved {
		code, msg := attribute(m, "ErrorCode"), attribute(m, "ErrorMessage")
		found := false
		for _, w := range want {
			found = found || code == w.code && strings.Contains(msg, w.reason)
		}
		if !found {
			t.Errorf("moved message with ErrorCode %q, ErrorMessage %q matches no unstorable message", code, msg)
		}
		if m.body != "hello" && attribute(m, "RequestID") != "lambda-req-9" {
			t.Errorf("moved message lost its RequestID: %v", m.attrs)
		}
	}
	if store.item(rideA) == nil {
		t.Errorf("the ride of message %s was not stored", good)
	}
}

func TestAMessageWithATransientFailureStaysInTheDeadLetterQueue(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	store.failRide = rideB // throttled: the table will take it later
	id := lambdaDeadLetter(q, snsRecord("sns-1", `{}`), snsRecord("sns-2", rideJSON(testRide(rideB))))
	rep, err := twoQueues(store, q).Redrive(context.Background())
	if err != nil || rep.Failed != 1 || rep.Unstorable != 0 {
		t.Fatalf("Redrive = %+v, %v; want the message kept (its ride may store later)", rep, err)
	}
	if left := q.in(dlqURL); len(left) != 1 || left[0].id != id || len(q.in(unstorableURL)) != 0 {
		t.Errorf("queues %+v, want the message still in the dead-letter queue only", q.messages())
	}
}

func TestAMessageThatCannotBeMovedStaysWhereItIs(t *testing.T) {
	q := &fakeQueue{sendErr: errors.New("AccessDenied")}
	id := q.add(`{"RideId":"nope"}`, nil)
	rep, err := twoQueues(newStore(), q).Redrive(context.Background())
	if err != nil || rep.Failed != 1 || len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0].Reason, "could not be moved to the unstorable queue: AccessDenied") {
		t.Fatalf("Redrive = %+v, %v; want the message kept, saying it could not be moved", rep, err)
	}
	if left := q.in(dlqURL); len(left) != 1 || left[0].id != id || left[0].hidden {
		t.Errorf("dead-letter queue %+v, want the message back and visible", left)
	}
}

func TestTheListingReportsBothQueuesWithTheirReasons(t *testing.T) {
	q := &fakeQueue{}
	lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))))
	q.addTo(unstorableURL, `{"RideId":"nope"}`, map[string]sqstypes.MessageAttributeValue{
		"ErrorCode": stringAttribute("InvalidRide"), "ErrorMessage": stringAttribute("RideId must be a UUID")})
	q.addTo(unstorableURL, "hello", nil)

	l, err := twoQueues(newStore(), q).ListQueues(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.DeadLetters) != 1 || l.DeadLetters[0].Reason() != "200: put ride: ProvisionedThroughputExceededException" {
		t.Errorf("dead letters %+v, want the one waiting for the table, with Lambda's reason", l.DeadLetters)
	}
	if len(l.Unstorable) != 2 || l.Unstorable[0].Reason() != "InvalidRide: RideId must be a UUID" ||
		!strings.HasPrefix(l.Unstorable[1].Reason(), "body is neither an SNS event nor a valid ride") {
		t.Errorf("unstorable %+v, want both with their reasons", l.Unstorable)
	}
	for _, m := range q.messages() {
		if m.hidden {
			t.Errorf("message %s hidden after listing", m.id)
		}
	}
	if l, err := newRedriver(newStore(), q).ListQueues(context.Background(), 0); err != nil || len(l.Unstorable) != 0 || len(l.DeadLetters) != 1 {
		t.Errorf("without an unstorable queue: %+v, %v; want the dead-letter queue alone", l, err)
	}
}

func TestARunStopsInTimeToAnswerBeforeTheFunctionsTimeout(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))))
	ctx, cancel := context.WithTimeout(context.Background(), reserve-time.Second)
	defer cancel()
	rep, err := newRedriver(store, q).Redrive(ctx)
	if err != nil || rep.Unfinished == "" || !strings.Contains(rep.Unfinished, "run it again") {
		t.Fatalf("Redrive = %+v, %v; want a report saying the run stopped before the timeout", rep, err)
	}
	if q.receives != 0 || len(q.in(dlqURL)) != 1 || q.in(dlqURL)[0].hidden {
		t.Errorf("%d receives, queue %+v; want the message untouched and visible", q.receives, q.in(dlqURL))
	}
	if _, err := newRedriver(store, q).List(ctx, 0); err == nil || !strings.Contains(err.Error(), "run it again") {
		t.Errorf("List near the deadline = %v, want it to say it stopped", err)
	}
}

// A ride in a dead letter at a coordinate's precision is stored as it was booked.
func TestARedrivenRideIsStoredAsBooked(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	r := testRide(rideA)
	r.PickupLocation = ride.Location{Latitude: 0, Longitude: -71.05}
	lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(r)))
	if rep, err := newRedriver(store, q).Redrive(context.Background()); err != nil || rep.Stored != 1 {
		t.Fatalf("Redrive = %+v, %v", rep, err)
	}
	if got, err := RideFromItem(store.item(rideA)); err != nil || got != r {
		t.Errorf("stored %+v (%v), want %+v", got, err, r)
	}
}

// A run hides what it receives until it must have ended, so that no message comes back while it
// still goes on and ends it early: a slow queue (the emulator's, a thousand messages deep) takes
// longer than SQS's 30 s default to sweep.
func TestARunHidesWhatItReceivesUntilItMustHaveEnded(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	q.add(rideJSON(testRide(rideA)), nil)
	if _, err := newRedriver(store, q).List(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // RedriveDeadLetters' timeout
	defer cancel()
	if _, err := newRedriver(store, q).Redrive(ctx); err != nil {
		t.Fatal(err)
	}
	if len(q.hides) != 2 || q.hides[0] != 900 || q.hides[1] < 290 || q.hides[1] > 300 {
		t.Errorf("receives hid their messages for %v s, want 15 minutes without a deadline and the 5 minutes left with one", q.hides)
	}
}
