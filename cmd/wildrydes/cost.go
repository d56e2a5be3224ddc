package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cost"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// costMain is `wildrydes cost`: the cost package's flags, plus --step N (price that refactor
// step) and --compare / --compare-step M (the saving from step M, default 0, to --step), which
// synthesize the steps first so the estimate reads exactly what would be deployed.
func costMain(args []string, stdout, stderr io.Writer) int {
	var rest []string
	stage, step, compareStep := design.DefaultStage, -1, -1
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		takeValue := func() (int, bool) {
			if !hasValue {
				if i+1 >= len(args) {
					return 0, false
				}
				i++
				value = args[i]
			}
			n, err := strconv.Atoi(value)
			return n, err == nil && design.Step(n).Validate() == nil
		}
		var ok bool
		switch {
		case !strings.HasPrefix(args[i], "-"):
			rest = append(rest, args[i])
			continue
		case name == "step":
			step, ok = takeValue()
		case name == "compare-step":
			compareStep, ok = takeValue()
		case name == "compare" && !hasValue:
			compareStep, ok = int(design.StepSynchronous), true
		case name == "stage":
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			stage, ok = value, value != ""
		default:
			rest = append(rest, args[i])
			continue
		}
		if !ok {
			fmt.Fprintf(stderr, "cost: %s needs a step from %d to %d\n", args[i], design.StepSynchronous, design.FinalStep)
			return 2
		}
	}
	if step >= 0 || compareStep >= 0 {
		if step < 0 {
			step = int(design.FinalStep)
		}
		steps, err := synth.Synthesize(context.Background(), synth.Options{Stage: stage, Log: stderr})
		if err != nil {
			fmt.Fprintln(stderr, "cost:", err)
			return 1
		}
		asm, err := steps.Assembly(design.Step(step))
		if err != nil {
			fmt.Fprintln(stderr, "cost:", err)
			return 1
		}
		rest = append(rest, "--dir", asm.Dir)
		if compareStep >= 0 {
			before, err := steps.Assembly(design.Step(compareStep))
			if err != nil {
				fmt.Fprintln(stderr, "cost:", err)
				return 1
			}
			rest = append(rest, "--compare-dir", before.Dir)
		}
	}
	return cost.Main(rest, stdout, stderr)
}
