package load

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultStatePath is where `wildrydes local` says what it started.
const DefaultStatePath = localstate.RelPath

// Exit statuses of the load subcommand.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// Main runs `wildrydes load` and returns its exit status: 0 when every accepted ride is stored
// as accepted and no threshold is crossed, 1 when not, 2 for bad flags.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// The first interrupt stops sending and reports; requests in flight may take up to --timeout.
	// A second one ends the process.
	go func() { <-ctx.Done(); stop() }()
	return run(ctx, args, stdout, stderr, nil)
}

// run is Main with the table given, so that tests need no emulator; nil means DynamoDB.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, table Table) int {
	o, asJSON, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "wildrydes load: %v\n", err)
		return exitUsage
	}
	o.Table = table
	o.Progress = stderr

	res, err := Run(ctx, o)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "wildrydes load: writing the result: %v\n", err)
			return exitFailed
		}
	} else {
		report(stdout, res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "wildrydes load: %v\n", err)
		return exitFailed
	}
	if !res.OK() {
		if asJSON { // the text report already lists them
			for _, f := range res.Failures {
				fmt.Fprintf(stderr, "wildrydes load: %s\n", f)
			}
		}
		return exitFailed
	}
	return exitOK
}

func parseFlags(args []string, stderr io.Writer) (o Options, asJSON bool, err error) {
	flags := flag.NewFlagSet("wildrydes load", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintf(stderr, `usage: wildrydes load [flags]

Replays the workshop's Artillery test, POST /ride with
  %s
at a constant arrival rate, prints Artillery's summary, then checks that every ride answered 201
is in the ride record table. Without --url it loads the system `+"`wildrydes local`"+` started.

Exit status: 0 all rides stored, 1 a ride lost or mismatched or a threshold crossed, 2 bad flags.

Flags:
`, RideRequest)
		flags.PrintDefaults()
	}
	var (
		target    = flags.String("url", "", "API base `URL`; rides go to URL/ride (default: ApiUrl in the state file)")
		high      = flags.Bool("high", false, "the original high-load run, tests/load/artillery-high-load-config.yml: 180s at 10/s")
		rate      = flags.Float64("rate", DefaultRate, "`arrivals` per second (10 with --high)")
		duration  = durationFlag(flags, "duration", DefaultDuration, "how long arrivals go on, as a `duration` such as 90s or 90 (180s with --high)")
		timeout   = durationFlag(flags, "timeout", DefaultTimeout, "how long to wait for each response (a `duration`)")
		workers   = flags.Uint64("workers", DefaultWorkers, "most requests in flight")
		noCheck   = flags.Bool("no-check", false, "do not look for the accepted rides in the table")
		tableName = flags.String("table", "", "ride record table `name` (default: RideTable in the state file)")
		region    = flags.String("region", "", "AWS region of the table (default: the state file's, else the SDK's)")
		endpoint  = flags.String("endpoint", "", "DynamoDB endpoint `URL`, such as a local emulator (default: the state file's when the URL is)")
		statePath = flags.String("state", DefaultStatePath, "the state `file` wildrydes local writes")
		settle    = durationFlag(flags, "settle", DefaultSettle, "how long to wait for accepted rides to be stored (a `duration`)")
		maxP95    = durationFlag(flags, "max-p95", 0, "fail when p95 latency is over this `duration`")
		maxP99    = durationFlag(flags, "max-p99", 0, "fail when p99 latency is over this `duration`")
		maxErrors limit
		minRatio  = flags.Float64("min-success-ratio", 0, "fail when a smaller share of requests than this `ratio` (0..1) is answered 201")
	)
	flags.Var(&maxErrors, "max-errors", "fail when more than this `number` of requests are not answered 201")
	flags.BoolVar(&asJSON, "json", false, "write the full result as JSON to stdout instead of the report")
	if err := flags.Parse(args); err != nil {
		return o, false, err
	}
	if flags.NArg() > 0 {
		return o, false, fmt.Errorf("unexpected argument %q (flags only; see --help)", flags.Arg(0))
	}
	set := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { set[f.Name] = true })

	o = Options{
		URL: *target, Rate: *rate, Duration: *duration.d, Timeout: *timeout.d, Workers: *workers,
		SkipCheck: *noCheck, TableName: *tableName, Region: *region, Endpoint: *endpoint,
		Settle:     *settle.d,
		Thresholds: Thresholds{MaxP95: *maxP95.d, MaxP99: *maxP99.d, MinSuccessRatio: *minRatio},
	}
	if *high {
		if !set["rate"] {
			o.Rate = HighRate
		}
		if !set["duration"] {
			o.Duration = HighDuration
		}
	}
	o.Thresholds.MaxErrors = maxErrors.n
	switch {
	case o.Timeout <= 0:
		return o, false, fmt.Errorf("--timeout must be positive, not %v", o.Timeout)
	case o.Workers == 0:
		return o, false, errors.New("--workers must be at least 1")
	case set["settle"] && o.Settle <= 0:
		return o, false, fmt.Errorf("--settle must be positive, not %v (use --no-check to skip the check)", o.Settle)
	}
	if err := resolveLocal(&o, *statePath); err != nil {
		return o, false, err
	}
	if err := o.validate(); err != nil {
		return o, false, err
	}
	return o, asJSON, nil
}

// resolveLocal fills what the flags left out from the local runner's state file. Its DynamoDB
// endpoint and region go with its API: a URL given by flag is some other deployment.
func resolveLocal(o *Options, path string) error {
	needTable := !o.SkipCheck && o.TableName == ""
	if o.URL != "" && !needTable && o.Endpoint != "" {
		return checkURL(o.URL)
	}
	st, err := localstate.Read(path)
	switch {
	case errors.Is(err, localstate.ErrNotRunning):
		if o.URL == "" {
			return fmt.Errorf("no URL to load: start `wildrydes local` (it writes %s) or pass --url", path)
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
			return fmt.Errorf("%s has no ApiUrl: restart `wildrydes local` or pass --url", path)
		}
		o.URL = st.ApiUrl
	}
	if needTable {
		if o.TableName = st.RideTable; o.TableName == "" {
			return fmt.Errorf("%s names no ride table: pass --table or --no-check", path)
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

// durationValue is a flag that takes Go durations ("1m30s") or, like Artillery, plain seconds.
type durationValue struct{ d *time.Duration }

func durationFlag(flags *flag.FlagSet, name string, value time.Duration, usage string) durationValue {
	v := durationValue{d: new(time.Duration)}
	*v.d = value
	flags.Var(v, name, usage)
	return v
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

// report prints Artillery's summary, then the ride check.
func report(w io.Writer, r Result) {
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
		codes := make([]int, 0, len(r.Codes))
		for c := range r.Codes {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			fmt.Fprintf(w, "    %d: %d\n", c, r.Codes[c])
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "  Errors:\n")
		labels := make([]string, 0, len(r.Errors))
		for l := range r.Errors {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		for _, l := range labels {
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
