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

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// ErrConflict means the store already holds a ride with the same RideId and different content.
// Retrying cannot help.
var ErrConflict = errors.New("already recorded with different content")

// Store keeps rides by RideID.
type Store interface {
	// PutIfAbsent stores r unless a ride is already stored under r.RideID; then it stores
	// nothing and returns the stored ride. Something stored under the RideID that is not a ride
	// is an error wrapping ErrConflict; any other error is transient.
	PutIfAbsent(ctx context.Context, r ride.Ride) (existing *ride.Ride, err error)
}

// Recorder is the one put path of rides into the store.
type Recorder struct {
	Store Store
}

// PutRide stores a ride once. SNS delivers at least once and Lambda retries, so the same ride comes
// again: storing it again with the same content succeeds and leaves one ride stored, while a
// different ride under the same RideId is an error wrapping ErrConflict and the stored ride is kept.
// Any other error is transient and worth a retry.
func (r *Recorder) PutRide(ctx context.Context, rd ride.Ride) error {
	existing, err := r.Store.PutIfAbsent(ctx, rd)
	switch {
	case errors.Is(err, ErrConflict):
		return fmt.Errorf("ride %s: %w", rd.RideID, err)
	case err != nil:
		return fmt.Errorf("put ride %s: %w", rd.RideID, err)
	case existing != nil && *existing != rd:
		return fmt.Errorf("ride %s: %w", rd.RideID, ErrConflict)
	}
	return nil
}

// Retryer is the SDK retry policy of the functions that write the table: the standard policy
// with its back-off capped at one second. Lambda retries a failed asynchronous event itself, so
// during an outage a function should fail within seconds, not spend its timeout backing off.
func Retryer() aws.Retryer {
	return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Second)
}
