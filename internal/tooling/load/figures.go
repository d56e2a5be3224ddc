package load

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"net/http"
)

// The pacing of a run and the figures it reports: percentiles, error labels, the thresholds.

// phase paces like an Artillery phase: the first arrival at once, then one every 1/rate, until
// rate × duration arrivals are out. When every worker is busy arrivals go out late but none is
// dropped, so a slow system shows as a lower "RPS sent", as in the published run (1,800 requests
// at 8.7 RPS for a 180 s phase at 10/s).
type phase struct {
	vegeta.ConstantPacer
	arrivals uint64
}

func newPhase(rate float64, d time.Duration) phase {
	return phase{
		// Per 1000 s keeps fractional rates (0.5/s) exact.
		ConstantPacer: vegeta.ConstantPacer{Freq: int(math.Round(rate * 1000)), Per: 1000 * time.Second},
		arrivals:      uint64(math.Round(rate * d.Seconds())),
	}
}

func (p phase) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.arrivals {
		return 0, true
	}
	// ConstantPacer sends its first hit one interval in.
	return p.ConstantPacer.Pace(elapsed+p.Per/time.Duration(p.Freq), hits)
}

// arrivalRate is the rate the requests actually went out at: intervals between the first and
// the last send, so that n requests paced at r per second give r, not n/(n-1)·r.
func arrivalRate(n int, first, last time.Time, planned time.Duration) float64 {
	if span := last.Sub(first); n > 1 && span > 0 {
		return float64(n-1) / span.Seconds()
	}
	return float64(n) / planned.Seconds()
}

// percentiles uses the nearest-rank method: the p-th percentile is the smallest latency that
// at least p% of the requests did not exceed.
func percentiles(latencies []time.Duration) Latencies {
	if len(latencies) == 0 {
		return Latencies{}
	}
	s := slices.Clone(latencies)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		return s[max(i, 0)]
	}
	return Latencies{Min: s[0], Median: rank(50), P95: rank(95), P99: rank(99), Max: s[len(s)-1]}
}

// errorLabel names a request that got no response the way Artillery does (by errno where there
// is one), so that a thousand refused connections are one line of the report.
func errorLabel(msg string) string {
	switch {
	case strings.Contains(msg, "connection refused"):
		return "ECONNREFUSED"
	case strings.Contains(msg, "connection reset"):
		return "ECONNRESET"
	case strings.Contains(msg, "Client.Timeout"), strings.Contains(msg, "deadline exceeded"),
		strings.Contains(msg, "i/o timeout"):
		return "ETIMEDOUT"
	case strings.Contains(msg, "no such host"):
		return "ENOTFOUND"
	case strings.HasSuffix(msg, ": EOF"), msg == "EOF":
		return "EOF"
	}
	// "Post \"http://...\": reason": the URL is the same for every request.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		return msg[i+3:]
	}
	if msg == "" {
		return "unknown error"
	}
	return msg
}

// judge records why the run failed, if it did.
func judge(t Thresholds, res *Result) {
	if res.Malformed > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("%d responses with 201 carried no ride", res.Malformed))
	}
	if res.Checked {
		if n := len(res.Missing); n > 0 {
			res.Failures = append(res.Failures, fmt.Sprintf("%d of %d accepted rides are not in the table: %s",
				n, res.RidesAccepted, strings.Join(res.Missing, ", ")))
		}
		for _, m := range res.Mismatched {
			res.Failures = append(res.Failures, fmt.Sprintf("ride %s is stored differently: %s",
				m.RideID, strings.Join(m.Differences, "; ")))
		}
	}
	if t.MaxP95 > 0 && res.Latency.P95 > t.MaxP95 {
		res.Failures = append(res.Failures, fmt.Sprintf("p95 latency %v is over %v", res.Latency.P95.Round(100*time.Microsecond), t.MaxP95))
	}
	if t.MaxP99 > 0 && res.Latency.P99 > t.MaxP99 {
		res.Failures = append(res.Failures, fmt.Sprintf("p99 latency %v is over %v", res.Latency.P99.Round(100*time.Microsecond), t.MaxP99))
	}
	if t.MaxErrors != nil && res.NotAccepted() > *t.MaxErrors {
		res.Failures = append(res.Failures, fmt.Sprintf("%d requests not answered 201, more than the %d allowed",
			res.NotAccepted(), *t.MaxErrors))
	}
	if t.MinSuccessRatio > 0 {
		ratio := 0.0
		if res.Sent > 0 {
			ratio = float64(res.Codes[http.StatusCreated]) / float64(res.Sent)
		}
		if ratio < t.MinSuccessRatio {
			res.Failures = append(res.Failures, fmt.Sprintf("%.3f of requests answered 201, under the %.3f required",
				ratio, t.MinSuccessRatio))
		}
	}
}
