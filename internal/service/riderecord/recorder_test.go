package riderecord

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

const (
	rideA = "3f1c6a5e-8b2d-4c9a-9e7f-0a1b2c3d4e5f"
	rideB = "7d2e9b10-4c3a-4f5e-8a6b-1c2d3e4f5a6b"
	rideC = "0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"
)

// testRide is a valid ride with the given ID.
func testRide(id string) ride.Ride {
	return ride.Ride{
		RideID:         id,
		Unicorn:        ride.Unicorn{Name: "Bucephalus", Color: "Golden"},
		RequestTime:    "2026-11-22T10:00:00.123Z",
		PickupLocation: ride.Location{Latitude: 42.3525, Longitude: -71.0529},
	}
}

func rideJSON(r ride.Ride) string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestPutRideStoresTheRideOnceAndNeedsNoGetItem(t *testing.T) {
	store := newStore()
	rec := &Recorder{Store: DynamoDBStore{Client: store, TableName: "rides"}}
	r := testRide(rideA)
	for i := range 2 {
		if err := rec.PutRide(context.Background(), r); err != nil {
			t.Fatalf("put %d of the same ride: %v", i+1, err)
		}
	}
	if store.len() != 1 {
		t.Errorf("table holds %d items, want 1", store.len())
	}
	in := store.puts[0]
	if aws.ToString(in.TableName) != "rides" || aws.ToString(in.ConditionExpression) != "attribute_not_exists(RideId)" ||
		in.ReturnValuesOnConditionCheckFailure != types.ReturnValuesOnConditionCheckFailureAllOld {
		t.Errorf("PutItem got table %q, condition %q, return values %q", aws.ToString(in.TableName),
			aws.ToString(in.ConditionExpression), in.ReturnValuesOnConditionCheckFailure)
	}
}

func TestPutRideTellsConflictsFromTransientErrors(t *testing.T) {
	tests := []struct {
		name         string
		store        *fakeStore
		put          ride.Ride
		wantConflict bool
		wantText     string
	}{
		{name: "a different unicorn under a stored ride ID is a conflict", store: newStore(),
			put: func() ride.Ride { r := testRide(rideA); r.Unicorn.Name = "Shadowfax"; return r }(), wantConflict: true,
			wantText: "ride " + rideA + ": already recorded with different content"},
		{name: "a different pickup location under a stored ride ID is a conflict", store: newStore(),
			put: func() ride.Ride { r := testRide(rideA); r.PickupLocation.Latitude = 42.3526; return r }(), wantConflict: true},
		{name: "a throttled table is a transient error naming the ride", store: &fakeStore{items: map[string]map[string]types.AttributeValue{},
			err: &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}}, put: testRide(rideB),
			wantText: "put ride " + rideB},
		{name: "a store that hides the old item cannot be trusted with a duplicate", store: &fakeStore{items: map[string]map[string]types.AttributeValue{}, noOldItem: true},
			put: testRide(rideA), wantText: "did not return it for comparison"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.store.items[rideA] = ItemFromRide(testRide(rideA))
			err := (&Recorder{Store: DynamoDBStore{Client: tt.store, TableName: "rides"}}).PutRide(context.Background(), tt.put)
			if err == nil {
				t.Fatal("PutRide succeeded")
			}
			if errors.Is(err, ErrConflict) != tt.wantConflict {
				t.Errorf("error %q: conflict = %v, want %v", err, !tt.wantConflict, tt.wantConflict)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
			if got, _ := RideFromItem(tt.store.item(rideA)); got != testRide(rideA) {
				t.Errorf("the stored ride changed to %+v", got)
			}
		})
	}
}
