package main

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rolloutcli"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/stepdiff"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// rolloutOptions are what `wildrydes rollout` reads: the step to move both stacks to, on AWS or
// on the running local system.
type rolloutOptions struct {
	streams
	To    int
	Stage string
	// DryRun prints the plan only; Yes deploys without asking.
	DryRun, Yes bool
	// Local moves the running local system instead of AWS.
	Local bool
	// Endpoint is CloudFormation's, for DescribeStacks (default: the SDK's).
	Endpoint string
	// ContinueRollback, if set, is the stack (wild-rydes or wild-rydes-ride-record) whose failed
	// rollback to continue, skipping the resources of Skip, instead of rolling out.
	ContinueRollback design.StackKind
	continueRollback string
	Skip             []string
	skip             string
}

func newRolloutOptions(s streams) (options, *flag.FlagSet) {
	o := &rolloutOptions{streams: s}
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	fs.IntVar(&o.To, "to", int(design.FinalStep), "the step to move both stacks to (lower than where they are: a rollback)")
	fs.StringVar(&o.Stage, "stage", design.DefaultStage, "stage whose stacks to move")
	fs.BoolVar(&o.DryRun, "dry-run", false, "print the plan only")
	fs.BoolVar(&o.Yes, "yes", false, "deploy each move without asking")
	fs.BoolVar(&o.Local, "local", false, "move the running local system (wildrydes local) instead of AWS")
	fs.StringVar(&o.Endpoint, "endpoint", "", "CloudFormation endpoint (default: AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_ENDPOINT_URL, or the region's)")
	fs.StringVar(&o.continueRollback, "continue-update-rollback", "", "wild-rydes or wild-rydes-ride-record: continue that stack's failed rollback (UPDATE_ROLLBACK_FAILED) instead of rolling out")
	fs.StringVar(&o.skip, "skip", "", "with --continue-update-rollback: logical IDs of the resources the rollback could not put back, to skip (comma-separated)")
	fs.Usage = func() {
		fmt.Fprintf(s.Err, "usage: wildrydes rollout [--to N] [--stage S] [--dry-run] [--yes] [--local]\n"+
			"       wildrydes rollout --continue-update-rollback STACK [--skip ID,...] [--stage S] [--local]\n\n"+
			"Reads where each stack is (DescribeStacks, the Step output), plans one stack per move in a safe\n"+
			"order, and runs `cdk deploy -c stage=S -c step=K STACK` for each (the cdk on PATH, else the pinned one).\n"+
			"--continue-update-rollback gets a stack out of UPDATE_ROLLBACK_FAILED (CloudFormation's ContinueUpdateRollback).\n\n")
		fs.PrintDefaults()
	}
	return o, fs
}

func (o *rolloutOptions) complete([]string) error {
	if o.skip != "" {
		if o.continueRollback == "" {
			return fmt.Errorf("--skip goes with --continue-update-rollback")
		}
		o.Skip = strings.Split(o.skip, ",")
	}
	if o.continueRollback != "" {
		o.ContinueRollback = design.StackKind(o.continueRollback)
		if o.ContinueRollback != design.WildRydes && o.ContinueRollback != design.RideRecord {
			return fmt.Errorf("--continue-update-rollback is %s or %s", design.WildRydes, design.RideRecord)
		}
	}
	return design.Step(o.To).Validate()
}

func (o *rolloutOptions) run(ctx context.Context) int {
	root, err := synth.Root()
	if err != nil {
		fmt.Fprintln(o.Err, "rollout:", err)
		return 2
	}
	var local localstate.State
	if o.Local {
		if local, err = localstate.Read(localstate.Path(root)); err != nil {
			fmt.Fprintln(o.Err, "rollout:", err)
			return 2
		}
	}
	if o.ContinueRollback != "" {
		return o.continueUpdateRollback(ctx, local)
	}
	cdk, err := exec.LookPath("cdk")
	if err != nil {
		cdk = synth.CDK(root)
	}
	steps, err := synth.Synthesize(ctx, synth.Options{Root: root, Stage: o.Stage, Log: o.Err})
	var asms map[design.Step]*cfn.Assembly
	if err == nil {
		asms, err = steps.All()
	}
	if err != nil {
		fmt.Fprintln(o.Err, "rollout:", err)
		return 2
	}
	var stacks rolloutcli.Stacks
	var deploy func(context.Context, rollout.Deploy) error
	if o.Local {
		stacks, deploy = rolloutcli.LocalCloudFormation(local), rolloutcli.LocalDeploy(localstate.Path(root), steps)
	} else if stacks, err = rolloutcli.NewCloudFormation(ctx, o.Endpoint); err != nil {
		fmt.Fprintln(o.Err, "rollout:", err)
		return 2
	}
	diff := func(ctx context.Context, d rollout.Deploy) (string, error) {
		return stepdiff.MoveDiff(ctx, root, steps, d.Kind, d.From.Of(d.Kind), d.Step)
	}
	err = rolloutcli.Run(ctx, rolloutcli.Options{Root: root, Stage: o.Stage, To: design.Step(o.To), DryRun: o.DryRun, Yes: o.Yes,
		CDK: cdk, Deploy: deploy, Stacks: stacks, Analysis: rollout.New(rollout.FromAssemblies(asms, o.Stage)), Diff: diff,
		Stdin: o.In, Stdout: o.Out})
	if err != nil {
		fmt.Fprintln(o.Err, "rollout:", err)
		return 1
	}
	return 0
}

// continueUpdateRollback is --continue-update-rollback: on AWS, or on the local system.
func (o *rolloutOptions) continueUpdateRollback(ctx context.Context, local localstate.State) int {
	var cf *rolloutcli.CloudFormation
	if o.Local {
		cf = rolloutcli.LocalCloudFormation(local)
	} else {
		var err error
		if cf, err = rolloutcli.NewCloudFormation(ctx, o.Endpoint); err != nil {
			fmt.Fprintln(o.Err, "rollout:", err)
			return 2
		}
	}
	if err := cf.ContinueUpdateRollback(ctx, design.StackName(o.ContinueRollback, o.Stage), o.Skip, 2*time.Second, o.Out); err != nil {
		fmt.Fprintln(o.Err, "rollout:", err)
		return 1
	}
	return 0
}
