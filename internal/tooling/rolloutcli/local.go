package rolloutcli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

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
		admin.Authorize(req, st.AdminToken)
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
