// Command put-ride-record-sns is PutRideRecordSns: it stores the rides published to the rides topic.
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
		slog.Error("PutRideRecordSns cannot start", "error", err.Error())
		os.Exit(1)
	}
	h := &riderecord.SNSHandler{Recorder: s.Recorder, DeadLetters: s.SQS, QueueURL: s.QueueURL, UnstorableURL: s.UnstorableURL, Metrics: s.Metrics}
	lambda.Start(h.Handle)
}
