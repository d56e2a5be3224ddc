package rolloutcli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// LocalDeployMain is `wildrydes local-deploy --stack KIND --step K`: one stack at one step onto
// the running local system, which refuses what CloudFormation refuses, so a wrong order can be
// tried safely.
func LocalDeployMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("local-deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("stack", "", "wild-rydes or wild-rydes-ride-record")
	step := fs.Int("step", int(design.FinalStep), "the step whose template to deploy")
	stage := fs.String("stage", design.DefaultStage, "the stage the local system runs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	k := design.StackKind(*kind)
	if k != design.WildRydes && k != design.RideRecord {
		fmt.Fprintf(stderr, "local-deploy: --stack is %s or %s\n", design.WildRydes, design.RideRecord)
		return 2
	}
	if err := design.Step(*step).Validate(); err != nil {
		fmt.Fprintln(stderr, "local-deploy:", err)
		return 2
	}
	ctx := context.Background()
	root, err := synth.Root()
	if err != nil {
		fmt.Fprintln(stderr, "local-deploy:", err)
		return 2
	}
	steps, err := synth.Synthesize(ctx, synth.Options{Root: root, Stage: *stage, Log: stderr})
	if err != nil {
		fmt.Fprintln(stderr, "local-deploy:", err)
		return 1
	}
	d := rollout.Deploy{Kind: k, Step: design.Step(*step)}
	if err := LocalDeploy(localstate.Path(root), steps)(ctx, d); err != nil {
		fmt.Fprintln(stderr, "local-deploy:", err)
		return 1
	}
	fmt.Fprintf(stdout, "deployed %s at step %d on the local system\n", design.StackName(k, *stage), *step)
	return 0
}
