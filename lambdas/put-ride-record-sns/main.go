// Command put-ride-record-sns is PutRideRecordSns: it stores the rides published to the rides topic.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

func main() {
	// Every line with the invocation's request ID, in the function's log format and level.
	slog.SetDefault(lambdacontext.NewLogger())
	s, err := riderecord.SetUpDeadLetters(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("PutRideRecordSns cannot start", "error", err.Error())
		os.Exit(1)
	}
	em := metrics.New(os.Stdout, os.Getenv(design.EnvStage))
	s.Recorder.Metrics = em
	h := &riderecord.SNSHandler{Recorder: s.Recorder, DeadLetters: s.SQS, QueueURL: s.QueueURL, UnstorableURL: s.UnstorableURL, Metrics: em}
	lambda.Start(h.Handle)
}
