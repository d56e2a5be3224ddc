package riderecord

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// PutItemAPI is the part of the DynamoDB client DynamoDBStore uses.
type PutItemAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoDBStore is the rides table, as a Store.
type DynamoDBStore struct {
	Client    PutItemAPI
	TableName string
}

// PutIfAbsent puts the ride's item on the condition that no item has its RideId. The old item comes
// back with the failed condition, so the function needs no GetItem permission.
func (s DynamoDBStore) PutIfAbsent(ctx context.Context, r ride.Ride) (*ride.Ride, error) {
	item, err := marshalRide(r)
	if err != nil {
		return nil, err
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.TableName),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(RideId)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil, nil
	}
	ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err)
	if !ok {
		return nil, classify(err)
	}
	if ccf.Item == nil {
		// Only a store that ignores ReturnValuesOnConditionCheckFailure gets here; without the old
		// item it is unknown whether this is a duplicate, so let it be retried and, at worst,
		// dead-lettered for a person to look at.
		return nil, fmt.Errorf("the ride exists but the store did not return it for comparison: %w", err)
	}
	old, err := RideFromItem(ccf.Item)
	if err != nil {
		return nil, fmt.Errorf("%w (the stored item: %v)", ErrConflict, err)
	}
	return &old, nil
}

// classify tells an error no retry can fix from a transient one, by the API error code. DynamoDB's
// table of errors (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html)
// says ValidationException is not OK to retry: it is what DynamoDB answers a number it cannot hold
// ("Number underflow", more than 38 significant digits) or an item over 400 KB ("Item size has
// exceeded the maximum allowed size"). Throttling (ProvisionedThroughputExceededException,
// ThrottlingException, RequestLimitExceeded) and 5xx errors (InternalServerError,
// ServiceUnavailable) are OK to retry. So are, for this function, the errors about the deployment
// rather than the ride (AccessDeniedException, ResourceNotFoundException): once an operator fixes
// the deployment, the same ride stores, so it waits in the dead-letter queue, whose alarm calls
// the operator.
func classify(err error) error {
	if ae, ok := errors.AsType[smithy.APIError](err); ok && ae.ErrorCode() == "ValidationException" {
		return &refusal{code: ae.ErrorCode(), message: ae.ErrorMessage(), err: err}
	}
	return err
}

// refusal is the store refusing a ride: it is ErrUnstorable, and its message is DynamoDB's,
// without the request ID, so a caller may be told it.
type refusal struct {
	code, message string
	err           error
}

func (e *refusal) Error() string {
	return ErrUnstorable.Error() + " (" + e.code + ": " + e.message + ")"
}
func (e *refusal) Is(target error) bool { return target == ErrUnstorable }
func (e *refusal) Unwrap() error        { return e.err }

// The item of a ride has the names of the ride's JSON: RideId S, Unicorn M{Name S, Color S},
// RequestTime S, PickupLocation M{Latitude N, Longitude N}.
func useJSONNames(o *attributevalue.EncoderOptions)  { o.TagKey = "json" }
func readJSONNames(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

func marshalRide(r ride.Ride) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMapWithOptions(r, useJSONNames)
	if err != nil {
		return nil, fmt.Errorf("ride %s as a table item: %w", r.RideID, err)
	}
	return item, nil
}

// ItemFromRide is the rides-table item of a ride. A ride is strings and numbers, which always
// marshal: an error would be a ride.Ride field DynamoDB cannot hold, a mistake every test shows.
func ItemFromRide(r ride.Ride) map[string]types.AttributeValue {
	item, err := marshalRide(r)
	if err != nil {
		panic(err)
	}
	return item
}

// RideFromItem reads a rides-table item back; attributes other than the ride's are ignored. An
// item without one of the ride's attributes, or with one of another type, is an error naming it.
func RideFromItem(item map[string]types.AttributeValue) (ride.Ride, error) {
	if err := checkShape(item, rideShape, ""); err != nil {
		return ride.Ride{}, err
	}
	var r ride.Ride
	if err := attributevalue.UnmarshalMapWithOptions(item, &r, readJSONNames); err != nil {
		return ride.Ride{}, fmt.Errorf("ride item: %w", err)
	}
	return r, nil
}

// rideShape is the item of an empty ride: every attribute a stored ride has, with its type.
var rideShape = ItemFromRide(ride.Ride{})

// checkShape reports the first attribute of shape that item lacks or holds with another type;
// path is where item is in the whole item ("" at the top, "Unicorn." inside the unicorn).
func checkShape(item, shape map[string]types.AttributeValue, path string) error {
	for _, name := range slices.Sorted(maps.Keys(shape)) {
		at := path + name
		switch want := shape[name].(type) {
		case *types.AttributeValueMemberS:
			if _, ok := item[name].(*types.AttributeValueMemberS); !ok {
				return fmt.Errorf("ride item: %s is missing or not a string (S)", at)
			}
		case *types.AttributeValueMemberN:
			n, ok := item[name].(*types.AttributeValueMemberN)
			if !ok {
				return fmt.Errorf("ride item: %s is missing or not a number (N)", at)
			}
			if _, err := strconv.ParseFloat(n.Value, 64); err != nil {
				return fmt.Errorf("ride item: %s: %w", at, err)
			}
		case *types.AttributeValueMemberM:
			m, ok := item[name].(*types.AttributeValueMemberM)
			if !ok {
				return fmt.Errorf("ride item: %s is missing or not a map (M)", at)
			}
			if err := checkShape(m.Value, want.Value, at+"."); err != nil {
				return err
			}
		}
	}
	return nil
}
