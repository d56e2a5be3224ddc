package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
)

// faultOptions are what `wildrydes fault --for 30s` reads: how long the running local system's
// ride table stays unavailable.
type faultOptions struct {
	streams
	// For is how long; 0 ends the fault.
	For time.Duration
}

func newFaultOptions(s streams) (options, *flag.FlagSet) {
	o := &faultOptions{streams: s}
	fs := flag.NewFlagSet("fault", flag.ContinueOnError)
	fs.DurationVar(&o.For, "for", 30*time.Second, "how long the ride table stays unavailable (0 ends the fault)")
	return o, fs
}

func (o *faultOptions) complete([]string) error { return nil }

func (o *faultOptions) run(ctx context.Context) int {
	st, err := readState()
	if err != nil {
		fmt.Fprintln(o.Err, "fault:", err)
		return 2
	}
	body, _ := json.Marshal(map[string]string{"unavailableFor": o.For.String()})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.Admin+"/faults/table", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(o.Err, "fault:", err)
		return 1
	}
	admin.Authorize(req, st.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(o.Err, "fault:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(o.Err, "fault: %s: %s\n", resp.Status, msg)
		return 1
	}
	if o.For > 0 {
		fmt.Fprintf(o.Out, "the ride table is unavailable for %s: rides are still accepted, retried, then dead-lettered\n", o.For)
	} else {
		fmt.Fprintln(o.Out, "the ride table is available again")
	}
	return 0
}
