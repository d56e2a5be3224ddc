// Command wildrydes is the project's tool: run the system locally, diff the refactor steps,
// re-drive the dead-letter queue, estimate the cost and replay the load test. Every command is one
// file here: its options, the flags bound into them, and the run that does the work through the
// packages under internal/tooling.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func commands() []command {
	return []command{
		{name: "describe", summary: "print what cdk synth built: stacks, functions, routes, topics, tables", new: newDescribeOptions},
		{name: "local", summary: "run both stacks on this machine (moto, the real function binaries) until Ctrl-C", new: newLocalOptions},
		{name: "console", summary: "the rider's page against a deployed API (--api-url); `local` serves the whole console", new: newConsoleOptions},
		{name: "alarms", summary: "the local system's CloudWatch alarms: each one's state, every change and its notification, the emails sent (--json, --mail)", new: newAlarmsOptions},
		{name: "fault", summary: "make the local system's ride table unavailable for a while (--for 30s)", new: newFaultOptions},
		{name: "dlq", summary: "list or re-drive the dead-letter queue (local system, or AWS with --queue-url --table)", subcommands: dlqCommands(),
			synopsis: "list|redrive [--queue-url URL --table NAME] [--json]"},
		{name: "cost", summary: "monthly cost of what is about to be deployed (--step N, --compare: the refactor's saving)", new: newCostOptions, helpOK: true},
		{name: "load", summary: "replay the Artillery load test against the API and check no ride is lost", new: newLoadOptions, helpOK: true},
		{name: "bench", summary: "the same load against step 0 and the final step on fresh local systems; compares latency", new: newBenchOptions, helpOK: true},
		{name: "steps", summary: "print the offline cdk diff of each refactor step (--fail for CI; --matrix: what CloudFormation refuses)", new: newStepsOptions},
		{name: "rollout", summary: "move both stacks to a step on AWS, one safe deploy at a time (--to N, --dry-run, --yes, --local)", new: newRolloutOptions},
		{name: "local-deploy", summary: "deploy one stack at one step onto the running local system (refused as CloudFormation would)", new: newLocalDeployOptions},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: wildrydes <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nwildrydes <command> -h shows a command's flags.")
}

// execute runs the command args name and returns the exit status.
func execute(ctx context.Context, args []string, s streams) int {
	if len(args) < 1 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.Err)
		if len(args) < 1 {
			return 2
		}
		return 0
	}
	if c, ok := lookup(commands(), args[0]); ok {
		return c.execute(ctx, args[1:], s)
	}
	fmt.Fprintf(s.Err, "wildrydes: unknown command %q\n\n", args[0])
	usage(s.Err)
	return 2
}

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
