package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rolloutcli"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// localDeployOptions are what `wildrydes local-deploy --stack KIND --step K` reads: one stack at
// one step onto the running local system, which refuses what CloudFormation refuses, so a wrong
// order can be tried safely.
type localDeployOptions struct {
	streams
	Stack design.StackKind
	stack string
	Step  int
	Stage string
}

func newLocalDeployOptions(s streams) (options, *flag.FlagSet) {
	o := &localDeployOptions{streams: s}
	fs := flag.NewFlagSet("local-deploy", flag.ContinueOnError)
	fs.StringVar(&o.stack, "stack", "", "wild-rydes or wild-rydes-ride-record")
	fs.IntVar(&o.Step, "step", int(design.FinalStep), "the step whose template to deploy")
	fs.StringVar(&o.Stage, "stage", design.DefaultStage, "the stage the local system runs")
	return o, fs
}

func (o *localDeployOptions) complete([]string) error {
	o.Stack = design.StackKind(o.stack)
	if o.Stack != design.WildRydes && o.Stack != design.RideRecord {
		return fmt.Errorf("--stack is %s or %s", design.WildRydes, design.RideRecord)
	}
	return design.Step(o.Step).Validate()
}

func (o *localDeployOptions) run(ctx context.Context) int {
	root, err := synth.Root()
	if err != nil {
		fmt.Fprintln(o.Err, "local-deploy:", err)
		return 2
	}
	steps, err := synth.Synthesize(ctx, synth.Options{Root: root, Stage: o.Stage, Log: o.Err})
	if err != nil {
		fmt.Fprintln(o.Err, "local-deploy:", err)
		return 1
	}
	d := rollout.Deploy{Kind: o.Stack, Step: design.Step(o.Step)}
	if err := rolloutcli.LocalDeploy(localstate.Path(root), steps)(ctx, d); err != nil {
		fmt.Fprintln(o.Err, "local-deploy:", err)
		return 1
	}
	fmt.Fprintf(o.Out, "deployed %s at step %d on the local system\n", design.StackName(o.Stack, o.Stage), o.Step)
	return 0
}
