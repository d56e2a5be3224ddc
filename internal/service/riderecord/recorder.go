// Package riderecord is the ride-record service: the one put path into the rides table (PutRide),
// the HTTP and SNS handlers that feed it, and the re-drive of the dead-letter queue.
package riderecord

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// ErrConflict means the store already holds a ride with the same RideId and different content.
// Retrying cannot help.
var ErrConflict = errors.New("already recorded with different content")

// ErrUnstorable means the store refused the ride itself (DynamoDB's ValidationException: a number
// it cannot hold, an item too large). Retrying cannot help; the ride record rules
// (ride.ParseRideRecord) are meant to refuse such a ride before it gets here.
var ErrUnstorable = errors.New("the table refuses this ride")

// Store keeps rides by RideID.
type Store interface {
	// PutIfAbsent stores r unless a ride is already stored under r.RideID; then it stores
	// nothing and returns the stored ride. Something stored under the RideID that is not a ride
	// is an error wrapping ErrConflict; a refusal of the ride itself wraps ErrUnstorable; any
	// other error is transient.
	PutIfAbsent(ctx context.Context, r ride.Ride) (existing *ride.Ride, err error)
}

// Recorder is the one put path of rides into the store.
type Recorder struct {
	Store Store
	// Metrics gets RidesStored with the ride's DeliveryLatency, or RidesAlreadyStored, for each
	// ride put; nil means none.
	Metrics *metrics.Emitter
	// Now is the clock of the delivery latency; nil means time.Now.
	Now func() time.Time
}

// PutRide stores a ride once. SNS delivers at least once and Lambda retries, so the same ride comes
// again: storing it again with the same content succeeds and leaves one ride stored, while a
// different ride under the same RideId is an error wrapping ErrConflict and the stored ride is kept.
// A ride the store refuses is an error wrapping ErrUnstorable. Any other error is transient and
// worth a retry.
func (r *Recorder) PutRide(ctx context.Context, rd ride.Ride) error {
	existing, err := r.Store.PutIfAbsent(ctx, rd)
	switch {
	case errors.Is(err, ErrConflict), errors.Is(err, ErrUnstorable):
		return fmt.Errorf("ride %s: %w", rd.RideID, err)
	case err != nil:
		return fmt.Errorf("put ride %s: %w", rd.RideID, err)
	case existing != nil && *existing != rd:
		return fmt.Errorf("ride %s: %w", rd.RideID, ErrConflict)
	case existing != nil:
		r.Metrics.Emit(metrics.Line{RideID: rd.RideID, Values: []metrics.Value{metrics.One(design.MetricRidesAlreadyStored)}})
	default:
		r.Metrics.Emit(metrics.Line{RideID: rd.RideID, Values: []metrics.Value{
			metrics.One(design.MetricRidesStored), {Metric: design.MetricDeliveryLatency, Value: r.latency(rd)}}})
	}
	return nil
}

// latency is the milliseconds from the ride's request to now; a clock behind the ride's is 0.
func (r *Recorder) latency(rd ride.Ride) float64 {
	requested, err := time.Parse(time.RFC3339, rd.RequestTime)
	if err != nil { // a ride record's RequestTime always parses
		return 0
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return float64(max(now().Sub(requested), 0).Milliseconds())
}

// Retryer is the SDK retry policy of the functions that write the table: the standard policy
// with its back-off capped at one second. Lambda retries a failed asynchronous event itself, so
// during an outage a function should fail within seconds, not spend its timeout backing off.
func Retryer() aws.Retryer {
	return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Second)
}
