// Package riderecord is the ride-record service: the one put path into the rides table (PutRide),
// the HTTP and SNS handlers that feed it, and the re-drive of the dead-letter queue.
package riderecord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/ride"
)

// ErrConflict means the table already holds a ride with the same RideId and different content.
// Retrying cannot help.
var ErrConflict = errors.New("already recorded with different content")

// Store is the part of the DynamoDB client the Recorder uses.
type Store interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Recorder writes rides to the rides table.
type Recorder struct {
	Store     Store
	TableName string
}

// PutRide stores a ride once. SNS delivers at least once and Lambda retries, so the same ride comes
// again: storing it again with the same content succeeds and leaves one item, while a different ride
// under the same RideId is an error wrapping ErrConflict and the stored ride is kept. The old item
// comes back with the failed condition, so the function needs no GetItem permission. Any other error
// is transient and worth a retry.
func (r *Recorder) PutRide(ctx context.Context, rd ride.Ride) error {
	_, err := r.Store.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(r.TableName),
		Item:                                ItemFromRide(rd),
		ConditionExpression:                 aws.String("attribute_not_exists(RideId)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil
	}
	ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err)
	if !ok {
		return fmt.Errorf("put ride %s: %w", rd.RideID, err)
	}
	if ccf.Item == nil {
		// Only a store that ignores ReturnValuesOnConditionCheckFailure gets here; without the old
		// item it is unknown whether this is a duplicate, so let it be retried and, at worst,
		// dead-lettered for a person to look at.
		return fmt.Errorf("put ride %s: the ride exists but the store did not return it for comparison: %w", rd.RideID, err)
	}
	if old, err := RideFromItem(ccf.Item); err == nil && old == rd {
		return nil
	}
	return fmt.Errorf("ride %s: %w", rd.RideID, ErrConflict)
}

// ItemFromRide is the rides-table item of a ride: RideId S, Unicorn M{Name S, Color S},
// RequestTime S, PickupLocation M{Latitude N, Longitude N}.
func ItemFromRide(r ride.Ride) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"RideId": &types.AttributeValueMemberS{Value: r.RideID},
		"Unicorn": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"Name":  &types.AttributeValueMemberS{Value: r.Unicorn.Name},
			"Color": &types.AttributeValueMemberS{Value: r.Unicorn.Color},
		}},
		"RequestTime": &types.AttributeValueMemberS{Value: r.RequestTime},
		"PickupLocation": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"Latitude":  &types.AttributeValueMemberN{Value: strconv.FormatFloat(r.PickupLocation.Latitude, 'f', -1, 64)},
			"Longitude": &types.AttributeValueMemberN{Value: strconv.FormatFloat(r.PickupLocation.Longitude, 'f', -1, 64)},
		}},
	}
}

// RideFromItem reads a rides-table item back; attributes other than the ride's are ignored.
func RideFromItem(item map[string]types.AttributeValue) (ride.Ride, error) {
	var r ride.Ride
	var err error
	if r.RideID, err = itemString(item, "RideId"); err != nil {
		return ride.Ride{}, err
	}
	unicorn, err := itemMap(item, "Unicorn")
	if err != nil {
		return ride.Ride{}, err
	}
	if r.Unicorn.Name, err = itemString(unicorn, "Unicorn.Name"); err != nil {
		return ride.Ride{}, err
	}
	if r.Unicorn.Color, err = itemString(unicorn, "Unicorn.Color"); err != nil {
		return ride.Ride{}, err
	}
	if r.RequestTime, err = itemString(item, "RequestTime"); err != nil {
		return ride.Ride{}, err
	}
	loc, err := itemMap(item, "PickupLocation")
	if err != nil {
		return ride.Ride{}, err
	}
	if r.PickupLocation.Latitude, err = itemNumber(loc, "PickupLocation.Latitude"); err != nil {
		return ride.Ride{}, err
	}
	if r.PickupLocation.Longitude, err = itemNumber(loc, "PickupLocation.Longitude"); err != nil {
		return ride.Ride{}, err
	}
	return r, nil
}

// The helpers take the attribute's path for the message and look it up by its last element.

func itemString(item map[string]types.AttributeValue, path string) (string, error) {
	v, ok := item[lastName(path)].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("ride item: %s is missing or not a string (S)", path)
	}
	return v.Value, nil
}

func itemMap(item map[string]types.AttributeValue, path string) (map[string]types.AttributeValue, error) {
	v, ok := item[lastName(path)].(*types.AttributeValueMemberM)
	if !ok {
		return nil, fmt.Errorf("ride item: %s is missing or not a map (M)", path)
	}
	return v.Value, nil
}

func itemNumber(item map[string]types.AttributeValue, path string) (float64, error) {
	v, ok := item[lastName(path)].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("ride item: %s is missing or not a number (N)", path)
	}
	f, err := strconv.ParseFloat(v.Value, 64)
	if err != nil {
		return 0, fmt.Errorf("ride item: %s: %w", path, err)
	}
	return f, nil
}

func lastName(path string) string { return path[strings.LastIndexByte(path, '.')+1:] }

// Retryer is the SDK retry policy of the functions that write the table: the standard policy
// with its back-off capped at one second. Lambda retries a failed asynchronous event itself, so
// during an outage a function should fail within seconds, not spend its timeout backing off.
func Retryer() aws.Retryer {
	return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Second)
}
