package cost

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// Main runs the cost subcommand with args (without the subcommand's name) and returns the exit
// status: 0, 1 when the estimate cannot be made (no cloud assembly, a broken template), 2 for a
// usage error (a bad flag, an unknown region, a bad or unknown --duration).
//
// --dir is the deployment to price; with --compare-dir the report of that other assembly is the
// "before" and --dir the "after", e.g. --compare-dir <step 0> --dir <final step>.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := DefaultProfile()
	durations := durationsFlag{}
	dir := fs.String("dir", "cdk.out", "cloud assembly to price, as `cdk synth` writes it")
	compareDir := fs.String("compare-dir", "", "cloud assembly to compare with: the before (e.g. step 0), with --dir the after")
	rides := fs.Int64("rides", def.RidesPerMonth, "rides per month")
	peak := fs.Float64("peak-rps", def.PeakRidesPerSecond, "busiest rate in rides per second, checked against provisioned capacity")
	fs.Var(durations, "duration", "average duration of a function, `NAME=DURATION` (RequestRide=120ms, or plain milliseconds); repeatable")
	payload := fs.Int("payload-bytes", def.PayloadBytes, "size of one ride message and table item in bytes")
	logBytes := fs.Int("log-bytes", def.LogBytesPerInvocation, "CloudWatch Logs bytes written per invocation")
	region := fs.String("region", def.Region, "region whose prices to use: us-east-1 or us-east-2")
	freeTier := fs.Bool("free-tier", false, "subtract the free tier (API Gateway's only in an account's first 12 months)")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	examples := fs.Bool("examples", false, "print the seed's Q&A cost examples and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cost [--dir cdk.out] [--compare-dir DIR] [--rides N] [--duration NAME=DURATION]... [--region R] [--free-tier] [--json]")
		fmt.Fprintln(stderr, "       cost --examples [--json]")
		fmt.Fprintln(stderr, "Prints the monthly AWS cost of the synthesized stacks for a traffic profile.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cost: unexpected argument %q; every input is a flag (see cost -h)\n", fs.Arg(0))
		return 2
	}

	prices, err := DefaultPrices()
	if err != nil {
		fmt.Fprintf(stderr, "cost: %v\n", err)
		return 1
	}
	if *examples {
		return printExamples(stdout, stderr, *asJSON)
	}

	profile := Profile{
		RidesPerMonth: *rides, PeakRidesPerSecond: *peak, DurationsMS: map[string]float64(durations),
		PayloadBytes: *payload, LogBytesPerInvocation: *logBytes, Region: *region, FreeTier: *freeTier,
	}
	if len(durations) == 0 {
		profile.DurationsMS = nil
	}
	if _, err := prices.region(profile.Region); err != nil {
		fmt.Fprintf(stderr, "cost: --region: %v\n", err)
		return 2
	}
	if err := profile.validate(); err != nil {
		fmt.Fprintf(stderr, "cost: %v\n", err)
		return 2
	}

	dirs := []string{*dir}
	if *compareDir != "" {
		dirs = []string{*compareDir, *dir}
	}
	assemblies := make([]*cfn.Assembly, len(dirs))
	for i, d := range dirs {
		if assemblies[i], err = cfn.LoadAssembly(d); err != nil {
			fmt.Fprintf(stderr, "cost: %v\n", err)
			return 1
		}
	}
	// A --duration may name a function that only one of the two deployments has (PutRideRecord
	// at step 0 is PutRideRecordHttp later); it must be in at least one.
	known := map[string]bool{}
	for _, a := range assemblies {
		for _, name := range functionNames(a) {
			known[strings.ToLower(name)] = true
		}
	}
	for name := range durations {
		if !known[strings.ToLower(name)] {
			var all []string
			for _, a := range assemblies {
				all = append(all, functionNames(a)...)
			}
			fmt.Fprintf(stderr, "cost: --duration %s: no function of that name in %s (functions: %s)\n", name, strings.Join(dirs, ", "), strings.Join(slices.Compact(slices.Sorted(slices.Values(all))), ", "))
			return 2
		}
	}

	reports := make([]Report, len(assemblies))
	for i, a := range assemblies {
		p := profile
		p.DurationsMS = nil
		for _, name := range functionNames(a) {
			for k, ms := range durations {
				if strings.EqualFold(k, name) {
					if p.DurationsMS == nil {
						p.DurationsMS = map[string]float64{}
					}
					p.DurationsMS[k] = ms
				}
			}
		}
		if reports[i], err = Estimate([]*cfn.Assembly{a}, p, prices); err != nil {
			fmt.Fprintf(stderr, "cost: %s: %v\n", dirs[i], err)
			if errors.Is(err, ErrUnknownRegion) || errors.Is(err, ErrUnknownFunction) {
				return 2
			}
			return 1
		}
	}

	if len(reports) == 1 {
		if *asJSON {
			err = reports[0].WriteJSON(stdout)
		} else {
			err = reports[0].WriteText(stdout)
		}
		return done(stderr, err)
	}
	c := Compare(reports[0], reports[1])
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(struct {
			Before     Report     `json:"before"`
			After      Report     `json:"after"`
			Comparison Comparison `json:"comparison"`
		}{reports[0], reports[1], c})
		return done(stderr, err)
	}
	for _, r := range reports {
		if err := r.WriteText(stdout); err != nil {
			return done(stderr, err)
		}
		fmt.Fprintln(stdout)
	}
	return done(stderr, c.WriteText(stdout))
}

func printExamples(stdout, stderr io.Writer, asJSON bool) int {
	examples, err := Examples()
	if err != nil {
		fmt.Fprintf(stderr, "cost: %v\n", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return done(stderr, enc.Encode(examples))
	}
	for i, x := range examples {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := x.WriteText(stdout); err != nil {
			return done(stderr, err)
		}
	}
	return 0
}

func done(stderr io.Writer, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "cost: write output: %v\n", err)
		return 1
	}
	return 0
}

// functionNames lists the Lambda functions (logical IDs) of an assembly, sorted.
func functionNames(a *cfn.Assembly) []string {
	var names []string
	for _, s := range a.Stacks {
		for _, r := range s.Template.ResourcesOfType("AWS::Lambda::Function") {
			names = append(names, r.LogicalID)
		}
	}
	sort.Strings(names)
	return names
}

// durationsFlag collects repeated --duration NAME=DURATION flags, in milliseconds.
type durationsFlag map[string]float64

func (d durationsFlag) String() string {
	var parts []string
	for name, ms := range d {
		parts = append(parts, fmt.Sprintf("%s=%sms", name, number(ms)))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (d durationsFlag) Set(s string) error {
	name, ms, err := ParseDuration(s)
	if err != nil {
		return err
	}
	d[name] = ms
	return nil
}
