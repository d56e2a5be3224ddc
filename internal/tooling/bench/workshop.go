package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/events"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// The workshop's high load, its published Artillery phase
// (tests/load/artillery-high-load-config.yml): 10 arrivals a second for 180 s.
const (
	WorkshopRate     = load.HighRate
	WorkshopDuration = load.HighDuration
)

// maxDrain bounds how long a step waits, after its load, for Lambda's retries to end: the last
// ride's two retries come 1 and 3 minutes after its first attempt (AWS time).
const maxDrain = 10 * time.Minute

// WorkshopStep is what one step of the refactor did under the workshop's load, with AWS's limits.
type WorkshopStep struct {
	Step    design.Step
	Startup time.Duration
	Load    load.Result
	// Where the accepted rides (the 201s) are once Lambda's retries are over: stored by their
	// first attempt (or, synchronously, before the 201), stored by a retry, in the dead-letter
	// queue, or in neither the table nor the queue.
	StoredAtOnce, StoredAfterRetries, DeadLettered, Lost int
	// ThrottledWrites are the ride table's (WriteThrottleEvents); ThrottledInvocations every
	// function's (AWS/Lambda Throttles).
	ThrottledWrites      int64
	ThrottledInvocations int
	// CostUSD is what this load would cost on AWS (cost.Report.LoadUSD, with the durations the
	// functions took here); CostErr says why there is none.
	CostUSD float64
	CostErr error
	// Timeline is the run second by second, from the first request to the end of the retries.
	Timeline []Second
	// Drain is how long Lambda's retries went on after the last answer.
	Drain time.Duration
	Err   error
}

// Second is one second of a step's run.
type Second struct {
	// Codes are the answers to the requests sent in this second, by status (0: no answer);
	// P50, P95 and Max their latency in ms.
	Codes         map[int]int `json:",omitempty"`
	P50, P95, Max float64     `json:",omitempty"`
	// DeadLetters is the dead-letter queue's depth, Stored the rides in the table and
	// ThrottledWrites the table's throttled writes so far, sampled at the end of the second.
	DeadLetters, Stored int
	ThrottledWrites     int64
}

// RunWorkshop runs o's load against each of o.Steps in turn, each on a fresh local system with
// AWS's limits (unless o.NoLimits) as users reach it, and follows every accepted ride to the
// table or the dead-letter queue once Lambda's retries are over.
func RunWorkshop(ctx context.Context, o Options) ([]WorkshopStep, error) {
	return eachStep(ctx, o, runWorkshopStep)
}

func runWorkshopStep(ctx context.Context, o Options, step design.Step, steps *synth.Steps, progress io.Writer) (res WorkshopStep) {
	res.Step = step
	logs, done := systemLog(o, step, progress)
	defer func() { done(res.Err != nil || res.Lost > 0) }()
	sys, err := startStep(ctx, o, step, steps, logs, progress, &res.Startup)
	if sys != nil {
		defer sys.Close()
	}
	if res.Err = err; err != nil {
		return res
	}
	st, err := sys.State()
	if err != nil || st.ApiUrl == "" || st.RideTable == "" {
		res.Err = fmt.Errorf("step %d has no route that books rides or no table that stores them (%v)", step, err)
		return res
	}
	attempts := watchAttempts(sys.Events())
	sample := startSampler(ctx, sys, st)
	fmt.Fprintf(progress, "bench: step %d: started in %.1fs; %s; sending %d rides at %g/s to %s/ride\n",
		step, res.Startup.Seconds(), sys.Limits(), rides(o.Rate, o.Duration), o.Rate, st.ApiUrl)
	lo := load.Options{URL: st.ApiUrl, Rate: o.Rate, Duration: o.Duration, TableName: st.RideTable,
		Endpoint: st.Endpoint, Region: st.Region, Settle: 5 * time.Second, SkipCheck: true,
		Progress: progress, ProgressEvery: 15 * time.Second}
	if res.Load, res.Err = load.Run(ctx, lo); res.Err != nil {
		return res
	}
	answered := time.Now()
	fmt.Fprintf(progress, "bench: step %d: %d answered 201; waiting for Lambda's retries to end ...\n", step, res.Load.Codes[201])
	drainCtx, cancel := context.WithTimeout(ctx, sys.Clock().Wall(maxDrain))
	err = sys.WaitIdle(drainCtx)
	cancel()
	if err != nil {
		res.Err = fmt.Errorf("waiting for Lambda's retries: %w", err)
		return res
	}
	res.Drain = time.Since(answered)
	if res.Err = load.Check(ctx, lo, &res.Load); res.Err != nil {
		return res
	}
	deadLettered, err := deadLetteredRides(ctx, st)
	if err != nil {
		res.Err = err
		return res
	}
	res.Timeline = timeline(res.Load.Samples, sample())
	res.classify(attempts(), deadLettered)
	res.ThrottledWrites = sys.Tables()[st.RideTable].ThrottledWrites
	res.ThrottledInvocations = throttledInvocations(sys)
	res.CostUSD, res.CostErr = loadCost(sys, steps, step, o, st)
	fmt.Fprintf(progress, "bench: step %d: %d stored at once, %d after retries, %d dead-lettered, %d lost\n",
		step, res.StoredAtOnce, res.StoredAfterRetries, res.DeadLettered, res.Lost)
	return res
}

// localOptions are the options of the local system each step runs on.
func (o Options) localOptions(logs io.Writer) local.Options {
	return local.Options{Root: o.Root, Concurrency: o.Concurrency, NoLimits: o.NoLimits, TimeScale: o.TimeScale, Log: logs}
}

// systemLog is where a step's local system logs: o.SystemLog, or a temporary file kept only when
// the step failed (done says whether it did).
func systemLog(o Options, step design.Step, progress io.Writer) (io.Writer, func(failed bool)) {
	if o.SystemLog != nil {
		return o.SystemLog, func(bool) {}
	}
	f, err := os.CreateTemp("", fmt.Sprintf("wildrydes-bench-step%d-*.log", step))
	if err != nil {
		return io.Discard, func(bool) {}
	}
	return f, func(failed bool) {
		f.Close()
		if failed {
			fmt.Fprintf(progress, "bench: step %d: the local system's log is in %s\n", step, f.Name())
		} else {
			os.Remove(f.Name())
		}
	}
}

// classify sorts the accepted rides: stored (at once when their first delivery stored them, or
// synchronously), dead-lettered, or lost.
func (r *WorkshopStep) classify(firstStored map[string]int, deadLettered map[string]bool) {
	missing := map[string]bool{}
	for _, id := range r.Load.Missing {
		missing[id] = true
	}
	for _, ride := range r.Load.Rides {
		switch id := ride.RideID; {
		case !missing[id] && firstStored[id] > 1:
			r.StoredAfterRetries++
		case !missing[id]:
			r.StoredAtOnce++
		case deadLettered[id]:
			r.DeadLettered++
		default:
			r.Lost++
		}
	}
}

// watchAttempts follows the asynchronous deliveries of rides: which attempt first succeeded.
func watchAttempts(feed *events.Feed) func() map[string]int {
	ch, stop := feed.Watch(1 << 16)
	quit, done := make(chan struct{}), make(chan map[string]int)
	go func() {
		first := map[string]int{}
		note := func(ev events.Event) {
			if ev.Kind == "attempt" && ev.OK && ev.RideID != "" && first[ev.RideID] == 0 {
				first[ev.RideID] = ev.Attempt
			}
		}
		for {
			select {
			case ev := <-ch:
				note(ev)
			case <-quit:
				for len(ch) > 0 { // stop has removed ch from the feed: what it holds is all
					note(<-ch)
				}
				done <- first
				return
			}
		}
	}()
	return func() map[string]int {
		stop()
		close(quit)
		return <-done
	}
}

// deadLetteredRides lists the rides in the dead-letter queue (none without one).
func deadLetteredRides(ctx context.Context, st local.State) (map[string]bool, error) {
	out := map[string]bool{}
	if st.DeadLetterQueueUrl == "" {
		return out, nil
	}
	r := &riderecord.Redriver{Queue: sqs.NewFromConfig(st.Config()), QueueURL: st.DeadLetterQueueUrl,
		Logger: slog.New(slog.DiscardHandler)}
	letters, err := r.List(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("listing the dead-letter queue: %w", err)
	}
	for _, l := range letters {
		for _, ride := range l.Rides {
			out[ride.RideID] = true
		}
	}
	return out, nil
}

// startSampler reads, once a second, the dead-letter queue's depth, the rides in the table and
// its throttled writes; the function it returns stops it and gives the samples.
func startSampler(ctx context.Context, sys *local.System, st local.State) func() []Second {
	cfg := st.Config()
	queue, table := sqs.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan []Second)
	go func() {
		var out []Second
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				done <- out
				return
			case <-tick.C:
			}
			s := Second{ThrottledWrites: sys.Tables()[st.RideTable].ThrottledWrites}
			if st.DeadLetterQueueUrl != "" {
				if a, err := queue.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(st.DeadLetterQueueUrl),
					AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}}); err == nil {
					fmt.Sscan(a.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], &s.DeadLetters)
				}
			}
			// DescribeTable's ItemCount is live in the emulator (on AWS it lags by hours).
			if d, err := table.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(st.RideTable)}); err == nil {
				s.Stored = int(aws.ToInt64(d.Table.ItemCount))
			}
			out = append(out, s)
		}
	}()
	return func() []Second {
		cancel()
		return <-done
	}
}

// throttledInvocations sums AWS/Lambda Throttles over every function.
func throttledInvocations(sys *local.System) int {
	total := 0.0
	store := sys.Metrics()
	now := store.Now()
	for _, m := range store.Metrics("AWS/Lambda") {
		if m.Name != "Throttles" {
			continue
		}
		if stats, err := store.Statistics(m, "Sum", now.Add(-24*time.Hour), now.Add(time.Second), 25*time.Hour); err == nil && len(stats) > 0 {
			total += stats[0].Value
		}
	}
	return int(total)
}

// sortedCodes lists the status codes answered in any of the steps.
func sortedCodes(steps []WorkshopStep) []int {
	set := map[int]bool{}
	for _, s := range steps {
		for code := range s.Load.Codes {
			set[code] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
