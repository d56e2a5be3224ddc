package requestride

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// fakeIdempotencyTable is the idempotency table with DynamoDB's conditional put for the one
// condition the store uses; TTL never deletes anything here, as it may not for days on AWS
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
type fakeIdempotencyTable struct {
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
	puts  []*dynamodb.PutItemInput
	err   error
}

func (f *fakeIdempotencyTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	if f.err != nil {
		return nil, f.err
	}
	if got := aws.ToString(in.ConditionExpression); got != "attribute_not_exists(#key) OR #expires < :now" {
		return nil, fmt.Errorf("fake table: unexpected condition %q", got)
	}
	keyName, expName := in.ExpressionAttributeNames["#key"], in.ExpressionAttributeNames["#expires"]
	key := in.Item[keyName].(*types.AttributeValueMemberS).Value
	if old, ok := f.items[key]; ok {
		var oldExp, now int64
		fmt.Sscan(old[expName].(*types.AttributeValueMemberN).Value, &oldExp)
		fmt.Sscan(in.ExpressionAttributeValues[":now"].(*types.AttributeValueMemberN).Value, &now)
		if !(oldExp < now) {
			ccf := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
			if in.ReturnValuesOnConditionCheckFailure == types.ReturnValuesOnConditionCheckFailureAllOld {
				ccf.Item = old
			}
			return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: ccf}
		}
	}
	if f.items == nil {
		f.items = map[string]map[string]types.AttributeValue{}
	}
	f.items[key] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

// keyedHandler is RequestRide with an idempotency table, at the time *clock says.
func keyedHandler(pub *fakeSNS, table *fakeIdempotencyTable, clock *time.Time) *Handler {
	h := newHandler(pub)
	h.Unicorns = Fleet{} // a random unicorn: a replay must not pick another
	h.Now = func() time.Time { return *clock }
	h.Idempotency = DynamoDBIdempotencyStore{Client: table, TableName: "idempotency", Now: h.Now}
	return h
}

func withKey(body, key string) events.APIGatewayV2HTTPRequest {
	req := post(body)
	req.Headers = map[string]string{"idempotency-key": key, "content-type": "application/json"}
	return req
}

func rideOf(t *testing.T, resp events.APIGatewayV2HTTPResponse) ride.Ride {
	t.Helper()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body %s", resp.StatusCode, resp.Body)
	}
	var r ride.Ride
	if err := json.Unmarshal([]byte(resp.Body), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestARetryWithTheSameKeyAnswersTheSameRideAndBooksNothingNew(t *testing.T) {
	tests := []struct {
		name  string
		retry string
	}{
		{"the same body", workshopReq},
		{"the same request spelled differently", ` {"PickupLocation":{"Longitude":-71.05290,"Latitude":42.35250000001},"Client":"web"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, table, clock := &fakeSNS{}, &fakeIdempotencyTable{}, requestTime
			h := keyedHandler(pub, table, &clock)
			first := rideOf(t, handle(t, h, withKey(workshopReq, "order-42")))
			clock = clock.Add(10 * time.Minute)
			again := rideOf(t, handle(t, h, withKey(tt.retry, "order-42")))
			if again != first {
				t.Errorf("the retry answered %+v, want the first ride %+v (same RideId, unicorn and time)", again, first)
			}
			if len(table.items) != 1 {
				t.Errorf("the table holds %d keys, want 1", len(table.items))
			}
			// The retry hands the same ride off again: harmless, the put path stores it once.
			for _, p := range pub.published() {
				var r ride.Ride
				json.Unmarshal([]byte(*p.Message), &r)
				if r != first {
					t.Errorf("published %+v, want only the first ride", r)
				}
			}
		})
	}
}

func TestTheSameKeyForADifferentRequestIs422(t *testing.T) {
	pub, table, clock := &fakeSNS{}, &fakeIdempotencyTable{}, requestTime
	h := keyedHandler(pub, table, &clock)
	rideOf(t, handle(t, h, withKey(workshopReq, "order-42")))
	resp := handle(t, h, withKey(`{"PickupLocation":{"Latitude":40.7,"Longitude":-74}}`, "order-42"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422; body %s", resp.StatusCode, resp.Body)
	}
	want := "Idempotency-Key was already used for a different ride request in the last 24 hours; send a new key for a new ride"
	if msg := errorMessage(t, resp.Body); msg != want {
		t.Errorf("error = %q, want %q", msg, want)
	}
	if n := len(pub.published()); n != 1 {
		t.Errorf("published %d rides, want only the first", n)
	}
}

func TestAKeyAnswersForTwentyFourHoursAndThenBooksANewRide(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		same  bool
	}{
		{"a retry a minute before the window ends gets the same ride", 24*time.Hour - time.Minute, true},
		{"a request after the window gets a new ride, although TTL has not deleted the old one", 24*time.Hour + time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, table, clock := &fakeSNS{}, &fakeIdempotencyTable{}, requestTime
			h := keyedHandler(pub, table, &clock)
			first := rideOf(t, handle(t, h, withKey(workshopReq, "k")))
			clock = clock.Add(tt.after)
			later := rideOf(t, handle(t, h, withKey(workshopReq, "k")))
			if (later.RideID == first.RideID) != tt.same {
				t.Errorf("after %v: ride %s, first %s; same = %v, want %v", tt.after, later.RideID, first.RideID, !tt.same, tt.same)
			}
		})
	}
}

func TestAnIdempotencyKeyMustBePrintableASCIIOfAtMost255Characters(t *testing.T) {
	tests := []struct {
		name, key string
		status    int
	}{
		{"an empty key is refused", "", http.StatusBadRequest},
		{"a key of 256 characters is refused", strings.Repeat("k", 256), http.StatusBadRequest},
		{"a key with a non-ASCII letter is refused", "clé", http.StatusBadRequest},
		{"a key with a control character is refused", "a\tb", http.StatusBadRequest},
		{"a key of 255 characters is accepted", strings.Repeat("k", 255), http.StatusCreated},
		{"a UUID is accepted", "5f0e6c1a-3b1d-4e0a-9a57-2c7b9d1e4f60", http.StatusCreated},
		{"spaces and punctuation are printable", "order 42 / rider:7", http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, clock := &fakeSNS{}, requestTime
			resp := handle(t, keyedHandler(pub, &fakeIdempotencyTable{}, &clock), withKey(workshopReq, tt.key))
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, resp.Body)
			}
			if tt.status == http.StatusBadRequest {
				if msg := errorMessage(t, resp.Body); !strings.HasPrefix(msg, "Idempotency-Key must be 1 to 255 printable ASCII characters") {
					t.Errorf("error = %q, want it to say what a key must be", msg)
				}
				if len(pub.published()) != 0 {
					t.Error("a request with a bad key was handed off")
				}
			}
		})
	}
}

func TestWithoutTheHeaderOrWithoutATableNothingChanges(t *testing.T) {
	pub, table, clock := &fakeSNS{}, &fakeIdempotencyTable{}, requestTime
	h := keyedHandler(pub, table, &clock)
	a, b := rideOf(t, handle(t, h, post(workshopReq))), rideOf(t, handle(t, h, post(workshopReq)))
	if a.RideID == b.RideID || len(table.puts) != 0 {
		t.Errorf("two requests without a key: rides %s and %s, %d puts; want two rides and no table", a.RideID, b.RideID, len(table.puts))
	}
	// IDEMPOTENCY_TABLE_NAME unset: the header is ignored, even a bad one.
	h.Idempotency = nil
	a, b = rideOf(t, handle(t, h, withKey(workshopReq, "k"))), rideOf(t, handle(t, h, withKey(workshopReq, "")))
	if a.RideID == b.RideID {
		t.Error("without an idempotency table a key made two requests one ride")
	}
}

func TestConcurrentRequestsWithTheSameKeyGetTheSameRide(t *testing.T) {
	pub, table, clock := &fakeSNS{}, &fakeIdempotencyTable{}, requestTime
	h := keyedHandler(pub, table, &clock)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			resp, _ := h.Handle(context.Background(), withKey(workshopReq, "double-click"))
			var r ride.Ride
			json.Unmarshal([]byte(resp.Body), &r)
			ids[i] = r.RideID
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("request %d got ride %q, request 0 got %q; want one ride for all", i, id, ids[0])
		}
	}
}

func TestARetryAfterAFailedHandOffHandsTheRecordedRideOff(t *testing.T) {
	pub, table, clock := &fakeSNS{err: errors.New("connection reset")}, &fakeIdempotencyTable{}, requestTime
	h := keyedHandler(pub, table, &clock)
	if resp := handle(t, h, withKey(workshopReq, "k")); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502", resp.StatusCode)
	}
	pub.mu.Lock()
	pub.err = nil
	pub.mu.Unlock()
	r := rideOf(t, handle(t, h, withKey(workshopReq, "k")))
	recorded, _ := bookingFromItem(table.items["k"])
	if recorded == nil || r != recorded.Ride {
		t.Errorf("the retry answered %+v, want the ride recorded under the key %+v", r, recorded)
	}
	if n := len(pub.published()); n != 1 || *pub.published()[0].Message != rideJSON(r) {
		t.Errorf("published %d; want the recorded ride handed off once it could be", n)
	}
}

func TestAnIdempotencyStoreThatFailsIs502AndBooksNothing(t *testing.T) {
	pub, clock := &fakeSNS{}, requestTime
	table := &fakeIdempotencyTable{err: &types.InternalServerError{Message: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/x")}}
	resp := handle(t, keyedHandler(pub, table, &clock), withKey(workshopReq, "k"))
	if resp.StatusCode != http.StatusBadGateway || errorMessage(t, resp.Body) != "ride could not be booked: idempotency store unavailable" {
		t.Errorf("got %d %s, want 502 saying the idempotency store is unavailable", resp.StatusCode, resp.Body)
	}
	if len(pub.published()) != 0 {
		t.Error("a ride was handed off without being recorded under its key")
	}
}

func TestTheIdempotencyItemHasTheKeyTheRequestTheRideAndAnExpiryForTTL(t *testing.T) {
	table, clock := &fakeIdempotencyTable{}, requestTime
	r := rideOf(t, handle(t, keyedHandler(&fakeSNS{}, table, &clock), withKey(workshopReq, "k")))
	in := table.puts[0]
	if aws.ToString(in.TableName) != "idempotency" || in.ReturnValuesOnConditionCheckFailure != types.ReturnValuesOnConditionCheckFailureAllOld {
		t.Errorf("PutItem table %q, return values %q; want the table and the old item on a failed condition", aws.ToString(in.TableName), in.ReturnValuesOnConditionCheckFailure)
	}
	want := map[string]string{
		"IdempotencyKey": "k",
		"RequestHash":    requestHash(ride.Location{Latitude: 42.3525, Longitude: -71.0529}),
		"Ride":           rideJSON(r),
		"ExpiresAt":      fmt.Sprint(requestTime.Add(24 * time.Hour).Unix()),
	}
	for name, v := range want {
		var got string
		switch a := in.Item[name].(type) {
		case *types.AttributeValueMemberS:
			got = a.Value
		case *types.AttributeValueMemberN:
			got = a.Value
		}
		if got != v {
			t.Errorf("item attribute %s = %q, want %q", name, got, v)
		}
	}
	if len(in.Item) != len(want) {
		t.Errorf("item has %d attributes, want %d", len(in.Item), len(want))
	}
}

func rideJSON(r ride.Ride) string {
	b, _ := json.Marshal(r)
	return string(b)
}
