package riderecord

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

const (
	rideD = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
	rideE = "9e8d7c6b-5a4f-4e3d-ac1b-0f9e8d7c6b5a"
)

func newRedriver(store *fakeStore, q *fakeQueue) *Redriver {
	return &Redriver{Queue: q, QueueURL: dlqURL, Recorder: &Recorder{Store: DynamoDBStore{Client: store, TableName: "rides"}}, Logger: slog.New(slog.DiscardHandler)}
}

// lambdaDeadLetter is a dead letter as Lambda's async invoke leaves it: the SNS event and attributes.
func lambdaDeadLetter(q *fakeQueue, records ...events.SNSEventRecord) string {
	body, _ := json.Marshal(snsEvent(records...))
	return q.add(string(body), map[string]sqstypes.MessageAttributeValue{
		"RequestID":    stringAttribute("lambda-req-9"),
		"ErrorCode":    stringAttribute("200"),
		"ErrorMessage": stringAttribute("put ride: ProvisionedThroughputExceededException"),
	})
}

func TestRedriveStoresAndDeletesGoodMessagesAndKeepsFailingOnesWithTheirReason(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	store.items[rideC] = ItemFromRide(testRide(rideC)) // stored before it was dead-lettered
	store.items[rideD] = ItemFromRide(testRide(rideD)) // the dead letter below differs: a conflict
	store.failRide = rideE                             // the table still refuses this one

	good := lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))))
	bare := q.add(rideJSON(testRide(rideB)), nil)
	dup := lambdaDeadLetter(q, snsRecord("sns-3", rideJSON(testRide(rideC))))
	conflict := lambdaDeadLetter(q, snsRecord("sns-4", rideJSON(func() ride.Ride { r := testRide(rideD); r.Unicorn.Name = "Rocinante"; return r }())))
	throttled := lambdaDeadLetter(q, snsRecord("sns-5", rideJSON(testRide(rideE))))
	invalid := lambdaDeadLetter(q, snsRecord("sns-6", `{"RideId":"nope"}`))
	garbage := q.add("hello", nil)

	rep, err := newRedriver(store, q).Redrive(context.Background())
	if err != nil {
		t.Fatalf("Redrive: %v", err)
	}
	if rep.Received != 7 || rep.Stored != 3 || rep.Failed != 4 {
		t.Errorf("report counts received %d, stored %d, failed %d; want 7, 3, 4", rep.Received, rep.Stored, rep.Failed)
	}
	for _, id := range []string{rideA, rideB, rideC} {
		if got, err := RideFromItem(store.item(id)); err != nil || got != testRide(id) {
			t.Errorf("ride %s not stored: %+v %v", id, got, err)
		}
	}

	wantFailures := map[string]struct{ rideID, reason string }{
		conflict:  {rideD, "already recorded with different content"},
		throttled: {rideE, "put ride " + rideE},
		invalid:   {"", "record 0 (SNS message sns-6): RideId must be a UUID"},
		garbage:   {"", "body is neither an SNS event nor a valid ride: body is not valid JSON"},
	}
	if len(rep.Failures) != len(wantFailures) {
		t.Errorf("report lists %d failures, want %d: %+v", len(rep.Failures), len(wantFailures), rep.Failures)
	}
	for _, f := range rep.Failures {
		want, ok := wantFailures[f.MessageID]
		if !ok {
			t.Errorf("unexpected failure %+v", f)
			continue
		}
		if f.RideID != want.rideID || !strings.Contains(f.Reason, want.reason) {
			t.Errorf("failure %+v, want ride %q and a reason saying %q", f, want.rideID, want.reason)
		}
	}

	left := map[string]bool{}
	for _, m := range q.messages() {
		left[m.id] = true
		if m.hidden {
			t.Errorf("message %s left in the queue is hidden; it must be visible for the next look", m.id)
		}
	}
	for _, id := range []string{good, bare, dup} {
		if left[id] {
			t.Errorf("stored message %s was not deleted", id)
		}
	}
	for id := range wantFailures {
		if !left[id] {
			t.Errorf("failing message %s was deleted", id)
		}
	}

	// The table recovers: the next run gets the throttled ride in and deletes its message.
	store.failRide = ""
	rep, err = newRedriver(store, q).Redrive(context.Background())
	if err != nil || rep.Received != 4 || rep.Stored != 1 || rep.Failed != 3 {
		t.Errorf("second run: %+v, %v; want 4 received, 1 stored, 3 failed", rep, err)
	}
	if store.item(rideE) == nil {
		t.Error("the second run did not store the throttled ride")
	}
}

func TestAMessageIsDeletedOnlyWhenEveryRideInItIsStored(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	id := lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))), snsRecord("sns-2", `{}`))

	rep, err := newRedriver(store, q).Redrive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if store.item(rideA) == nil {
		t.Error("the valid ride in the message was not stored")
	}
	if rep.Failed != 1 || len(q.messages()) != 1 || q.messages()[0].id != id {
		t.Errorf("report %+v, queue %d messages; want the half-stored message kept", rep, len(q.messages()))
	}
}

func TestRedriveStopsWhenOnlyFailingMessagesKeepComingBack(t *testing.T) {
	store, q := newStore(), &fakeQueue{ignoreVisibility: true}
	for range 3 {
		q.add(`{"RideId":"nope"}`, nil)
	}
	q.add(rideJSON(testRide(rideA)), nil)

	rep, err := newRedriver(store, q).Redrive(context.Background())
	if err != nil {
		t.Fatalf("Redrive: %v", err)
	}
	if rep.Received != 4 || rep.Stored != 1 || rep.Failed != 3 {
		t.Errorf("report %+v, want each message tried once: 4 received, 1 stored, 3 failed", rep)
	}
	if q.receives > 3 {
		t.Errorf("%d receives for 4 messages; the run is looping on the failing ones", q.receives)
	}
}

func TestAMessageWhoseDeleteFailsIsReportedAndKept(t *testing.T) {
	store, q := newStore(), &fakeQueue{deleteErr: errors.New("AccessDenied")}
	id := q.add(rideJSON(testRide(rideA)), nil)
	rep, err := newRedriver(store, q).Redrive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || len(rep.Failures) != 1 || rep.Failures[0].MessageID != id ||
		!strings.Contains(rep.Failures[0].Reason, "could not be deleted") {
		t.Errorf("report %+v, want the message reported as stored but not deleted", rep)
	}
	if store.item(rideA) == nil {
		t.Error("the ride was not stored")
	}
}

func TestAQueueThatCannotBeReadIsAnError(t *testing.T) {
	q := &fakeQueue{receiveErr: errors.New("QueueDoesNotExist")}
	_, err := RedriveHandler{Redriver: newRedriver(newStore(), q)}.Handle(context.Background(), json.RawMessage(`{}`))
	if err == nil || !strings.Contains(err.Error(), "QueueDoesNotExist") {
		t.Errorf("Handle = %v, want the receive error", err)
	}
}

func TestTheRedriveFunctionReturnsTheReport(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))))
	rep, err := RedriveHandler{Redriver: newRedriver(store, q)}.Handle(context.Background(), nil)
	if err != nil || rep.Received != 1 || rep.Stored != 1 || rep.Failed != 0 {
		t.Errorf("Handle = %+v, %v; want one message stored", rep, err)
	}
	out, _ := json.Marshal(rep)
	if string(out) != `{"Received":1,"Stored":1,"Failed":0}` {
		t.Errorf("report JSON = %s", out)
	}
}

func TestListShowsTheMessagesAndLeavesThemVisible(t *testing.T) {
	q := &fakeQueue{}
	first := lambdaDeadLetter(q, snsRecord("sns-1", rideJSON(testRide(rideA))), snsRecord("sns-2", `{}`))
	for range 11 {
		q.add(rideJSON(testRide(rideB)), nil)
	}
	r := newRedriver(newStore(), q)

	letters, err := r.List(context.Background(), 0)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(letters) != 12 {
		t.Fatalf("listed %d messages, want all 12", len(letters))
	}
	l := letters[0]
	if l.MessageID != first || l.ErrorCode != "200" || l.RequestID != "lambda-req-9" || !strings.Contains(l.ErrorMessage, "ProvisionedThroughput") {
		t.Errorf("first letter %+v lacks its ID or attributes", l)
	}
	if len(l.Rides) != 1 || l.Rides[0] != testRide(rideA) || len(l.Problems) != 1 || !strings.Contains(l.Problems[0], "RideId is missing") {
		t.Errorf("first letter rides %+v, problems %q; want ride A and the missing RideId", l.Rides, l.Problems)
	}
	if l.ReceiptHandle == "" || !strings.Contains(l.Body, "sns-2") {
		t.Errorf("first letter lacks its receipt handle or body: %+v", l)
	}
	for _, m := range q.messages() {
		if m.hidden {
			t.Errorf("message %s hidden after listing", m.id)
		}
	}

	if letters, err := r.List(context.Background(), 5); err != nil || len(letters) != 5 {
		t.Errorf("List(5) = %d letters, %v; want 5", len(letters), err)
	}
	if n := len(q.messages()); n != 12 {
		t.Errorf("listing changed the queue to %d messages", n)
	}
}

func TestARideSNSCouldNotDeliverIsReDrivenFromItsNotification(t *testing.T) {
	store, q := newStore(), &fakeQueue{}
	// What a subscription's redrive policy leaves in the queue: the SNS notification itself.
	notification, _ := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "sns-7", "TopicArn": "arn:aws:sns:us-east-1:123456789012:rides",
		"Message": rideJSON(testRide(rideA)), "Timestamp": "2026-11-22T10:00:00.000Z",
	})
	q.add(string(notification), nil)
	notARide, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "sns-8", "Message": `{"hello":1}`})
	q.add(string(notARide), nil)

	rep, err := newRedriver(store, q).Redrive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stored != 1 || rep.Failed != 1 {
		t.Errorf("report %+v, want the notification's ride stored and the other kept", rep)
	}
	if got, err := RideFromItem(store.item(rideA)); err != nil || got != testRide(rideA) {
		t.Errorf("ride %s not stored from its notification: %+v %v", rideA, got, err)
	}
	if len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0].Reason, "sns-8") {
		t.Errorf("failures %+v, want the notification that is not a ride named", rep.Failures)
	}
}
