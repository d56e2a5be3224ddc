package requestride

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// PutItemAPI is the part of the DynamoDB client DynamoDBIdempotencyStore uses.
type PutItemAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoDBIdempotencyStore is the idempotency table, as an IdempotencyStore. Its item: the key
// (design.IdempotencyKeyAttribute, S, the partition key), RequestHash (S), Ride (S, the ride's
// JSON) and the expiry (design.IdempotencyExpiryAttribute, N, epoch seconds), which the table's
// time to live deletes. One conditional PutItem records a booking or returns the one recorded, so
// the function needs dynamodb:PutItem on the table and nothing else.
type DynamoDBIdempotencyStore struct {
	Client    PutItemAPI
	TableName string
	// Now is the clock that says whether a recorded booking has expired; nil means time.Now.
	Now func() time.Time
}

var _ IdempotencyStore = DynamoDBIdempotencyStore{}

// Remember puts the booking on the condition that no booking is recorded under key, or that the
// recorded one has expired: DynamoDB's time to live deletes an expired item only within a few days
// and reads return it until then
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so the
// condition itself treats an expired booking as absent. On the failed condition DynamoDB returns
// the recorded item (ReturnValuesOnConditionCheckFailure), which is the booking to answer with.
func (s DynamoDBIdempotencyStore) Remember(ctx context.Context, key string, b Booking) (*Booking, error) {
	rideJSON, err := json.Marshal(b.Ride)
	if err != nil {
		return nil, fmt.Errorf("encode ride %s: %w", b.Ride.RideID, err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.TableName),
		Item: map[string]types.AttributeValue{
			design.IdempotencyKeyAttribute:    &types.AttributeValueMemberS{Value: key},
			"RequestHash":                     &types.AttributeValueMemberS{Value: b.RequestHash},
			"Ride":                            &types.AttributeValueMemberS{Value: string(rideJSON)},
			design.IdempotencyExpiryAttribute: epochSeconds(b.ExpiresAt),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(#key) OR #expires < :now"),
		ExpressionAttributeNames:            map[string]string{"#key": design.IdempotencyKeyAttribute, "#expires": design.IdempotencyExpiryAttribute},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": epochSeconds(now())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil, nil
	}
	ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err)
	if !ok {
		return nil, fmt.Errorf("remember the ride of an idempotency key: %w", err)
	}
	if ccf.Item == nil {
		return nil, fmt.Errorf("the idempotency key is taken but the store did not return its booking: %w", err)
	}
	return bookingFromItem(ccf.Item)
}

func epochSeconds(t time.Time) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// bookingFromItem reads a recorded booking back; its ride is read as a ride record, so a booking
// whose ride could not be stored is an error, not an answer.
func bookingFromItem(item map[string]types.AttributeValue) (*Booking, error) {
	hash, ok1 := item["RequestHash"].(*types.AttributeValueMemberS)
	rideS, ok2 := item["Ride"].(*types.AttributeValueMemberS)
	exp, ok3 := item[design.IdempotencyExpiryAttribute].(*types.AttributeValueMemberN)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("the recorded booking lacks RequestHash (S), Ride (S) or %s (N)", design.IdempotencyExpiryAttribute)
	}
	r, err := ride.ParseRideRecord([]byte(rideS.Value))
	if err != nil {
		return nil, fmt.Errorf("the recorded booking's ride: %w", err)
	}
	secs, err := strconv.ParseInt(exp.Value, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("the recorded booking's %s: %w", design.IdempotencyExpiryAttribute, err)
	}
	return &Booking{RequestHash: hash.Value, Ride: r, ExpiresAt: time.Unix(secs, 0).UTC()}, nil
}
