package riderecord

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
)

// DeadLetterSetup is what the functions that write the table and use its dead-letter queue
// (PutRideRecordSns, RedriveDeadLetters) start from.
type DeadLetterSetup struct {
	Recorder *Recorder
	SQS      *sqs.Client
	QueueURL string
	// UnstorableURL is the queue for rides no retry can store; "" when UNSTORABLE_QUEUE_URL is
	// not set (they stay in the dead-letter queue, as before the queue existed).
	UnstorableURL string
	// Metrics writes the functions' embedded-metric lines (the Recorder's too), for STAGE.
	Metrics *metrics.Emitter
}

// SetUpDeadLetters reads TABLE_NAME, DEAD_LETTER_QUEUE_URL and the optional UNSTORABLE_QUEUE_URL
// with getenv (os.Getenv in a function) and makes the clients, with Retryer, and the metrics
// emitter writing to out (the function's stdout) for STAGE.
func SetUpDeadLetters(ctx context.Context, getenv func(string) string, out io.Writer) (DeadLetterSetup, error) {
	table, queueURL := getenv(design.EnvTableName), getenv(design.EnvDeadLetterQueueURL)
	if table == "" || queueURL == "" {
		return DeadLetterSetup{}, fmt.Errorf("TABLE_NAME and DEAD_LETTER_QUEUE_URL must both be set (TABLE_NAME=%q, DEAD_LETTER_QUEUE_URL=%q)", table, queueURL)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(Retryer))
	if err != nil {
		return DeadLetterSetup{}, err
	}
	em := metrics.New(out, getenv(design.EnvStage))
	return DeadLetterSetup{
		Recorder:      &Recorder{Store: DynamoDBStore{Client: dynamodb.NewFromConfig(cfg), TableName: table}, Metrics: em},
		Metrics:       em,
		SQS:           sqs.NewFromConfig(cfg),
		QueueURL:      queueURL,
		UnstorableURL: getenv(design.EnvUnstorableQueueURL),
	}, nil
}

// MustSetUp is a dead-letter function's start-up: every log line with the invocation's request
// ID, in the function's log format and level (lambdacontext.NewLogger), then SetUpDeadLetters
// from the function's environment; a set-up that fails is logged and ends the process, which
// Lambda reports as the function's init error.
func MustSetUp(function string) DeadLetterSetup {
	slog.SetDefault(lambdacontext.NewLogger())
	s, err := SetUpDeadLetters(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		slog.Error(function+" cannot start", "error", err.Error())
		os.Exit(1)
	}
	return s
}
