package main

import (
	"io"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/bench"
)

// benchMain is `wildrydes bench`: the same load against refactor step 0 and the final step.
func benchMain(args []string, stdout, stderr io.Writer) int { return bench.Main(args, stdout, stderr) }
