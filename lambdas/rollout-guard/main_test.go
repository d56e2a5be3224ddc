package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// A configuration that cannot load (here a profile that does not exist) still leaves a function
// that answers: a Delete succeeds, so the stack does not wait an hour for an answer, and a Create
// fails saying why.
func TestAGuardWhoseConfigurationFailsStillAnswersCloudFormation(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "credentials"))
	t.Setenv("AWS_PROFILE", "a-profile-that-does-not-exist")
	h := newHandler(context.Background())
	if h.ConfigErr == nil {
		t.Fatal("the configuration loaded: the test does not exercise a failure")
	}
	for kind, want := range map[cfn.RequestType]cfn.StatusType{cfn.RequestDelete: cfn.StatusSuccess, cfn.RequestCreate: cfn.StatusFailed} {
		var got cfn.Response
		cf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &got)
		}))
		err := h.Handle(context.Background(), cfn.Event{RequestType: kind, RequestID: "r", ResponseURL: cf.URL, LogicalResourceID: "RolloutGuard",
			StackID: "arn:aws:cloudformation:us-east-1:111111111111:stack/wild-rydes-dev/x", PhysicalResourceID: "rollout-guard",
			ResourceProperties: map[string]any{design.GuardConditionsProperty: []any{}}})
		cf.Close()
		if err != nil || got.Status != want {
			t.Errorf("%s: answered %q (%q), invocation error %v; want %s", kind, got.Status, got.Reason, err, want)
		}
	}
}

func TestTheGuardTakesTheLocalSystemsTimeScale(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv(design.EnvLocalTimeScale, "60")
	if h := newHandler(context.Background()); h.ConfigErr != nil || h.Clock.Scale != 60 || h.SSM == nil || h.Stacks == nil {
		t.Errorf("with %s=60: scale %g, config error %v, clients %v %v", design.EnvLocalTimeScale, h.Clock.Scale, h.ConfigErr, h.SSM, h.Stacks)
	}
}
