// Command redrive-dead-letters is RedriveDeadLetters, invoked on demand: it puts the rides in the
// dead-letter queue into the table and answers with a report.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

func main() {
	// Every line with the invocation's request ID, in the function's log format and level.
	slog.SetDefault(lambdacontext.NewLogger())
	s, err := riderecord.SetUpDeadLetters(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		slog.Error("RedriveDeadLetters cannot start", "error", err.Error())
		os.Exit(1)
	}
	h := riderecord.RedriveHandler{Redriver: &riderecord.Redriver{Queue: s.SQS, QueueURL: s.QueueURL, UnstorableURL: s.UnstorableURL,
		Recorder: s.Recorder, Metrics: s.Metrics}}
	lambda.Start(h.Handle)
}
