// Command rollout-guard is the function behind each stack's Custom::RolloutGuard: it fails a
// deploy whose stack state requires of the other stack what that stack does not provide, or that
// runs while the other stack is being deployed, and answers CloudFormation whatever happens.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
)

func main() {
	// Every line with the invocation's request ID, in the function's log format and level.
	slog.SetDefault(lambdacontext.NewLogger())
	lambda.Start(newHandler(context.Background()).Handle)
}

// newHandler wires the guard. A configuration that fails to load does not stop the function:
// it starts anyway and answers every request (a Delete with success), so no stack waits for an
// answer that never comes.
func newHandler(ctx context.Context) *rolloutguard.Handler {
	h := &rolloutguard.Handler{
		Respond: rolloutguard.DefaultResponder(),
		Clock:   rolloutguard.Clock{Scale: rolloutguard.TimeScale(os.Getenv(design.EnvLocalTimeScale))},
	}
	// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_SSM, _CLOUDFORMATION) points the clients elsewhere.
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(rolloutguard.DefaultCallTimeout)))
	if err != nil {
		slog.Error("RolloutGuard cannot load its AWS configuration; it answers every request anyway", "error", err.Error())
		h.ConfigErr = err
		return h
	}
	h.SSM = ssm.NewFromConfig(cfg)
	h.Stacks = cloudformation.NewFromConfig(cfg)
	return h
}
