package cost

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// Profile is the traffic an estimate prices. Memory, architecture and the wiring between the
// resources come from the templates; everything about the traffic comes from here.
type Profile struct {
	// RidesPerMonth is how many rides POST /ride books in a month.
	RidesPerMonth int64 `json:"rides_per_month"`
	// PeakRidesPerSecond is the busiest rate to expect; a provisioned table that cannot write
	// this fast gets a throttling warning. Default 10, the seed's high-load Artillery run.
	PeakRidesPerSecond float64 `json:"peak_rides_per_second"`
	// DurationsMS overrides a function's average billed duration by its name (logical ID: a
	// user names a function as the templates do); see DefaultDurationMS for the others.
	DurationsMS map[string]float64 `json:"durations_ms,omitempty"`
	// PayloadBytes is the size of one ride on the wire and in the table (~300 B).
	PayloadBytes int `json:"payload_bytes"`
	// LogBytesPerInvocation is what one invocation writes to CloudWatch Logs, the platform's
	// start and report lines included.
	LogBytesPerInvocation int    `json:"log_bytes_per_invocation"`
	Region                string `json:"region"`
	// FreeTier subtracts the free-tier allowances, those of an account's first 12 months included.
	FreeTier bool `json:"free_tier"`
}

// priceRegion is the region an estimate prices by default, and the one the seed's cost questions
// are asked about (us-east-1 list prices): a region of the price table, not where anything runs.
const priceRegion = "us-east-1"

// DefaultProfile is a million rides a month in us-east-1 without the free tier.
func DefaultProfile() Profile {
	return Profile{
		RidesPerMonth:         1_000_000,
		PeakRidesPerSecond:    10,
		PayloadBytes:          300,
		LogBytesPerInvocation: 1000,
		Region:                priceRegion,
	}
}

// The warm run times of the project's Go functions on arm64 doing their own work, by what the
// function does in the model; a function that waits for another over HTTP is billed for the wait
// as well, which the estimate adds (see durationMS). Measure with the load tool and override with
// --duration.
const (
	// HandoffDurationMS: pick a unicorn, publish one message or make one HTTP call (RequestRide).
	HandoffDurationMS = 50
	// StoreDurationMS: one PutItem (the functions behind POST /record and the topic).
	StoreDurationMS = 30
	// RedriveDurationMS: drains the dead-letter queue in batches; run by hand.
	RedriveDurationMS = 1000
	// FallbackDurationMS: any other function, the seed's 100 ms.
	FallbackDurationMS = 100
)

// DefaultDurationMS is the average duration the estimate uses for a function when the profile
// does not override it.
func DefaultDurationMS(sys *model.System, f *model.Function) float64 {
	switch {
	case f.HandsOffRides():
		return HandoffDurationMS
	case sys.StoredBy(f) != nil && consumesDeadLetters(sys, f):
		return RedriveDurationMS
	case sys.StoredBy(f) != nil:
		return StoreDurationMS
	}
	return FallbackDurationMS
}

// consumesDeadLetters: the function receives messages from a dead-letter queue (the re-drive).
func consumesDeadLetters(sys *model.System, f *model.Function) bool {
	for _, q := range sys.DeadLetterQueues() {
		if f.Allows("sqs:ReceiveMessage", &q.Resource) {
			return true
		}
	}
	return false
}

// ParseDuration reads one --duration value, NAME=DURATION, where DURATION is a Go duration
// ("120ms", "0.5s") or a number of milliseconds ("120"). It returns milliseconds.
func ParseDuration(s string) (name string, ms float64, err error) {
	name, value, ok := strings.Cut(s, "=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return "", 0, fmt.Errorf("duration %q: want FUNCTION=DURATION, e.g. RequestRide=120ms", s)
	}
	if n, err := strconv.ParseFloat(value, 64); err == nil {
		ms = n
	} else {
		d, err := time.ParseDuration(value)
		if err != nil {
			return "", 0, fmt.Errorf("duration %q: %q is neither a duration (120ms, 0.5s) nor a number of milliseconds", s, value)
		}
		ms = float64(d) / float64(time.Millisecond)
	}
	// Lambda bills at least 1 ms and stops every invocation at 15 minutes.
	if ms < 1 || ms > 900_000 {
		return "", 0, fmt.Errorf("duration %q: a Lambda invocation lasts from 1 ms to 15 minutes", s)
	}
	return name, ms, nil
}

// Validate says what makes the profile one no month can have, if anything.
func (p Profile) Validate() error {
	switch {
	case p.RidesPerMonth < 0:
		return fmt.Errorf("rides per month %d: must not be negative", p.RidesPerMonth)
	case p.PeakRidesPerSecond < 0:
		return fmt.Errorf("peak rides per second %g: must not be negative", p.PeakRidesPerSecond)
	case p.PayloadBytes <= 0:
		return fmt.Errorf("payload bytes %d: must be positive", p.PayloadBytes)
	case p.LogBytesPerInvocation < 0:
		return fmt.Errorf("log bytes per invocation %d: must not be negative", p.LogBytesPerInvocation)
	}
	for name, ms := range p.DurationsMS {
		if ms < 1 || ms > 900_000 {
			return fmt.Errorf("duration of %s %g ms: a Lambda invocation lasts from 1 ms to 15 minutes", name, ms)
		}
	}
	return nil
}
