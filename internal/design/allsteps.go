package design

import (
	"fmt"
	"path/filepath"
)

// AllStepsContext is the app's context key that, set, synthesizes every step in one run of the
// app: each step is an app of its own, as `-c step=N` makes it, in StepAssembly(dir, N).
const AllStepsContext = "allSteps"

// StepAssembly is where, in the cloud assembly dir synthesized with AllStepsContext, the cloud
// assembly of step s is: the final step is dir itself (what `cdk synth` reads and checks), the
// others are folders of it.
func StepAssembly(dir string, s Step) string {
	if s == FinalStep {
		return dir
	}
	return filepath.Join(dir, "steps", fmt.Sprintf("step-%d", s))
}
