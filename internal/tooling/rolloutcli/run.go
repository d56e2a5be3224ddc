// Package rolloutcli carries out `wildrydes rollout`: it reads where each stack is (on AWS or on
// the local system), plans the moves to a step (internal/tooling/rollout: one stack per move, each
// accepted by CloudFormation and safe), and runs the pinned CDK CLI for each move, checking after
// each that the stack reports its new step.
package rolloutcli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
)

// Options for Run.
type Options struct {
	// Root is the repository, where cdk runs.
	Root  string
	Stage string
	To    design.Step
	// DryRun prints the plan only; Yes deploys without asking.
	DryRun, Yes bool
	// CDK is the CLI to run; Deploy, if set, is used instead (the local system).
	CDK      string
	Deploy   func(ctx context.Context, d rollout.Deploy) error
	Stacks   Stacks
	Analysis *rollout.Analysis
	// Diff, if set, gives each move's offline cdk diff for the plan.
	Diff   func(ctx context.Context, d rollout.Deploy) (string, error)
	Stdin  io.Reader
	Stdout io.Writer
	// Sleep waits before a move the guard lets through only later (rollout.Wait); nil: the wall
	// clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// sleep waits d of wall time.
func (o Options) sleep(ctx context.Context, d time.Duration) error {
	if o.Sleep != nil {
		return o.Sleep(ctx, d)
	}
	return clock.Real().Sleep(ctx, d)
}

// where reads both stacks.
func where(ctx context.Context, s Stacks, stage string) (rollout.Pair, error) {
	var p rollout.Pair
	for _, kind := range rollout.Kinds {
		st, err := s.State(ctx, design.StackName(kind, stage))
		if err != nil {
			return p, err
		}
		p = p.With(kind, rollout.Normal(kind, st))
	}
	return p, nil
}

// Run plans and carries out the rollout; it stops at the first move that fails or finds the
// system somewhere the plan did not expect, saying where the system is and what to run next.
func Run(ctx context.Context, o Options) error {
	out := o.Stdout
	at, err := where(ctx, o.Stacks, o.Stage)
	if err != nil {
		return err
	}
	plan, err := o.Analysis.Plan(ctx, at, o.To)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "The system is at: %s.\n", at)
	if len(plan) == 0 {
		fmt.Fprintf(out, "Both stacks are at step %d already: nothing to deploy.\n", o.To)
		return nil
	}
	waits, err := o.Analysis.Waits(plan)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Plan to step %d, %d moves:\n", o.To, len(plan))
	for i, d := range plan {
		what := d.Step.Summary()
		if from := d.From.Of(d.Kind); from != rollout.Absent && design.Step(from) > d.Step {
			what = fmt.Sprintf("undoes step %d: %s", from, design.Step(from).Summary())
		}
		fmt.Fprintf(out, "  %d. %s\n     %s: %s -> step %d (%s)\n", i+1, d.Command(o.Stage), d.Kind, d.From.Of(d.Kind), d.Step, what)
		for _, w := range waits {
			if w.Move == i {
				fmt.Fprintf(out, "     allowed %s after move %d: %s must have been %s that long, for what was sent before to drain\n",
					w.Condition.HeldFor, w.After+1, w.Condition.Parameter, w.Condition.Allowed())
			}
		}
		if o.Diff != nil {
			diff, err := o.Diff(ctx, d)
			if err != nil {
				return fmt.Errorf("the offline diff of move %d: %w", i+1, err)
			}
			fmt.Fprintf(out, "     %s\n", strings.ReplaceAll(strings.TrimSpace(diff), "\n", "\n     "))
		}
	}
	if o.DryRun {
		return nil
	}
	in := bufio.NewReader(o.Stdin)
	completed := make([]time.Time, len(plan))
	for i, d := range plan {
		name := design.StackName(d.Kind, o.Stage)
		for _, w := range waits {
			if w.Move != i {
				continue
			}
			if left := w.Condition.HeldFor - time.Since(completed[w.After]); left > 0 {
				fmt.Fprintf(out, "\nWaiting %s before move %d: %s must have been %s for %s since move %d (%s).\n",
					left.Round(time.Second), i+1, w.Condition.Parameter, w.Condition.Allowed(), w.Condition.HeldFor, w.After+1, w.Condition.Reason)
				if err := o.sleep(ctx, left); err != nil {
					return fmt.Errorf("stopped waiting before move %d: the system is at %s; to go on: %s", i+1, d.From, d.Command(o.Stage))
				}
			}
		}
		now, err := where(ctx, o.Stacks, o.Stage)
		if err != nil {
			return err
		}
		if now != d.From {
			return fmt.Errorf("move %d: the system is at %s, the plan expected %s (someone deployed by hand?): nothing more was deployed; run `wildrydes rollout --to %d --stage %s` again to plan from here",
				i+1, now, d.From, o.To, o.Stage)
		}
		if !o.Yes {
			fmt.Fprintf(out, "\nDeploy %d/%d: %s ? [y/N] ", i+1, len(plan), d.Command(o.Stage))
			answer, _ := in.ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
				return fmt.Errorf("stopped before move %d: the system is at %s; to go on: %s", i+1, now, d.Command(o.Stage))
			}
		}
		var runErr error
		if o.Deploy != nil {
			fmt.Fprintf(out, "\n=== %d/%d: %s (on the local system)\n", i+1, len(plan), d.Command(o.Stage))
			runErr = o.Deploy(ctx, d)
		} else {
			args := []string{"deploy", "-c", "stage=" + o.Stage, "-c", fmt.Sprintf("step=%d", d.Step), name}
			if o.Yes {
				args = append(args, "--require-approval", "never")
			}
			fmt.Fprintf(out, "\n=== %d/%d: %s %s\n", i+1, len(plan), o.CDK, strings.Join(args, " "))
			cmd := exec.CommandContext(ctx, o.CDK, args...)
			cmd.Dir, cmd.Stdout, cmd.Stderr, cmd.Stdin = o.Root, out, out, os.Stdin
			runErr = cmd.Run()
		}
		after, err := where(ctx, o.Stacks, o.Stage)
		if err != nil {
			return fmt.Errorf("move %d: %v; reading where the stacks are: %w", i+1, runErr, err)
		}
		if runErr != nil {
			return fmt.Errorf("move %d failed (%v): CloudFormation left the system at %s; fix the cause (cdk's output above), then run %s, or `wildrydes rollout --to %d --stage %s`",
				i+1, runErr, after, d.Command(o.Stage), o.To, o.Stage)
		}
		if after != d.To() {
			return fmt.Errorf("move %d: cdk succeeded but the system is at %s, not %s (someone deployed by hand?): nothing more was deployed; check %s's %s output, then run `wildrydes rollout --to %d --stage %s` again to plan from there",
				i+1, after, d.To(), name, design.StepOutput, o.To, o.Stage)
		}
		fmt.Fprintf(out, "%s reports step %d.\n", name, d.Step)
		completed[i] = time.Now()
	}
	fmt.Fprintf(out, "\nDone: %s.\n", plan[len(plan)-1].To())
	return nil
}
