// Command put-ride-record-sns is PutRideRecordSns: it stores the rides published to the rides topic.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	s, err := riderecord.SetUpDeadLetters(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("PutRideRecordSns cannot start", "error", err.Error())
		os.Exit(1)
	}
	h := &riderecord.SNSHandler{Recorder: s.Recorder, DeadLetters: s.SQS, QueueURL: s.QueueURL, UnstorableURL: s.UnstorableURL}
	lambda.Start(h.Handle)
}
