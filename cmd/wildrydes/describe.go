package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/cfn"
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
	asm, err := cfn.LoadAssembly(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "describe:", err)
		return 1
	}
	var names []string
	for name := range asm.Stacks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		st := asm.Stacks[name]
		t := st.Template
		fmt.Fprintf(stdout, "stack %s (%d resources) — %s\n", name, len(t.Resources), st.TemplateFile)
		for _, r := range t.ResourcesOfType("AWS::Lambda::Function") {
			var vars []string
			if env, ok := r.Properties["Environment"].(map[string]any); ok {
				for k := range asMapAny(env["Variables"]) {
					vars = append(vars, k)
				}
			}
			sort.Strings(vars)
			fmt.Fprintf(stdout, "  function %-20s %v MB, %vs, %v, env %s\n", r.LogicalID, r.Properties["MemorySize"],
				r.Properties["Timeout"], r.Properties["Architectures"], strings.Join(vars, ","))
		}
		for _, r := range t.ResourcesOfType("AWS::ApiGatewayV2::Route") {
			fmt.Fprintf(stdout, "  route    %s\n", r.Properties["RouteKey"])
		}
		for _, r := range t.ResourcesOfType("AWS::SNS::Topic") {
			fmt.Fprintf(stdout, "  topic    %s\n", r.LogicalID)
		}
		for _, r := range t.ResourcesOfType("AWS::SNS::Subscription") {
			fmt.Fprintf(stdout, "  subscription %s (%s)\n", r.LogicalID, r.Properties["Protocol"])
		}
		for _, r := range t.ResourcesOfType("AWS::DynamoDB::Table") {
			billing := r.Properties["BillingMode"]
			if billing == nil {
				billing = fmt.Sprintf("PROVISIONED %v", r.Properties["ProvisionedThroughput"])
			}
			fmt.Fprintf(stdout, "  table    %s (%v)\n", r.LogicalID, billing)
		}
		for _, r := range t.ResourcesOfType("AWS::SQS::Queue") {
			fmt.Fprintf(stdout, "  queue    %s\n", r.LogicalID)
		}
		for _, r := range t.ResourcesOfType("AWS::SSM::Parameter") {
			fmt.Fprintf(stdout, "  ssm      %s\n", r.Properties["Name"])
		}
	}
	return 0
}

func asMapAny(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
