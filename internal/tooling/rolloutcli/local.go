package rolloutcli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// LocalStacks reads where each stack of the running local system is from its state file.
type LocalStacks struct{ StateFile string }

// State is Absent for a stack the local system has not deployed, else its Step output.
func (l LocalStacks) State(_ context.Context, name string) (rollout.State, error) {
	st, err := localstate.Read(l.StateFile)
	if err != nil {
		return 0, err
	}
	s, ok := st.Stacks[name]
	if !ok {
		return rollout.Absent, nil
	}
	n, err := strconv.Atoi(s.Outputs[design.StepOutput])
	if err != nil {
		return 0, fmt.Errorf("local %s: output %s = %q is no step", name, design.StepOutput, s.Outputs[design.StepOutput])
	}
	return rollout.State(n), nil
}

// LocalDeploy applies each move's template to the running local system (POST /_local/deploy),
// which refuses what CloudFormation refuses.
func LocalDeploy(stateFile string, steps *synth.Steps) func(ctx context.Context, d rollout.Deploy) error {
	return func(ctx context.Context, d rollout.Deploy) error {
		st, err := localstate.Read(stateFile)
		if err != nil {
			return err
		}
		stack, err := steps.Stack(d.Kind, d.Step)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(admin.DeployRequest{StackName: stack.Name, TemplateFile: stack.TemplateFile})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.Admin+"/deploy", bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("the local system: %w", err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("the local system refused: %s", bytes.TrimSpace(msg))
		}
		return nil
	}
}
