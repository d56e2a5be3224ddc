package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// Table is the one DynamoDB call the ride check makes; *dynamodb.Client is one.
type Table interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// batchSize is the most keys BatchGetItem takes in one call.
const batchSize = 100

// Polls for rides not stored yet start this far apart and back off to the cap; so do retries
// of keys DynamoDB leaves unprocessed.
const (
	firstPoll  = 200 * time.Millisecond
	maxPoll    = 2 * time.Second
	firstRetry = 50 * time.Millisecond
	maxRetry   = time.Second
	minRetries = 3
)

func newDynamoDBTable(ctx context.Context, region, endpoint string) (Table, error) {
	if endpoint != "" && isLoopback(endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		// The local system (an emulator takes any credentials): its one configuration. Without
		// its credentials the SDK would look for real ones, as far as the instance metadata
		// service, on a machine that may have none.
		return dynamodb.NewFromConfig(localstate.Config(region, endpoint)), nil
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration for the ride check: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// checkRides looks for every accepted ride in the table, polling until all are there or settle
// passes, and records in res what it found.
func checkRides(ctx context.Context, t Table, table string, settle time.Duration, res *Result) error {
	res.Checked = true
	accepted := make(map[string]ride.Ride, len(res.Rides))
	waiting := make(map[string]bool, len(res.Rides))
	var order []string
	for _, r := range res.Rides {
		if _, seen := accepted[r.RideID]; seen {
			res.Mismatched = append(res.Mismatched, Mismatch{RideID: r.RideID,
				Differences: []string{"the API accepted two rides with this RideId"}})
			continue
		}
		accepted[r.RideID] = r
		waiting[r.RideID] = true
		order = append(order, r.RideID)
	}
	pending := func() []string {
		return slices.DeleteFunc(slices.Clone(order), func(id string) bool { return !waiting[id] })
	}

	deadline := time.Now().Add(settle)
	for poll := firstPoll; ; poll = min(2*poll, maxPoll) {
		items, err := getItems(ctx, t, table, pending(), deadline)
		if err != nil {
			return err
		}
		for _, item := range items {
			stored, err := riderecord.RideFromItem(item)
			id := stored.RideID
			if s, ok := item["RideId"].(*types.AttributeValueMemberS); ok {
				id = s.Value // name the ride even when the rest of the item cannot be read
			}
			if !waiting[id] {
				continue
			}
			delete(waiting, id)
			res.RidesFound++
			var diffs []string
			if err != nil {
				diffs = []string{fmt.Sprintf("the stored item cannot be read (%v)", err)}
			} else {
				diffs = differences(accepted[id], stored)
			}
			if len(diffs) > 0 {
				res.Mismatched = append(res.Mismatched, Mismatch{RideID: id, Differences: diffs})
			}
		}
		remaining := time.Until(deadline)
		if len(waiting) == 0 || remaining <= 0 {
			break
		}
		if err := sleep(ctx, min(poll, remaining)); err != nil {
			return fmt.Errorf("waiting for rides to be stored: %w", err)
		}
	}
	res.Missing = pending()
	return nil
}

// getItems reads the rides named by ids, batchSize at a time. Keys that DynamoDB leaves
// unprocessed (it throttles batches) are asked for again after a back-off, at least minRetries
// times and then while deadline allows; any still unread stay missing for the caller's next poll.
func getItems(ctx context.Context, t Table, table string, ids []string, deadline time.Time) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for chunk := range slices.Chunk(ids, batchSize) {
		keys := make([]map[string]types.AttributeValue, len(chunk))
		for i, id := range chunk {
			keys[i] = map[string]types.AttributeValue{"RideId": &types.AttributeValueMemberS{Value: id}}
		}
		for retry, backoff := 0, firstRetry; len(keys) > 0; retry, backoff = retry+1, min(2*backoff, maxRetry) {
			out, err := t.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{
					table: {Keys: keys, ConsistentRead: aws.Bool(true)},
				},
			})
			if err != nil {
				return nil, fmt.Errorf("reading rides from table %s: %w", table, err)
			}
			items = append(items, out.Responses[table]...)
			keys = out.UnprocessedKeys[table].Keys
			if len(keys) == 0 || retry >= minRetries && time.Now().Add(backoff).After(deadline) {
				break
			}
			// Half fixed, half random, so that retries from many batches do not arrive together.
			if err := sleep(ctx, backoff/2+rand.N(backoff/2+1)); err != nil {
				return nil, fmt.Errorf("retrying unprocessed keys of table %s: %w", table, err)
			}
		}
	}
	return items, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// differences says how the stored ride differs from the one the caller was answered with. The
// original RequestRide answers without PickupLocation; the stored one must then be the one asked for.
func differences(accepted, stored ride.Ride) []string {
	var diffs []string
	differ := func(field, stored, accepted string) {
		diffs = append(diffs, fmt.Sprintf("%s is %s in the table, %s in the response", field, stored, accepted))
	}
	if stored.Unicorn.Name != accepted.Unicorn.Name {
		differ("Unicorn.Name", quote(stored.Unicorn.Name), quote(accepted.Unicorn.Name))
	}
	if stored.Unicorn.Color != accepted.Unicorn.Color {
		differ("Unicorn.Color", quote(stored.Unicorn.Color), quote(accepted.Unicorn.Color))
	}
	if !sameTime(stored.RequestTime, accepted.RequestTime) {
		differ("RequestTime", quote(stored.RequestTime), quote(accepted.RequestTime))
	}
	want := accepted.PickupLocation
	if want == (ride.Location{}) {
		want = requestedPickup
	}
	if stored.PickupLocation != want {
		differ("PickupLocation", location(stored.PickupLocation), location(want))
	}
	return diffs
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func location(l ride.Location) string { return fmt.Sprintf("(%v, %v)", l.Latitude, l.Longitude) }

// sameTime compares request times as instants when both parse, so that a store that writes
// "…00.120Z" for "…00.12Z" is not a mismatch.
func sameTime(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	if errA != nil || errB != nil {
		return a == b
	}
	return ta.Equal(tb)
}
