// Command rollout-guard is the function behind each stack's Custom::RolloutGuard: it fails a
// deploy whose stack state requires of the other stack what that stack does not provide.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/rolloutguard"
)

func main() {
	// Every line with the invocation's request ID, in the function's log format and level.
	slog.SetDefault(lambdacontext.NewLogger())
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("RolloutGuard cannot start", "error", err.Error())
		os.Exit(1)
	}
	h := &rolloutguard.Handler{Lookup: rolloutguard.SSMLookup(ssm.NewFromConfig(cfg))}
	lambda.Start(cfn.LambdaWrap(h.Handle))
}
