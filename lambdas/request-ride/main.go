// Command request-ride is the RequestRide function: POST /ride on the HTTP API.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/requestride"
)

func main() {
	// Every line with the invocation's request ID, in the function's log format and level.
	slog.SetDefault(lambdacontext.NewLogger())
	h, err := newHandler(context.Background())
	if err != nil {
		// Failing the init phase shows the misconfiguration at the first invoke, not as 502s later.
		slog.Error("RequestRide cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context) (*requestride.Handler, error) {
	h := &requestride.Handler{Unicorns: requestride.Fleet{}, Metrics: metrics.New(os.Stdout, os.Getenv(design.EnvStage))}
	topicARN, recordURL := os.Getenv(design.EnvTopicARN), os.Getenv(design.EnvRecordURL)
	idempotencyTable := os.Getenv(design.EnvIdempotencyTableName)
	var cfg aws.Config
	if topicARN != "" || idempotencyTable != "" {
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx); err != nil {
			return nil, err
		}
	}
	switch {
	case topicARN != "" && recordURL != "":
		return nil, errors.New("both RIDES_SNS_TOPIC_ARN and RIDE_RECORD_URL are set; set exactly one (SNS from refactor step 4 on, the record URL before)")
	case topicARN != "":
		h.Handoff = requestride.SNSPublisher{Client: sns.NewFromConfig(cfg), TopicARN: topicARN}
	case recordURL != "":
		// Within the function's 10 s, leaving room for the unicorn service's 3 s.
		h.Handoff = requestride.HTTPRecorder{URL: recordURL, Client: &http.Client{Timeout: 5 * time.Second}}
	default:
		return nil, errors.New("neither RIDES_SNS_TOPIC_ARN nor RIDE_RECORD_URL is set; set exactly one")
	}
	if u := os.Getenv(design.EnvUnicornURL); u != "" {
		h.Unicorns = requestride.HTTPUnicornSource{URL: u, Client: &http.Client{Timeout: 3 * time.Second}}
	}
	if idempotencyTable != "" {
		h.Idempotency = requestride.DynamoDBIdempotencyStore{Client: dynamodb.NewFromConfig(cfg), TableName: idempotencyTable}
	}
	return h, nil
}
