// Command wildrydes is the project's tool: run the system locally, diff the refactor steps,
// re-drive the dead-letter queue, estimate the cost and replay the load test.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rolloutcli"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/stepdiff"
)

type command struct {
	name, summary string
	main          func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"describe", "print what cdk synth built: stacks, functions, routes, topics, tables", describeMain},
		{"local", "run both stacks on this machine (moto, the real function binaries) until Ctrl-C", localMain},
		{"console", "the rider's page against a deployed API (--api-url); `local` serves the whole console", consoleMain},
		{"fault", "make the local system's ride table unavailable for a while (--for 30s)", faultMain},
		{"dlq", "list or re-drive the dead-letter queue (local system, or AWS with --queue-url --table)", dlqMain},
		{"cost", "monthly cost of what is about to be deployed (--step N, --compare: the refactor's saving)", costMain},
		{"load", "replay the Artillery load test against the API and check no ride is lost", load.Main},
		{"bench", "the same load against step 0 and the final step on fresh local systems; compares latency", benchMain},
		{"steps", "print the offline cdk diff of each refactor step (--fail for CI; --matrix: what CloudFormation refuses)", stepdiff.Main},
		{"rollout", "move both stacks to a step on AWS, one safe deploy at a time (--to N, --dry-run, --yes, --local)", rolloutcli.Main},
		{"local-deploy", "deploy one stack at one step onto the running local system (refused as CloudFormation would)", rolloutcli.LocalDeployMain},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: wildrydes <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nwildrydes <command> -h shows a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage(os.Stderr)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	for _, c := range commands() {
		if c.name == os.Args[1] {
			os.Exit(c.main(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	fmt.Fprintf(os.Stderr, "wildrydes: unknown command %q\n\n", os.Args[1])
	usage(os.Stderr)
	os.Exit(2)
}
