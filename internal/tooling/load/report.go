package load

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// WriteReport prints Artillery's summary, then the ride check.
func (r Result) WriteReport(w io.Writer) {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }
	fmt.Fprintf(w, "Summary report @ %s\n", time.Now().Format("15:04:05(-0700) 2006-01-02"))
	fmt.Fprintf(w, "  Scenarios launched:  %d\n", r.Sent)
	fmt.Fprintf(w, "  Scenarios completed: %d\n", r.Completed)
	fmt.Fprintf(w, "  Requests completed:  %d\n", r.Completed)
	fmt.Fprintf(w, "  RPS sent: %s\n", strconv.FormatFloat(r.RPSSent, 'f', 1, 64))
	fmt.Fprintf(w, "  Request latency:\n")
	fmt.Fprintf(w, "    min: %s\n    max: %s\n    median: %s\n    p95: %s\n    p99: %s\n",
		ms(r.Latency.Min), ms(r.Latency.Max), ms(r.Latency.Median), ms(r.Latency.P95), ms(r.Latency.P99))
	if len(r.Codes) > 0 {
		fmt.Fprintf(w, "  Codes:\n")
		for _, c := range slices.Sorted(maps.Keys(r.Codes)) {
			fmt.Fprintf(w, "    %d: %d\n", c, r.Codes[c])
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "  Errors:\n")
		for _, l := range slices.Sorted(maps.Keys(r.Errors)) {
			fmt.Fprintf(w, "    %s: %d\n", l, r.Errors[l])
		}
	}

	fmt.Fprintf(w, "Rides:\n")
	fmt.Fprintf(w, "  accepted (%d): %d\n", http.StatusCreated, r.RidesAccepted)
	if r.Checked {
		fmt.Fprintf(w, "  stored in %s: %d\n", r.TableName, r.RidesFound)
		fmt.Fprintf(w, "  missing: %d\n", len(r.Missing))
		fmt.Fprintf(w, "  mismatched: %d\n", len(r.Mismatched))
	} else {
		fmt.Fprintf(w, "  not checked against the table\n")
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "FAILED:\n")
		for _, f := range r.Failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
		return
	}
	if r.Checked {
		fmt.Fprintf(w, "OK: all %d accepted rides are stored as accepted.\n", r.RidesAccepted)
	}
}
