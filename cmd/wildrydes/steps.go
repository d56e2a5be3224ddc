package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/stepdiff"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// stepsOptions are what `wildrydes steps` reads: which refactor steps' offline cdk diffs to
// print, or --matrix: every pair of stack states and what CloudFormation refuses.
type stepsOptions struct {
	streams
	Stage string
	// From and To are the steps to diff, each against the step before it.
	From, To int
	step     int
	// Fail exits 1 on a problem: a step that changes a stack it does not name, or replaces or
	// removes a table, topic or queue.
	Fail   bool
	Matrix bool
}

func newStepsOptions(s streams) (options, *flag.FlagSet) {
	o := &stepsOptions{streams: s}
	fs := flag.NewFlagSet("steps", flag.ContinueOnError)
	fs.StringVar(&o.Stage, "stage", design.DefaultStage, "stage whose stacks to diff")
	fs.IntVar(&o.From, "from", 1, "first step to diff (against the step before it)")
	fs.IntVar(&o.To, "to", int(design.FinalStep), "last step to diff")
	fs.IntVar(&o.step, "step", -1, "diff only this step (same as --from N --to N)")
	fs.BoolVar(&o.Fail, "fail", false, "exit 1 when a step changes a stack it does not name, or replaces or removes a table, topic or queue")
	fs.BoolVar(&o.Matrix, "matrix", false, "print every pair of stack states, which deploys CloudFormation refuses, and the fresh-install sequence (exit 1 if a deploy that loses rides is accepted)")
	fs.Usage = func() {
		fmt.Fprintf(s.Err, "usage: wildrydes steps [flags]\n\nPrints the cdk diff that deploying each refactor step makes, offline.\n\n")
		fs.PrintDefaults()
	}
	return o, fs
}

func (o *stepsOptions) complete([]string) error {
	if o.step >= 0 {
		o.From, o.To = o.step, o.step
	}
	return nil
}

func (o *stepsOptions) run(ctx context.Context) int {
	root, err := synth.Root()
	if err != nil {
		fmt.Fprintln(o.Err, "steps:", err)
		return 2
	}
	if o.Matrix {
		return o.printMatrix(ctx, root)
	}
	diffs, err := stepdiff.Run(ctx, stepdiff.Options{Root: root, Stage: o.Stage,
		From: design.Step(o.From), To: design.Step(o.To), Log: o.Err})
	if err != nil {
		fmt.Fprintln(o.Err, "steps:", err)
		return 2
	}
	var problems []string
	for _, d := range diffs {
		if d.Expected {
			fmt.Fprintf(o.Out, "\n=== step %d: %s\n    before deploying: cdk diff -c stage=%s -c step=%d %s\n    deploy:           cdk deploy -c stage=%s -c step=%d %s\n\n",
				d.Step, d.Step.Summary(), o.Stage, d.Step, d.Stack, o.Stage, d.Step, d.Stack)
			fmt.Fprintln(o.Out, strings.TrimSpace(d.Output))
		} else if d.Changed {
			fmt.Fprintf(o.Out, "\n=== step %d also changes %s, which it does not deploy:\n%s\n", d.Step, d.Stack, strings.TrimSpace(d.Output))
		}
		problems = append(problems, d.Problems()...)
	}
	if len(problems) > 0 {
		fmt.Fprintln(o.Out, "\nProblems:")
		for _, p := range problems {
			fmt.Fprintln(o.Out, "  -", p)
		}
		if o.Fail {
			return 1
		}
	}
	return 0
}

// printMatrix is --matrix: every pair of stack states, every deploy into an unsafe one and what
// refuses it, and the fresh-install sequence. It fails when CloudFormation would accept a deploy
// that loses rides.
func (o *stepsOptions) printMatrix(ctx context.Context, root string) int {
	a, err := stepdiff.Analysis(ctx, root, o.Stage, o.Err)
	if err != nil {
		fmt.Fprintln(o.Err, "steps:", err)
		return 2
	}
	m, err := a.Matrix(ctx)
	if err != nil {
		fmt.Fprintln(o.Err, "steps:", err)
		return 2
	}
	fresh, err := a.FreshInstall(ctx)
	if err != nil {
		fmt.Fprintln(o.Err, "steps:", err)
	}
	m.Write(o.Out, o.Stage, fresh)
	if all, _ := m.UnsafeAccepted(); len(all) > 0 || err != nil {
		return 1
	}
	return 0
}
