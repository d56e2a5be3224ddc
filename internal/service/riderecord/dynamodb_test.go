package riderecord

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

func TestTheItemOfARideKeepsTheTableShape(t *testing.T) {
	want := map[string]types.AttributeValue{
		"RideId": &types.AttributeValueMemberS{Value: rideA},
		"Unicorn": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"Name":  &types.AttributeValueMemberS{Value: "Bucephalus"},
			"Color": &types.AttributeValueMemberS{Value: "Golden"},
		}},
		"RequestTime": &types.AttributeValueMemberS{Value: "2026-11-22T10:00:00.123Z"},
		"PickupLocation": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"Latitude":  &types.AttributeValueMemberN{Value: "42.3525"},
			"Longitude": &types.AttributeValueMemberN{Value: "-71.0529"},
		}},
	}
	if got := ItemFromRide(testRide(rideA)); !reflect.DeepEqual(got, want) {
		t.Errorf("the item of a ride is\n%#v\nwant RideId S, Unicorn M{Name S, Color S}, RequestTime S, PickupLocation M{Latitude N, Longitude N}:\n%#v", got, want)
	}
	store := newStore()
	if _, err := (DynamoDBStore{Client: store, TableName: "rides"}).PutIfAbsent(context.Background(), testRide(rideA)); err != nil {
		t.Fatal(err)
	}
	if got := store.item(rideA); !reflect.DeepEqual(got, want) {
		t.Errorf("PutIfAbsent stored\n%#v\nwant\n%#v", got, want)
	}
}

func TestAStoredItemThatIsNotARideIsAConflict(t *testing.T) {
	store := newStore()
	store.items[rideA] = map[string]types.AttributeValue{"RideId": &types.AttributeValueMemberS{Value: rideA}}
	err := (&Recorder{Store: DynamoDBStore{Client: store, TableName: "rides"}}).PutRide(context.Background(), testRide(rideA))
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("PutRide over an item that is not a ride: %v, want a conflict (retrying cannot help)", err)
	}
	if !strings.Contains(err.Error(), "ride "+rideA+": already recorded with different content") ||
		!strings.Contains(err.Error(), "ride item: PickupLocation is missing or not a map (M)") {
		t.Errorf("error %q does not name the ride and what is wrong with the stored item", err)
	}
	if got := store.item(rideA); len(got) != 1 {
		t.Errorf("the stored item changed to %v", got)
	}
}

func TestItemsWithMoreAttributesStillReadAsTheRide(t *testing.T) {
	item := ItemFromRide(testRide(rideB))
	item["ExpiresAt"] = &types.AttributeValueMemberN{Value: "1795000000"}
	if got, err := RideFromItem(item); err != nil || got != testRide(rideB) {
		t.Errorf("RideFromItem = %+v, %v; want the ride, other attributes ignored", got, err)
	}
}

// memoryStore is a Store in ride terms, without DynamoDB: the Recorder's rule must hold for it.
type memoryStore struct {
	rides map[string]ride.Ride
	err   error
}

func (m *memoryStore) PutIfAbsent(_ context.Context, r ride.Ride) (*ride.Ride, error) {
	if m.err != nil {
		return nil, m.err
	}
	if old, ok := m.rides[r.RideID]; ok {
		return &old, nil
	}
	m.rides[r.RideID] = r
	return nil, nil
}

func TestTheIdempotentPutRuleHoldsForAnyStore(t *testing.T) {
	store := &memoryStore{rides: map[string]ride.Ride{}}
	rec := &Recorder{Store: store}
	ctx := context.Background()
	if err := rec.PutRide(ctx, testRide(rideA)); err != nil {
		t.Fatalf("first put: %v", err)
	}
	if err := rec.PutRide(ctx, testRide(rideA)); err != nil {
		t.Errorf("the same ride again: %v, want success", err)
	}
	other := testRide(rideA)
	other.Unicorn = ride.Unicorn{Name: "Shadowfax", Color: "White"}
	if err := rec.PutRide(ctx, other); !errors.Is(err, ErrConflict) {
		t.Errorf("another ride under the same RideId: %v, want ErrConflict", err)
	}
	if len(store.rides) != 1 || store.rides[rideA] != testRide(rideA) {
		t.Errorf("store holds %+v, want the first ride only", store.rides)
	}
	store.err = errors.New("store unreachable")
	if err := rec.PutRide(ctx, testRide(rideB)); err == nil || errors.Is(err, ErrConflict) ||
		err.Error() != "put ride "+rideB+": store unreachable" {
		t.Errorf("a failing store: %v, want a transient error naming the ride", err)
	}
}

func TestAnItemReadsBackAsTheRide(t *testing.T) {
	r := testRide(rideA)
	r.PickupLocation = ride.Location{Latitude: -0.000001, Longitude: 179.99999999999997}
	item := ItemFromRide(r)
	if n := item["PickupLocation"].(*types.AttributeValueMemberM).Value["Latitude"].(*types.AttributeValueMemberN).Value; n != "-0.000001" {
		t.Errorf("latitude stored as %q, want plain decimal -0.000001", n)
	}
	got, err := RideFromItem(item)
	if err != nil || got != r {
		t.Errorf("RideFromItem(ItemFromRide(r)) = %+v, %v; want %+v", got, err, r)
	}
}

func TestAMalformedItemIsAnErrorNamingTheAttribute(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]types.AttributeValue)
		want   string
	}{
		{"an item without a ride ID", func(i map[string]types.AttributeValue) { delete(i, "RideId") }, "RideId is missing or not a string"},
		{"a unicorn stored as a string", func(i map[string]types.AttributeValue) {
			i["Unicorn"] = &types.AttributeValueMemberS{Value: "Bucephalus"}
		}, "Unicorn is missing or not a map"},
		{"a unicorn without a color", func(i map[string]types.AttributeValue) {
			delete(i["Unicorn"].(*types.AttributeValueMemberM).Value, "Color")
		}, "Unicorn.Color is missing"},
		{"a latitude stored as a string", func(i map[string]types.AttributeValue) {
			i["PickupLocation"].(*types.AttributeValueMemberM).Value["Latitude"] = &types.AttributeValueMemberS{Value: "42"}
		}, "PickupLocation.Latitude is missing or not a number"},
		{"a number that is not a number", func(i map[string]types.AttributeValue) {
			i["PickupLocation"].(*types.AttributeValueMemberM).Value["Longitude"] = &types.AttributeValueMemberN{Value: "west"}
		}, "PickupLocation.Longitude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item := ItemFromRide(testRide(rideA))
			tt.change(item)
			if _, err := RideFromItem(item); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}
