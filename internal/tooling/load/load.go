// Package load replays the workshop's Artillery load test against RequestRide and then proves,
// ride by ride, that every ride the API accepted reached the ride record table.
package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// RideRequest is the body the original Artillery scenario POSTs to /ride.
const RideRequest = `{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`

// The pickup location in RideRequest: what a stored ride must carry when the response omits it.
var requestedPickup = ride.Location{Latitude: 42.3525, Longitude: -71.0529}

// Defaults are those of the original test: artillery.yml runs 60 s at 1 arrival/s, Artillery
// waits 30 s for a response, and the ride record path gets 30 s to catch up.
const (
	DefaultRate     = 1.0
	DefaultDuration = 60 * time.Second
	HighRate        = 10.0
	HighDuration    = 180 * time.Second
	DefaultTimeout  = 30 * time.Second
	DefaultWorkers  = 1000
	DefaultSettle   = 30 * time.Second
	DefaultProgress = 10 * time.Second
)

// maxBody bounds what is kept of a response: a ride is about 200 bytes.
const maxBody = 64 << 10

// Options says what to send, where, and what a successful run is.
type Options struct {
	// URL is the API's base URL; rides are requested with POST URL/ride.
	URL string
	// Rate is the constant arrival rate in requests per second: Rate × Duration requests go out,
	// the first at once, later than planned only when all Workers are busy.
	Rate     float64
	Duration time.Duration
	// Timeout bounds each request (0: DefaultTimeout).
	Timeout time.Duration
	// Workers bounds the requests in flight (0: DefaultWorkers). When all are busy the
	// arrival rate drops, as Artillery's "RPS sent" does under load.
	Workers uint64

	// SkipCheck skips the ride check: only the HTTP side is measured.
	SkipCheck bool
	// IdempotencyKeys sends each ride with an Idempotency-Key of its own, as a careful client
	// does. Off, the requests are the workshop's Artillery scenario's, which sends none.
	IdempotencyKeys bool
	// TableName is the ride record table; Table reads it. A nil Table means a DynamoDB client
	// from config.LoadDefaultConfig with Region and, when set, Endpoint.
	TableName string
	Table     Table
	Region    string
	Endpoint  string
	// Settle is how long to keep looking for rides that are not stored yet (0: DefaultSettle):
	// RequestRide answers before the ride is recorded (SNS to Lambda to DynamoDB).
	Settle time.Duration

	Thresholds Thresholds

	// Progress, when set, receives a line every ProgressEvery (0: DefaultProgress).
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Thresholds turn a slow or failing run into a failed one. Zero values set no limit.
type Thresholds struct {
	MaxP95 time.Duration
	MaxP99 time.Duration
	// MaxErrors, when set, is the most responses other than 201 (errors included) allowed.
	MaxErrors *int
	// MinSuccessRatio is the least share of requests sent that must be answered 201.
	MinSuccessRatio float64
}

// Result is what a run measured and what the ride check found.
type Result struct {
	URL      string
	Rate     float64
	Duration time.Duration `json:"-"`

	// Sent counts requests launched; Completed those that got an HTTP response.
	Sent      int
	Completed int
	// RPSSent is the arrival rate achieved: below Rate when every worker was busy.
	RPSSent float64
	// Latency is measured over completed requests, as Artillery does.
	Latency Latencies
	// Codes counts responses per HTTP status; Errors counts requests with no response, per cause
	// (ECONNREFUSED, ETIMEDOUT, ...).
	Codes  map[int]int
	Errors map[string]int

	// Rides are the rides the API accepted: the body of every 201.
	Rides         []ride.Ride
	RidesAccepted int
	// Malformed counts 201s whose body is not a ride with a RideId.
	Malformed int

	// Checked says whether the table was read; RidesFound counts accepted rides found there.
	Checked    bool
	TableName  string `json:",omitempty"`
	RidesFound int
	// Missing names accepted rides not in the table when Settle ran out.
	Missing []string
	// Mismatched names stored rides that differ from what the caller was told.
	Mismatched []Mismatch

	// Failures says why the run failed: lost or mismatched rides, thresholds crossed.
	Failures []string

	// Samples are the requests one by one, in the order they were answered: what a report
	// draws over time.
	Samples []Sample `json:"-"`
}

// Sample is one request: when it was sent (from the first), how long its answer took, and its
// status (0: no response).
type Sample struct {
	Sent    time.Duration
	Latency time.Duration
	Code    int
}

// Mismatch is a stored ride that is not the ride the caller got.
type Mismatch struct {
	RideID      string `json:"RideId"`
	Differences []string
}

// Latencies are the figures Artillery prints.
type Latencies struct {
	Min, Median, P95, P99, Max time.Duration
}

// MarshalJSON writes milliseconds, the unit of Artillery's report and of the benchmark page.
func (l Latencies) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return json.Marshal(struct{ MinMs, MedianMs, P95Ms, P99Ms, MaxMs float64 }{
		ms(l.Min), ms(l.Median), ms(l.P95), ms(l.P99), ms(l.Max),
	})
}

// MarshalJSON adds the duration in seconds.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		DurationSeconds float64
	}{plain(r), r.Duration.Seconds()})
}

// NotAccepted counts requests not answered 201: other status codes and errors.
func (r Result) NotAccepted() int {
	return r.Sent - r.Codes[http.StatusCreated]
}

// OK reports whether the run passed: every accepted ride stored as accepted, no threshold crossed.
func (r Result) OK() bool { return len(r.Failures) == 0 }

// Run replays the scenario, then checks the table unless told not to. The error is for a run
// that could not be carried out or checked; a lost ride or a crossed threshold is in
// Result.Failures. When ctx ends, Run stops sending and returns what it measured with ctx's error.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	res := replay(ctx, o)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("load run interrupted: %w", err)
	}
	if !o.SkipCheck {
		if err := Check(ctx, o, &res); err != nil {
			return res, err
		}
	}
	judge(o.Thresholds, &res)
	return res, nil
}

// Check looks for res's accepted rides in o's table for up to o.Settle, as Run does after its
// replay: for a caller that ran the replay with SkipCheck because it had something to wait for
// first (Lambda's retries). It records what it found in res, without judging it.
func Check(ctx context.Context, o Options, res *Result) error {
	table := o.Table
	if table == nil {
		var err error
		if table, err = newDynamoDBTable(ctx, o.Region, o.Endpoint); err != nil {
			return err
		}
	}
	settle := o.Settle
	if settle == 0 {
		settle = DefaultSettle
	}
	return checkRides(ctx, table, o.TableName, settle, res)
}

// Validate says what makes the options no load to run, if anything.
func (o Options) Validate() error {
	switch {
	case o.URL == "":
		return errors.New("no URL to send rides to")
	case !(o.Rate > 0) || math.IsInf(o.Rate, 0):
		return fmt.Errorf("rate must be a positive number of arrivals per second, not %v", o.Rate)
	case o.Duration <= 0:
		return fmt.Errorf("duration must be positive, not %v", o.Duration)
	case o.Rate < 0.001 || math.Round(o.Rate*o.Duration.Seconds()) < 1:
		return fmt.Errorf("%v arrivals/s for %v sends no request", o.Rate, o.Duration)
	case o.Timeout < 0:
		return fmt.Errorf("timeout must be positive, not %v", o.Timeout)
	case o.Settle < 0:
		return fmt.Errorf("settle must not be negative, not %v", o.Settle)
	case o.Thresholds.MaxErrors != nil && *o.Thresholds.MaxErrors < 0:
		return fmt.Errorf("max errors must not be negative, not %d", *o.Thresholds.MaxErrors)
	case o.Thresholds.MinSuccessRatio < 0 || o.Thresholds.MinSuccessRatio > 1:
		return fmt.Errorf("min success ratio must be between 0 and 1, not %v", o.Thresholds.MinSuccessRatio)
	case !o.SkipCheck && o.TableName == "":
		return errors.New("no ride record table to check")
	}
	return nil
}

// replay sends the scenario and tallies what came back.
func replay(ctx context.Context, o Options) Result {
	timeout, workers, every := o.Timeout, o.Workers, o.ProgressEvery
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if workers == 0 {
		workers = DefaultWorkers
	}
	if every == 0 {
		every = DefaultProgress
	}
	attacker := vegeta.NewAttacker(
		vegeta.Timeout(timeout),
		vegeta.Workers(min(workers, vegeta.DefaultWorkers)),
		vegeta.MaxWorkers(workers),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.MaxBody(maxBody),
	)
	// With IdempotencyKeys, each ride its own Idempotency-Key, as a careful client sends: the API
	// then books each once even if a request were retried.
	url := strings.TrimRight(o.URL, "/") + "/ride"
	target := vegeta.Targeter(func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: http.MethodPost, URL: url, Body: []byte(RideRequest), Header: http.Header{
			"Content-Type": []string{"application/json"}}}
		if o.IdempotencyKeys {
			t.Header.Set("Idempotency-Key", uuid.NewString())
		}
		return nil
	})
	// The attacker reports a request only once it is answered; counting at the targeter
	// tells progress how many are out.
	var sent atomic.Int64
	counted := vegeta.Targeter(func(t *vegeta.Target) error {
		sent.Add(1)
		return target(t)
	})
	pacer := newPhase(o.Rate, o.Duration)

	res := Result{
		URL: o.URL, Rate: o.Rate, Duration: o.Duration, TableName: o.TableName,
		Codes: map[int]int{}, Errors: map[string]int{},
	}
	var (
		latencies    []time.Duration
		first, last  time.Time
		began        = time.Now()
		tick         = time.NewTicker(every)
		done         = ctx.Done()
		results      = attacker.Attack(counted, pacer, 0, "wildrydes-load")
		ok, failures int
	)
	defer tick.Stop()
	for {
		select {
		case r, open := <-results:
			if !open {
				res.Sent = int(sent.Load())
				res.Latency = percentiles(latencies)
				res.RPSSent = arrivalRate(res.Sent, first, last, o.Duration)
				res.RidesAccepted = len(res.Rides)
				return res
			}
			if first.IsZero() || r.Timestamp.Before(first) {
				first = r.Timestamp
			}
			res.Samples = append(res.Samples, Sample{Sent: r.Timestamp.Sub(began), Latency: r.Latency, Code: int(r.Code)})
			if r.Timestamp.After(last) {
				last = r.Timestamp
			}
			if r.Code == 0 {
				res.Errors[errorLabel(r.Error)]++
				failures++
				continue
			}
			res.Completed++
			latencies = append(latencies, r.Latency)
			res.Codes[int(r.Code)]++
			if r.Code != http.StatusCreated {
				failures++
				continue
			}
			ok++
			var accepted ride.Ride
			if err := json.Unmarshal(r.Body, &accepted); err != nil || accepted.RideID == "" {
				res.Malformed++
				continue
			}
			res.Rides = append(res.Rides, accepted)
		case <-tick.C:
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "load: %3.0fs sent %d, ok %d, errors %d\n",
					time.Since(began).Seconds(), sent.Load(), ok, failures)
			}
		case <-done:
			attacker.Stop()
			done = nil // keep draining: requests in flight still report
		}
	}
}
