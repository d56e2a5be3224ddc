package riderecord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const dlqURL = "https://sqs.us-east-1.amazonaws.com/123456789012/wild-rydes-dlq"

func newSNSHandler(store *fakeStore, dlq *fakeQueue) *SNSHandler {
	return &SNSHandler{
		Recorder:    &Recorder{Store: DynamoDBStore{Client: store, TableName: "rides"}},
		DeadLetters: dlq,
		QueueURL:    dlqURL,
		Logger:      slog.New(slog.DiscardHandler),
	}
}

func snsRecord(messageID, message string) events.SNSEventRecord {
	return events.SNSEventRecord{
		EventVersion: "1.0",
		EventSource:  "aws:sns",
		SNS: events.SNSEntity{
			MessageID: messageID,
			Type:      "Notification",
			TopicArn:  "arn:aws:sns:us-east-1:123456789012:wild-rydes-rides",
			Timestamp: time.Date(2026, 11, 22, 10, 0, 0, 200e6, time.UTC),
			Message:   message,
		},
	}
}

func snsEvent(records ...events.SNSEventRecord) events.SNSEvent {
	return events.SNSEvent{Records: records}
}

func inLambda(requestID string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
}

// attribute is a message attribute's string value, "" when absent.
func attribute(m fakeMessage, name string) string {
	return aws.ToString(m.attrs[name].StringValue)
}

func TestEveryRecordIsHandledAndAPoisonRecordIsDeadLetteredWithItsReason(t *testing.T) {
	store, dlq := newStore(), &fakeQueue{}
	poison := snsRecord("sns-2", withField("RideId", `"ride-2"`))
	ev := snsEvent(snsRecord("sns-1", rideJSON(testRide(rideA))), poison, snsRecord("sns-3", rideJSON(testRide(rideC))))

	if err := newSNSHandler(store, dlq).Handle(inLambda("lambda-req-1"), ev); err != nil {
		t.Fatalf("Handle = %v, want nil: a poison record is dead-lettered, not retried", err)
	}
	for _, id := range []string{rideA, rideC} {
		if got, err := RideFromItem(store.item(id)); err != nil || got != testRide(id) {
			t.Errorf("ride %s stored as %+v (%v)", id, got, err)
		}
	}
	if store.len() != 2 {
		t.Errorf("table holds %d items, want 2", store.len())
	}

	msgs := dlq.messages()
	if len(msgs) != 1 {
		t.Fatalf("dead-letter queue holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if got := attribute(m, "ErrorCode"); got != "InvalidRide" {
		t.Errorf("ErrorCode = %q, want InvalidRide", got)
	}
	if got := attribute(m, "ErrorMessage"); !strings.Contains(got, "RideId must be a UUID") {
		t.Errorf("ErrorMessage = %q, want the reason", got)
	}
	if got := attribute(m, "RequestID"); got != "lambda-req-1" {
		t.Errorf("RequestID = %q, want lambda-req-1", got)
	}
	for name, v := range m.attrs {
		if aws.ToString(v.DataType) != "String" {
			t.Errorf("attribute %s has data type %q, want String", name, aws.ToString(v.DataType))
		}
	}
	var body events.SNSEvent
	if err := json.Unmarshal([]byte(m.body), &body); err != nil {
		t.Fatalf("dead letter body is not an SNS event: %v\n%s", err, m.body)
	}
	if len(body.Records) != 1 || body.Records[0].SNS.MessageID != "sns-2" || body.Records[0].SNS.Message != poison.SNS.Message ||
		body.Records[0].EventSource != "aws:sns" {
		t.Errorf("dead letter body = %s, want an SNS event holding only the poison record", m.body)
	}
}

func TestADifferentRideUnderAStoredIDIsDeadLetteredAsAConflict(t *testing.T) {
	store, dlq := newStore(), &fakeQueue{}
	store.items[rideA] = ItemFromRide(testRide(rideA))
	other := testRide(rideA)
	other.RequestTime = "2026-11-22T10:05:00.000Z"

	if err := newSNSHandler(store, dlq).Handle(inLambda("req"), snsEvent(snsRecord("sns-1", rideJSON(other)))); err != nil {
		t.Fatalf("Handle = %v, want nil", err)
	}
	msgs := dlq.messages()
	if len(msgs) != 1 || attribute(msgs[0], "ErrorCode") != "Conflict" ||
		!strings.Contains(attribute(msgs[0], "ErrorMessage"), "already recorded with different content") {
		t.Fatalf("dead-letter queue = %+v, want one Conflict naming the reason", msgs)
	}
	if got, _ := RideFromItem(store.item(rideA)); got != testRide(rideA) {
		t.Errorf("the conflicting ride replaced the stored one: %+v", got)
	}
}

func TestEveryBadRideRecordIsDeadLetteredWithTheReason(t *testing.T) {
	for _, tt := range badRideRecords {
		t.Run(tt.name, func(t *testing.T) {
			store, dlq := newStore(), &fakeQueue{}
			if err := newSNSHandler(store, dlq).Handle(inLambda("req"), snsEvent(snsRecord("sns-1", tt.body))); err != nil {
				t.Fatalf("Handle = %v, want nil", err)
			}
			msgs := dlq.messages()
			if len(msgs) != 1 || attribute(msgs[0], "ErrorCode") != "InvalidRide" {
				t.Fatalf("dead-letter queue = %+v, want one InvalidRide message", msgs)
			}
			if got := attribute(msgs[0], "ErrorMessage"); !strings.Contains(got, tt.want) {
				t.Errorf("ErrorMessage = %q, want it to say %q", got, tt.want)
			}
			if store.putCount() != 0 {
				t.Error("an invalid ride reached the table")
			}
		})
	}
}

func TestATransientStoreErrorFailsTheEventAfterTheOtherRecordsAreStored(t *testing.T) {
	store, dlq := newStore(), &fakeQueue{}
	store.failRide = rideB
	ev := snsEvent(snsRecord("sns-1", rideJSON(testRide(rideA))), snsRecord("sns-2", rideJSON(testRide(rideB))), snsRecord("sns-3", rideJSON(testRide(rideC))))

	err := newSNSHandler(store, dlq).Handle(inLambda("req"), ev)
	if err == nil {
		t.Fatal("Handle = nil, want an error so that Lambda retries the event")
	}
	if !strings.Contains(err.Error(), rideB) || !errors.As(err, new(*types.ProvisionedThroughputExceededException)) {
		t.Errorf("error %q does not name ride %s and wrap the store's error", err, rideB)
	}
	if store.item(rideA) == nil || store.item(rideC) == nil {
		t.Error("the records around the failing one were not stored")
	}
	if n := len(dlq.messages()); n != 0 {
		t.Errorf("a transient failure was dead-lettered directly (%d messages); Lambda's retries should get it first", n)
	}

	// Lambda retries the whole event: the stored rides stay one item each, the failed one gets in.
	store.failRide = ""
	if err := newSNSHandler(store, dlq).Handle(inLambda("req"), ev); err != nil {
		t.Fatalf("retry: Handle = %v", err)
	}
	if store.len() != 3 {
		t.Errorf("after the retry the table holds %d items, want 3", store.len())
	}
}

func TestAPoisonRecordThatCannotBeDeadLetteredFailsTheEvent(t *testing.T) {
	store, dlq := newStore(), &fakeQueue{sendErr: errors.New("AccessDenied")}
	err := newSNSHandler(store, dlq).Handle(inLambda("req"), snsEvent(snsRecord("sns-1", `{}`), snsRecord("sns-2", rideJSON(testRide(rideA)))))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "sns-1") {
		t.Fatalf("Handle = %v, want an error naming the SNS message and the send failure", err)
	}
	if store.item(rideA) == nil {
		t.Error("the valid record after the poison one was not stored")
	}
}

func TestARedeliveredEventLeavesOneItemPerRide(t *testing.T) {
	store, dlq := newStore(), &fakeQueue{}
	h := newSNSHandler(store, dlq)
	ev := snsEvent(snsRecord("sns-1", rideJSON(testRide(rideA))))
	for i := range 3 {
		if err := h.Handle(inLambda("req"), ev); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if store.len() != 1 || len(dlq.messages()) != 0 {
		t.Errorf("after 3 deliveries: %d items, %d dead letters; want 1 and 0", store.len(), len(dlq.messages()))
	}
}

func TestOutsideLambdaTheRequestIDAttributeIsLeftOut(t *testing.T) {
	// SQS refuses empty attribute values; the fake queue does too.
	dlq := &fakeQueue{}
	if err := newSNSHandler(newStore(), dlq).Handle(context.Background(), snsEvent(snsRecord("sns-1", `[]`))); err != nil {
		t.Fatalf("Handle = %v", err)
	}
	msgs := dlq.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d dead letters, want 1", len(msgs))
	}
	if _, ok := msgs[0].attrs["RequestID"]; ok {
		t.Error("RequestID attribute sent with no request ID")
	}
}

func TestEachRecordIsLoggedAsOneJSONLineWithItsRideID(t *testing.T) {
	var buf bytes.Buffer
	h := newSNSHandler(newStore(), &fakeQueue{})
	h.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	ev := snsEvent(snsRecord("sns-1", rideJSON(testRide(rideA))), snsRecord("sns-2", `{}`))
	if err := h.Handle(inLambda("lambda-req-1"), ev); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines for 2 records:\n%s", len(lines), buf.String())
	}
	want := []struct{ rideID, outcome string }{{rideA, "stored"}, {"", "invalid_ride"}}
	for i, line := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %s is not JSON", line)
		}
		if e["ride_id"] != want[i].rideID || e["outcome"] != want[i].outcome || e["request_id"] != "lambda-req-1" {
			t.Errorf("line %d = %s, want ride_id %q, outcome %s, request_id lambda-req-1", i, line, want[i].rideID, want[i].outcome)
		}
	}
}

func BenchmarkPutRideRecordSNS(b *testing.B) {
	h := &SNSHandler{
		Recorder:    &Recorder{Store: DynamoDBStore{Client: acceptingStore{}, TableName: "rides"}},
		DeadLetters: &fakeQueue{},
		QueueURL:    dlqURL,
		Logger:      slog.New(slog.DiscardHandler),
	}
	ev := snsEvent(snsRecord("sns-1", rideJSON(testRide(rideA))))
	ctx := inLambda("req")
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
