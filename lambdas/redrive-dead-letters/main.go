// Command redrive-dead-letters is RedriveDeadLetters, invoked on demand: it puts the rides in the
// dead-letter queue into the table and answers with a report.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/riderecord"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	table, queueURL := os.Getenv("TABLE_NAME"), os.Getenv("DEAD_LETTER_QUEUE_URL")
	if table == "" || queueURL == "" {
		slog.Error("RedriveDeadLetters cannot start", "error", "TABLE_NAME and DEAD_LETTER_QUEUE_URL must both be set",
			"TABLE_NAME", table, "DEAD_LETTER_QUEUE_URL", queueURL)
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryer(riderecord.Retryer))
	if err != nil {
		slog.Error("RedriveDeadLetters cannot start", "error", err.Error())
		os.Exit(1)
	}
	h := riderecord.RedriveHandler{Redriver: &riderecord.Redriver{
		Queue:    sqs.NewFromConfig(cfg),
		QueueURL: queueURL,
		Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{Client: dynamodb.NewFromConfig(cfg), TableName: table}},
	}}
	lambda.Start(h.Handle)
}
