package riderecord

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

const unstorableURL = "https://sqs.us-east-1.amazonaws.com/123456789012/wild-rydes-unstorable"

// apiError is a DynamoDB error as the SDK returns it: the service's error code in an operation error.
func apiError(code, msg string) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: &smithy.GenericAPIError{Code: code, Message: msg}}
}

// tooLarge is what DynamoDB answers an item over 400 KB.
var tooLarge = apiError("ValidationException", "Item size has exceeded the maximum allowed size")

func TestStoreErrorsNoRetryCanFixAreToldFromTransientOnes(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"an item too large is permanent", tooLarge, true},
		{"a number DynamoDB cannot hold is permanent", apiError("ValidationException", "Number underflow"), true},
		{"a throttled table is transient", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, false},
		{"a throttled request is transient", apiError("ThrottlingException", "Rate of requests exceeds the allowed throughput"), false},
		{"the account's request limit is transient", &types.RequestLimitExceeded{Message: aws.String("Throughput exceeds the current throughput limit")}, false},
		{"a DynamoDB 500 is transient", &types.InternalServerError{Message: aws.String("oops")}, false},
		{"a DynamoDB 503 is transient", apiError("ServiceUnavailable", "try again"), false},
		{"a missing permission waits for the operator's fix", apiError("AccessDeniedException", "not authorized"), false},
		{"a network error is transient", errors.New("connection reset by peer"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			store.err = tt.err
			err := (&Recorder{Store: DynamoDBStore{Client: store, TableName: "rides"}}).PutRide(context.Background(), testRide(rideA))
			if err == nil {
				t.Fatal("PutRide succeeded")
			}
			if errors.Is(err, ErrUnstorable) != tt.permanent || errors.Is(err, ErrConflict) {
				t.Errorf("error %q: unstorable = %v, want %v", err, errors.Is(err, ErrUnstorable), tt.permanent)
			}
		})
	}
}

func TestARideDynamoDBRefusesIsUnstorableWithDynamoDBsReason(t *testing.T) {
	// Only a ride that skipped the record rules gets here; the store behaves as DynamoDB does.
	r := testRide(rideA)
	r.PickupLocation.Latitude = 1e-200
	err := (&Recorder{Store: DynamoDBStore{Client: newStore(), TableName: "rides"}}).PutRide(context.Background(), r)
	if !errors.Is(err, ErrUnstorable) {
		t.Fatalf("PutRide = %v, want ErrUnstorable", err)
	}
	if want := "ride " + rideA + ": the table refuses this ride (ValidationException: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}

func TestARideTheTableRefusesIsDeadLetteredAtOnceNotRetried(t *testing.T) {
	store, dlq := newStore(), &fakeQueue{}
	store.failRide, store.err = "", tooLarge
	if err := newSNSHandler(store, dlq).Handle(inLambda("req"), snsEvent(snsRecord("sns-1", rideJSON(testRide(rideA))))); err != nil {
		t.Fatalf("Handle = %v, want nil: no retry can store it, Lambda must not retry it", err)
	}
	msgs := dlq.messages()
	if len(msgs) != 1 || attribute(msgs[0], "ErrorCode") != "Unstorable" ||
		!strings.Contains(attribute(msgs[0], "ErrorMessage"), "Item size has exceeded the maximum allowed size") {
		t.Fatalf("dead-letter queue = %+v, want one Unstorable message with DynamoDB's reason", msgs)
	}
}

func TestThrottlingAndServerErrorsAreStillRetried(t *testing.T) {
	for _, err := range []error{
		apiError("ThrottlingException", "slow down"),
		&types.RequestLimitExceeded{Message: aws.String("limit")},
		&types.InternalServerError{Message: aws.String("oops")},
	} {
		t.Run(err.Error(), func(t *testing.T) {
			store, dlq := newStore(), &fakeQueue{}
			store.err = err
			if herr := newSNSHandler(store, dlq).Handle(inLambda("req"), snsEvent(snsRecord("sns-1", rideJSON(testRide(rideA))))); herr == nil {
				t.Error("Handle = nil, want an error so that Lambda retries the event")
			}
			if n := len(dlq.messages()); n != 0 {
				t.Errorf("a transient failure was dead-lettered at once (%d messages)", n)
			}
		})
	}
}

func TestWithAnUnstorableQueueTheRidesNoRetryCanStoreGoThereAndNotToTheDeadLetterQueue(t *testing.T) {
	other := testRide(rideA)
	other.Unicorn.Name = "Shadowfax"
	tests := []struct {
		name    string
		message string
		storeIt func(*fakeStore)
		code    string
		reason  string
	}{
		{"a message that is not a ride", `{"RideId":"nope"}`, nil, "InvalidRide", "RideId must be a UUID"},
		{"a coordinate DynamoDB cannot hold", strings.Replace(rideJSON(testRide(rideA)), "42.3525", "1e-200", 1), nil, "InvalidRide", "more precise than a coordinate"},
		{"a different ride under a stored RideId", rideJSON(other),
			func(s *fakeStore) { s.items[rideA] = ItemFromRide(testRide(rideA)) }, "Conflict", "already recorded with different content"},
		{"a ride the table refuses", rideJSON(testRide(rideA)), func(s *fakeStore) { s.err = tooLarge }, "Unstorable", "Item size has exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, queues := newStore(), &fakeQueue{}
			if tt.storeIt != nil {
				tt.storeIt(store)
			}
			h := newSNSHandler(store, queues)
			h.UnstorableURL = unstorableURL
			if err := h.Handle(inLambda("req"), snsEvent(snsRecord("sns-1", tt.message))); err != nil {
				t.Fatalf("Handle = %v, want nil", err)
			}
			msgs := queues.messages()
			if len(msgs) != 1 || msgs[0].url != unstorableURL {
				t.Fatalf("queues hold %+v, want one message in the unstorable queue and none in the dead-letter queue", msgs)
			}
			if attribute(msgs[0], "ErrorCode") != tt.code || !strings.Contains(attribute(msgs[0], "ErrorMessage"), tt.reason) ||
				attribute(msgs[0], "RequestID") != "req" {
				t.Errorf("message attributes %v, want ErrorCode %s, a reason saying %q and the request ID", msgs[0].attrs, tt.code, tt.reason)
			}
		})
	}
}

func TestPostRecordAnswersARideTheTableRefusesWith400AndTheReason(t *testing.T) {
	store := newStore()
	store.err = tooLarge
	resp := handleHTTP(t, newHTTPHandler(store), postRecord(rideJSON(testRide(rideA))))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400 (no retry can store it; not a 5xx that fires the API's alarm)", resp.StatusCode)
	}
	want := "ride " + rideA + ": the table refuses this ride (ValidationException: Item size has exceeded the maximum allowed size)"
	if msg := errorMessage(t, resp.Body); msg != want {
		t.Errorf("error = %q, want %q", msg, want)
	}
}

func TestPostRecordRefusesWhatDynamoDBCouldRefuseWith400NamingTheField(t *testing.T) {
	tests := []struct {
		name, location, want string
	}{
		{"a latitude below DynamoDB's smallest number", `{"Latitude":1e-200,"Longitude":-71.05}`, "PickupLocation.Latitude is 1e-200, more precise than a coordinate's 7 decimal places"},
		{"a longitude with 40 significant digits", `{"Latitude":1,"Longitude":-71.05290000000000000000000000000000000001}`, "PickupLocation.Longitude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			resp := handleHTTP(t, newHTTPHandler(store), postRecord(withField("PickupLocation", tt.location)))
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(t, resp.Body), tt.want) {
				t.Errorf("got %d %s, want 400 saying %q", resp.StatusCode, resp.Body, tt.want)
			}
			if store.putCount() != 0 {
				t.Error("the ride reached the table")
			}
		})
	}
	// A ride exactly at a coordinate's precision is stored as sent.
	r := testRide(rideB)
	r.PickupLocation = ride.Location{Latitude: -0.0000001, Longitude: 179.9999999}
	store := newStore()
	if resp := handleHTTP(t, newHTTPHandler(store), postRecord(rideJSON(r))); resp.StatusCode != http.StatusCreated {
		t.Fatalf("status = %d %s, want 201", resp.StatusCode, resp.Body)
	}
	if got, err := RideFromItem(store.item(rideB)); err != nil || got != r {
		t.Errorf("stored %+v (%v), want %+v", got, err, r)
	}
}
