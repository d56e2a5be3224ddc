package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// loadOptions are what `wildrydes load` reads: the load to send, where, what a successful run is,
// and what the running local system's state file fills in.
type loadOptions struct {
	streams
	load.Options
	JSON bool
	// StatePath is the state file `wildrydes local` writes.
	StatePath string
	high      bool
	maxErrors limit
	flags     *flag.FlagSet
}

func newLoadOptions(s streams) (options, *flag.FlagSet) {
	o := &loadOptions{streams: s}
	fs := flag.NewFlagSet("wildrydes load", flag.ContinueOnError)
	o.flags = fs
	fs.Usage = func() {
		fmt.Fprintf(s.Err, `usage: wildrydes load [flags]

Replays the workshop's Artillery test, POST /ride with
  %s
at a constant arrival rate, prints Artillery's summary, then checks that every ride answered 201
is in the ride record table. Without --url it loads the system `+"`wildrydes local`"+` started.

Exit status: 0 all rides stored, 1 a ride lost or mismatched or a threshold crossed, 2 bad flags.

Flags:
`, load.RideRequest)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.URL, "url", "", "API base `URL`; rides go to URL/ride (default: ApiUrl in the state file)")
	fs.BoolVar(&o.high, "high", false, "the original high-load run, tests/load/artillery-high-load-config.yml: 180s at 10/s")
	fs.Float64Var(&o.Rate, "rate", load.DefaultRate, "`arrivals` per second (10 with --high)")
	durationVar(fs, &o.Duration, "duration", load.DefaultDuration, "how long arrivals go on, as a `duration` such as 90s or 90 (180s with --high)")
	durationVar(fs, &o.Timeout, "timeout", load.DefaultTimeout, "how long to wait for each response (a `duration`)")
	fs.Uint64Var(&o.Workers, "workers", load.DefaultWorkers, "most requests in flight")
	fs.BoolVar(&o.SkipCheck, "no-check", false, "do not look for the accepted rides in the table")
	fs.BoolVar(&o.IdempotencyKeys, "idempotency-keys", false, "send each ride with an Idempotency-Key of its own, as a careful client does (the workshop's scenario sends none)")
	fs.StringVar(&o.TableName, "table", "", "ride record table `name` (default: RideTable in the state file)")
	fs.StringVar(&o.Region, "region", "", "AWS region of the table (default: the state file's, else the SDK's)")
	fs.StringVar(&o.Endpoint, "endpoint", "", "DynamoDB endpoint `URL`, such as a local emulator (default: the state file's when the URL is)")
	fs.StringVar(&o.StatePath, "state", localstate.RelPath, "the state `file` wildrydes local writes")
	durationVar(fs, &o.Settle, "settle", load.DefaultSettle, "how long to wait for accepted rides to be stored (a `duration`)")
	durationVar(fs, &o.Thresholds.MaxP95, "max-p95", 0, "fail when p95 latency is over this `duration`")
	durationVar(fs, &o.Thresholds.MaxP99, "max-p99", 0, "fail when p99 latency is over this `duration`")
	fs.Var(&o.maxErrors, "max-errors", "fail when more than this `number` of requests are not answered 201")
	fs.Float64Var(&o.Thresholds.MinSuccessRatio, "min-success-ratio", 0, "fail when a smaller share of requests than this `ratio` (0..1) is answered 201")
	fs.BoolVar(&o.JSON, "json", false, "write the full result as JSON to stdout instead of the report")
	return o, fs
}

func (o *loadOptions) complete(args []string) error {
	if err := noArguments(args, " (flags only; see --help)"); err != nil {
		return err
	}
	set := map[string]bool{}
	o.flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.high {
		if !set["rate"] {
			o.Rate = load.HighRate
		}
		if !set["duration"] {
			o.Duration = load.HighDuration
		}
	}
	o.Thresholds.MaxErrors = o.maxErrors.n
	switch {
	case o.Timeout <= 0:
		return fmt.Errorf("--timeout must be positive, not %v", o.Timeout)
	case o.Workers == 0:
		return errors.New("--workers must be at least 1")
	case set["settle"] && o.Settle <= 0:
		return fmt.Errorf("--settle must be positive, not %v (use --no-check to skip the check)", o.Settle)
	}
	if err := o.fromState(); err != nil {
		return err
	}
	return o.Validate()
}

// fromState fills what the flags left out from the local runner's state file. Its DynamoDB
// endpoint and region go with its API: a URL given by flag is some other deployment.
func (o *loadOptions) fromState() error {
	needTable := !o.SkipCheck && o.TableName == ""
	if o.URL != "" && !needTable && o.Endpoint != "" {
		return checkURL(o.URL)
	}
	st, err := localstate.Read(o.StatePath)
	switch {
	case errors.Is(err, localstate.ErrNotRunning):
		if o.URL == "" {
			return fmt.Errorf("no URL to load: start `wildrydes local` (it writes %s) or pass --url", o.StatePath)
		}
		if needTable {
			return errors.New("no ride record table to check: pass --table, start `wildrydes local`, or pass --no-check")
		}
		return checkURL(o.URL)
	case err != nil:
		return err
	}
	local := o.URL == "" || strings.TrimRight(o.URL, "/") == strings.TrimRight(st.ApiUrl, "/")
	if o.URL == "" {
		if st.ApiUrl == "" {
			return fmt.Errorf("%s has no ApiUrl: restart `wildrydes local` or pass --url", o.StatePath)
		}
		o.URL = st.ApiUrl
	}
	if needTable {
		if o.TableName = st.RideTable; o.TableName == "" {
			return fmt.Errorf("%s names no ride table: pass --table or --no-check", o.StatePath)
		}
	}
	if local {
		if o.Endpoint == "" {
			o.Endpoint = st.Endpoint
		}
		if o.Region == "" {
			o.Region = st.Region
		}
	}
	return checkURL(o.URL)
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q is not an http(s) URL", raw)
	}
	return nil
}

// run replays the load and returns 0 when every accepted ride is stored as accepted and no
// threshold is crossed, else 1.
func (o *loadOptions) run(ctx context.Context) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	// The first interrupt stops sending and reports; requests in flight may take up to --timeout.
	// A second one ends the process.
	go func() { <-ctx.Done(); stop() }()
	o.Progress = o.Err
	res, err := load.Run(ctx, o.Options)
	if o.JSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(o.Err, "wildrydes load: writing the result: %v\n", err)
			return 1
		}
	} else {
		res.WriteReport(o.Out)
	}
	if err != nil {
		fmt.Fprintf(o.Err, "wildrydes load: %v\n", err)
		return 1
	}
	if !res.OK() {
		if o.JSON { // the text report already lists them
			for _, f := range res.Failures {
				fmt.Fprintf(o.Err, "wildrydes load: %s\n", f)
			}
		}
		return 1
	}
	return 0
}

// durationValue is a flag that takes Go durations ("1m30s") or, like Artillery, plain seconds.
type durationValue struct{ d *time.Duration }

func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(durationValue{d: p}, name, usage)
}

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		*v.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 90s, 1m30s or 90 (seconds)")
	}
	*v.d = d
	return nil
}

// limit is an optional count: unset is no limit.
type limit struct{ n *int }

func (l *limit) String() string {
	if l == nil || l.n == nil {
		return ""
	}
	return strconv.Itoa(*l.n)
}

func (l *limit) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("want a count, 0 or more")
	}
	l.n = &n
	return nil
}
