// Package stepdiff prints, offline, the `cdk diff` of every step of the refactor: what deploying
// step N changes, against the templates of step N-1.
package stepdiff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// StatefulTypes are the resources whose replacement or removal loses data.
var StatefulTypes = []string{"AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::SQS::Queue"}

// Diff is the cdk diff of one stack for one step.
type Diff struct {
	Step  design.Step
	Stack string
	// Expected says the step names this stack as the one it changes.
	Expected bool
	Changed  bool
	Output   string
	// Dangers are lines of the diff that replace or remove a stateful resource.
	Dangers []string
}

// Problems says what is wrong with the diff for CI: a change to the stack the step does not
// name, or a stateful resource replaced or removed.
func (d Diff) Problems() []string {
	var out []string
	if d.Changed && !d.Expected {
		out = append(out, fmt.Sprintf("step %d changes %s, which the step does not name (it deploys %v)", d.Step, d.Stack, d.Step.Changes()))
	}
	for _, l := range d.Dangers {
		out = append(out, fmt.Sprintf("step %d, %s: %s", d.Step, d.Stack, l))
	}
	return out
}

var resourceLine = regexp.MustCompile(`^\[([-+~])\]\s+(AWS::\S+)\s+`)

// Dangers finds the lines of a cdk diff that remove or replace a stateful resource.
func Dangers(diff string) []string {
	var out []string
	for _, line := range strings.Split(diff, "\n") {
		m := resourceLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || !slices.Contains(StatefulTypes, m[2]) {
			continue
		}
		if m[1] == "-" || strings.Contains(line, "replace") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// Options for Run.
type Options struct {
	Root, Stage string
	From, To    design.Step
	Log         io.Writer
}

// Run synthesizes the steps From-1..To and diffs each step's stacks against the step before.
func Run(ctx context.Context, opts Options) ([]Diff, error) {
	if opts.From < 1 || opts.To > design.FinalStep || opts.From > opts.To {
		return nil, fmt.Errorf("steps %d..%d: diffs exist for steps 1..%d (step 0 is the starting point)", opts.From, opts.To, design.FinalStep)
	}
	if opts.Root == "" {
		root, err := synth.Root()
		if err != nil {
			return nil, err
		}
		opts.Root = root
	}
	// One run of the app synthesizes every step, each in a cloud assembly of its own.
	synthesized, err := synth.Synthesize(ctx, synth.Options{Root: opts.Root, Stage: opts.Stage, Log: opts.Log})
	if err != nil {
		return nil, err
	}
	steps := map[design.Step]*cfn.Assembly{}
	for s := opts.From - 1; s <= opts.To; s++ {
		if steps[s], err = synthesized.Assembly(s); err != nil {
			return nil, err
		}
	}
	// The diffs are independent runs of the CLI: run as many at once as there are CPUs.
	diffs := make([]Diff, 0, 2*int(opts.To-opts.From+1)) // no reallocation: the jobs fill them in
	var jobs []func() error
	for s := opts.From; s <= opts.To; s++ {
		for _, kind := range []design.StackKind{design.RideRecord, design.WildRydes} {
			name := design.StackName(kind, opts.Stage)
			before, after := steps[s-1].Stacks[name], steps[s].Stacks[name]
			if before == nil || after == nil {
				return nil, fmt.Errorf("step %d, %s: the synthesized steps lack the stack", s, name)
			}
			expected := slices.Contains(s.Changes(), kind)
			diffs = append(diffs, Diff{Step: s, Stack: name, Expected: expected})
			if !expected && sameFile(before.TemplateFile, after.TemplateFile) {
				continue // the same template: cdk diff could only say so
			}
			d, asm := &diffs[len(diffs)-1], steps[s].Dir
			jobs = append(jobs, func() error {
				out, changed, err := cdkDiff(ctx, opts.Root, asm, before.TemplateFile, after.DisplayName)
				if err != nil {
					return fmt.Errorf("step %d, %s: %w", d.Step, d.Stack, err)
				}
				d.Changed, d.Output, d.Dangers = changed, out, Dangers(out)
				return nil
			})
		}
	}
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for _, job := range jobs {
		g.Go(job)
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return diffs, nil
}

func sameFile(a, b string) bool {
	x, errA := os.ReadFile(a)
	y, errB := os.ReadFile(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// runCDKDiff runs `cdk diff --template` (offline: no AWS account, no change set) and reports
// whether it found differences (cdk's --fail exit 1).
func runCDKDiff(ctx context.Context, root, assembly, before, stack string) (string, bool, error) {
	cmd := exec.CommandContext(ctx, synth.CDK(root), "diff", "--app", assembly, "--template", before,
		"--no-change-set", "--fail", stack)
	cmd.Dir = root
	cmd.Env = synth.Env(root)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), false, nil
	case errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(out.String(), "Number of stacks with differences"):
		return out.String(), true, nil
	default:
		return out.String(), false, fmt.Errorf("cdk diff: %w\n%s", err, out.String())
	}
}
