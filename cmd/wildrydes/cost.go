package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cost"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// costOptions are what `wildrydes cost` reads: the deployment to price (a cloud assembly, or a
// refactor step that is synthesized first, so the estimate reads exactly what would be
// deployed), what to compare it with, and the traffic profile.
type costOptions struct {
	streams
	// Dir is the cloud assembly to price; CompareDir, if set, the "before" of a comparison.
	Dir, CompareDir string
	// Step, if not -1, prices that refactor step of Stage instead of Dir; CompareStep, if not -1,
	// compares it with that step (--compare: step 0).
	Stage             string
	Step, CompareStep int
	compare           bool
	// Profile is the traffic; its DurationsMS come from the --duration flags.
	Profile   cost.Profile
	durations durations
	JSON      bool
	// Examples prints the seed's cost questions answered instead of an estimate.
	Examples bool
}

func newCostOptions(s streams) (options, *flag.FlagSet) {
	o := &costOptions{streams: s, Profile: cost.DefaultProfile(), durations: durations{}}
	def := &o.Profile
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.StringVar(&o.Dir, "dir", "cdk.out", "cloud assembly to price, as `cdk synth` writes it")
	fs.StringVar(&o.CompareDir, "compare-dir", "", "cloud assembly to compare with: the before (e.g. step 0), with --dir the after")
	fs.StringVar(&o.Stage, "stage", design.DefaultStage, "stage whose steps --step and --compare synthesize")
	fs.IntVar(&o.Step, "step", -1, fmt.Sprintf("price this refactor step (%d..%d), synthesized first, instead of --dir", design.StepSynchronous, design.FinalStep))
	fs.IntVar(&o.CompareStep, "compare-step", -1, "compare with this refactor step (the before; --step, default the final state, the after)")
	fs.BoolVar(&o.compare, "compare", false, "the refactor's saving: --compare-step 0")
	fs.Int64Var(&def.RidesPerMonth, "rides", def.RidesPerMonth, "rides per month")
	fs.Float64Var(&def.PeakRidesPerSecond, "peak-rps", def.PeakRidesPerSecond, "busiest rate in rides per second, checked against provisioned capacity")
	fs.Var(o.durations, "duration", "average duration of a function, `NAME=DURATION` (RequestRide=120ms, or plain milliseconds); repeatable")
	fs.IntVar(&def.PayloadBytes, "payload-bytes", def.PayloadBytes, "size of one ride message and table item in bytes")
	fs.IntVar(&def.LogBytesPerInvocation, "log-bytes", def.LogBytesPerInvocation, "CloudWatch Logs bytes written per invocation")
	fs.StringVar(&def.Region, "region", def.Region, "region whose prices to use: us-east-1 or us-east-2")
	fs.BoolVar(&def.FreeTier, "free-tier", false, "subtract the free tier (API Gateway's only in an account's first 12 months)")
	fs.BoolVar(&o.JSON, "json", false, "print JSON instead of tables")
	fs.BoolVar(&o.Examples, "examples", false, "print the seed's Q&A cost examples and exit")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, "usage: cost [--dir cdk.out | --step N] [--compare-dir DIR | --compare | --compare-step M] [--rides N] [--duration NAME=DURATION]... [--region R] [--free-tier] [--json]")
		fmt.Fprintln(s.Err, "       cost --examples [--json]")
		fmt.Fprintln(s.Err, "Prints the monthly AWS cost of the synthesized stacks for a traffic profile.")
		fs.PrintDefaults()
	}
	return o, fs
}

func (o *costOptions) complete(args []string) error {
	if err := noArguments(args, "; every input is a flag (see cost -h)"); err != nil {
		return err
	}
	if o.compare && o.CompareStep < 0 {
		o.CompareStep = int(design.StepSynchronous)
	}
	for name, step := range map[string]int{"--step": o.Step, "--compare-step": o.CompareStep} {
		if step != -1 && design.Step(step).Validate() != nil {
			return fmt.Errorf("%s needs a step from %d to %d", name, design.StepSynchronous, design.FinalStep)
		}
	}
	if o.Stage == "" {
		return errors.New("--stage needs a stage")
	}
	if len(o.durations) > 0 {
		o.Profile.DurationsMS = o.durations
	}
	return nil
}

func (o *costOptions) run(ctx context.Context) int {
	prices, err := cost.DefaultPrices()
	if err != nil {
		fmt.Fprintf(o.Err, "cost: %v\n", err)
		return 1
	}
	if o.Examples {
		return o.printExamples()
	}
	if _, err := prices.Region(o.Profile.Region); err != nil {
		fmt.Fprintf(o.Err, "cost: --region: %v\n", err)
		return 2
	}
	if err := o.Profile.Validate(); err != nil {
		fmt.Fprintf(o.Err, "cost: %v\n", err)
		return 2
	}
	dirs, err := o.dirs(ctx)
	if err != nil {
		fmt.Fprintln(o.Err, "cost:", err)
		return 1
	}
	assemblies := make([]*cfn.Assembly, len(dirs))
	functions := make([][]string, len(dirs)) // each assembly's functions' logical IDs
	for i, d := range dirs {
		if assemblies[i], err = cfn.LoadAssembly(d); err == nil {
			functions[i], err = functionNames(assemblies[i])
		}
		if err != nil {
			fmt.Fprintf(o.Err, "cost: %v\n", err)
			return 1
		}
	}
	// A --duration may name a function that only one of the two deployments has (PutRideRecord
	// at step 0 is PutRideRecordHttp later); it must be in at least one.
	all := slices.Compact(slices.Sorted(slices.Values(slices.Concat(functions...))))
	for name := range o.Profile.DurationsMS {
		if !slices.ContainsFunc(all, func(f string) bool { return strings.EqualFold(f, name) }) {
			fmt.Fprintf(o.Err, "cost: --duration %s: no function of that name in %s (functions: %s)\n", name, strings.Join(dirs, ", "), strings.Join(all, ", "))
			return 2
		}
	}

	reports := make([]cost.Report, len(assemblies))
	for i, a := range assemblies {
		p := o.Profile
		p.DurationsMS = nil
		for k, ms := range o.Profile.DurationsMS {
			if slices.ContainsFunc(functions[i], func(f string) bool { return strings.EqualFold(f, k) }) {
				if p.DurationsMS == nil {
					p.DurationsMS = map[string]float64{}
				}
				p.DurationsMS[k] = ms
			}
		}
		if reports[i], err = cost.Estimate([]*cfn.Assembly{a}, p, prices); err != nil {
			fmt.Fprintf(o.Err, "cost: %s: %v\n", dirs[i], err)
			if errors.Is(err, cost.ErrUnknownRegion) || errors.Is(err, cost.ErrUnknownFunction) {
				return 2
			}
			return 1
		}
	}
	return o.print(reports)
}

// dirs are the cloud assemblies to price: the "before" first when comparing.
func (o *costOptions) dirs(ctx context.Context) ([]string, error) {
	if o.Step < 0 && o.CompareStep < 0 {
		if o.CompareDir != "" {
			return []string{o.CompareDir, o.Dir}, nil
		}
		return []string{o.Dir}, nil
	}
	step := design.FinalStep
	if o.Step >= 0 {
		step = design.Step(o.Step)
	}
	steps, err := synth.Synthesize(ctx, synth.Options{Stage: o.Stage, Log: o.Err})
	if err != nil {
		return nil, err
	}
	after, err := steps.Assembly(step)
	if err != nil {
		return nil, err
	}
	if o.CompareStep < 0 {
		if o.CompareDir != "" {
			return []string{o.CompareDir, after.Dir}, nil
		}
		return []string{after.Dir}, nil
	}
	before, err := steps.Assembly(design.Step(o.CompareStep))
	if err != nil {
		return nil, err
	}
	return []string{before.Dir, after.Dir}, nil
}

// print writes one report, or a comparison of two.
func (o *costOptions) print(reports []cost.Report) int {
	var err error
	switch {
	case len(reports) == 1 && o.JSON:
		err = reports[0].WriteJSON(o.Out)
	case len(reports) == 1:
		err = reports[0].WriteText(o.Out)
	case o.JSON:
		err = writeIndentedJSON(o, struct {
			Before     cost.Report     `json:"before"`
			After      cost.Report     `json:"after"`
			Comparison cost.Comparison `json:"comparison"`
		}{reports[0], reports[1], cost.Compare(reports[0], reports[1])})
	default:
		for _, r := range reports {
			if err = r.WriteText(o.Out); err != nil {
				break
			}
			fmt.Fprintln(o.Out)
		}
		if err == nil {
			err = cost.Compare(reports[0], reports[1]).WriteText(o.Out)
		}
	}
	return o.written(err)
}

func (o *costOptions) printExamples() int {
	examples, err := cost.Examples()
	if err != nil {
		fmt.Fprintf(o.Err, "cost: %v\n", err)
		return 1
	}
	if o.JSON {
		return o.written(writeIndentedJSON(o, examples))
	}
	for i, x := range examples {
		if i > 0 {
			fmt.Fprintln(o.Out)
		}
		if err := x.WriteText(o.Out); err != nil {
			return o.written(err)
		}
	}
	return 0
}

func writeIndentedJSON(o *costOptions, v any) error {
	enc := json.NewEncoder(o.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// written is the exit status after writing the output.
func (o *costOptions) written(err error) int {
	if err != nil {
		fmt.Fprintf(o.Err, "cost: write output: %v\n", err)
		return 1
	}
	return 0
}

// functionNames lists the Lambda functions (logical IDs) of an assembly, sorted.
func functionNames(a *cfn.Assembly) ([]string, error) {
	sys, err := model.FromAssemblies(a)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range sys.Functions() {
		names = append(names, f.LogicalID)
	}
	slices.Sort(names)
	return names, nil
}

// durations collects repeated --duration NAME=DURATION flags, in milliseconds.
type durations map[string]float64

func (d durations) String() string {
	var parts []string
	for name, ms := range d {
		parts = append(parts, name+"="+strconv.FormatFloat(ms, 'f', -1, 64)+"ms")
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (d durations) Set(s string) error {
	name, ms, err := cost.ParseDuration(s)
	if err != nil {
		return err
	}
	d[name] = ms
	return nil
}
