package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// describeMain prints what the synthesized templates hold, read from the cloud assembly: the
// summary a user sees after `make run` synthesizes, and a quick look at any -c step.
func describeMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("describe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "cdk.out", "cloud assembly that cdk synth wrote")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	sys, err := model.Load(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "describe:", err)
		return 1
	}
	for _, st := range sys.Stacks {
		t := st.Template()
		fmt.Fprintf(stdout, "stack %s (%d resources) — %s\n", st.Name, len(t.Resources), st.Source.TemplateFile)
		for _, f := range st.Functions {
			vars := slices.Sorted(maps.Keys(f.Environment))
			fmt.Fprintf(stdout, "  function %-20s %d MB, %vs, [%s], env %s\n", f.LogicalID, f.MemoryMB,
				f.Timeout.Seconds(), f.Architecture, strings.Join(vars, ","))
		}
		for _, r := range st.Routes {
			fmt.Fprintf(stdout, "  route    %s\n", r.Key)
		}
		for _, tp := range st.Topics {
			fmt.Fprintf(stdout, "  topic    %s\n", tp.LogicalID)
		}
		for _, sub := range st.Subscriptions {
			fmt.Fprintf(stdout, "  subscription %s (%s)\n", sub.LogicalID, sub.Protocol)
		}
		for _, tb := range st.Tables {
			billing := tb.BillingMode
			if billing == "PROVISIONED" {
				billing = fmt.Sprintf("PROVISIONED map[ReadCapacityUnits:%v WriteCapacityUnits:%v]", tb.ReadCapacity, tb.WriteCapacity)
			}
			fmt.Fprintf(stdout, "  table    %s (%v)\n", tb.LogicalID, billing)
		}
		for _, q := range st.Queues {
			fmt.Fprintf(stdout, "  queue    %s\n", q.LogicalID)
		}
		for _, p := range st.Parameters {
			fmt.Fprintf(stdout, "  ssm      %s\n", p.Name)
		}
	}
	return 0
}
