package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// describeOptions are what `wildrydes describe` reads: the summary a user sees after `make run`
// synthesizes, and a quick look at any -c step, read from the cloud assembly.
type describeOptions struct {
	streams
	// Dir is the cloud assembly cdk synth wrote.
	Dir string
}

func newDescribeOptions(s streams) (options, *flag.FlagSet) {
	o := &describeOptions{streams: s}
	fs := flag.NewFlagSet("describe", flag.ContinueOnError)
	fs.StringVar(&o.Dir, "dir", "cdk.out", "cloud assembly that cdk synth wrote")
	return o, fs
}

func (o *describeOptions) complete([]string) error { return nil }

func (o *describeOptions) run(context.Context) int {
	sys, err := model.Load(o.Dir)
	if err != nil {
		fmt.Fprintln(o.Err, "describe:", err)
		return 1
	}
	w := o.Out
	for _, st := range sys.Stacks {
		fmt.Fprintf(w, "stack %s (%d resources) — %s\n", st.Name, len(st.Resources), st.Source.TemplateFile)
		for _, f := range st.Functions {
			vars := slices.Sorted(maps.Keys(f.Environment))
			fmt.Fprintf(w, "  function %-20s %d MB, %vs, [%s], env %s\n", f.LogicalID, f.MemoryMB,
				f.Timeout.Seconds(), f.Architecture, strings.Join(vars, ","))
		}
		for _, r := range st.Routes {
			fmt.Fprintf(w, "  route    %s\n", r.Key)
		}
		for _, tp := range st.Topics {
			fmt.Fprintf(w, "  topic    %s\n", tp.LogicalID)
		}
		for _, sub := range st.Subscriptions {
			fmt.Fprintf(w, "  subscription %s (%s)\n", sub.LogicalID, sub.Protocol)
		}
		for _, tb := range st.Tables {
			billing := tb.BillingMode
			if billing == "PROVISIONED" {
				billing = fmt.Sprintf("PROVISIONED map[ReadCapacityUnits:%v WriteCapacityUnits:%v]", tb.ReadCapacity, tb.WriteCapacity)
			}
			fmt.Fprintf(w, "  table    %s (%v)\n", tb.LogicalID, billing)
		}
		for _, q := range st.Queues {
			fmt.Fprintf(w, "  queue    %s\n", q.LogicalID)
		}
		for _, p := range st.Parameters {
			fmt.Fprintf(w, "  ssm      %s\n", p.Name)
		}
	}
	return 0
}
