package local

import (
	"fmt"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/ddbproxy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
)

// Limits says, in one line for the start-up message, which of AWS's limits the system keeps and
// how fast its AWS time runs.
func (s *System) Limits() string {
	limits := "AWS's limits off (--no-limits): tables take any load, Lambda runs any number of invocations"
	if !s.opts.NoLimits {
		account := s.opts.AccountConcurrency
		if account <= 0 {
			account = lambda.DefaultAccountConcurrency
		}
		limits = fmt.Sprintf("AWS's limits on: each table's throughput from its template, Lambda's concurrency (%d for the account, reserved from the templates)", account)
	}
	return limits + "; " + s.clock.String()
}

// Tables is the throughput of every table the functions use, by physical name: capacity, burst
// left, throttled requests (nothing with NoLimits).
func (s *System) Tables() map[string]ddbproxy.TableState { return s.table.Tables() }

// LimitFigures are the limits at work over the last period: what the console shows live.
type LimitFigures struct {
	// ThrottledWrites and ThrottledReads per second, by table (AWS/DynamoDB WriteThrottleEvents,
	// ReadThrottleEvents).
	ThrottledWrites, ThrottledReads map[string]float64 `json:",omitempty"`
	// ThrottledInvocations per second, by function (AWS/Lambda Throttles).
	ThrottledInvocations map[string]float64 `json:",omitempty"`
	// Tables are each table's throughput now.
	Tables map[string]ddbproxy.TableState `json:",omitempty"`
	// Names are the logical IDs of the tables and functions above, by physical name.
	Names map[string]string `json:",omitempty"`
}

// LimitFigures reads the throttles of the last period of wall time from the system's metrics,
// per second of wall time (the metrics are kept on the clock's AWS time; the load that is
// throttled comes in wall time).
func (s *System) LimitFigures(period time.Duration) LimitFigures {
	end := s.metrics.Now().Add(time.Nanosecond)
	start := end.Add(-time.Duration(float64(period) * s.clock.Scale()))
	rate := func(namespace, name, dimension string) map[string]float64 {
		out := map[string]float64{}
		for _, m := range s.metrics.Metrics(namespace) {
			if m.Name != name || len(m.Dimensions) != 1 || m.Dimensions[dimension] == "" {
				continue
			}
			stats, err := s.metrics.Statistics(m, "Sum", start, end, end.Sub(start))
			if err == nil && len(stats) > 0 {
				out[m.Dimensions[dimension]] = stats[0].Value / period.Seconds()
			}
		}
		return out
	}
	names := map[string]string{}
	for _, stack := range s.engine.Stacks() {
		for id, physical := range stack.PhysicalIDs() {
			names[physical] = id
		}
	}
	return LimitFigures{
		ThrottledWrites:      rate("AWS/DynamoDB", "WriteThrottleEvents", "TableName"),
		ThrottledReads:       rate("AWS/DynamoDB", "ReadThrottleEvents", "TableName"),
		ThrottledInvocations: rate("AWS/Lambda", "Throttles", "FunctionName"),
		Tables:               s.table.Tables(),
		Names:                names,
	}
}
