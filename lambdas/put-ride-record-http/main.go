// Command put-ride-record-http is PutRideRecord and PutRideRecordHttp: POST /record on the
// ride-record HTTP API.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

func main() {
	// Every line with the invocation's request ID, in the function's log format and level.
	slog.SetDefault(lambdacontext.NewLogger())
	table := os.Getenv(design.EnvTableName)
	if table == "" {
		slog.Error("PutRideRecordHttp cannot start", "error", "TABLE_NAME is not set")
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryer(riderecord.Retryer))
	if err != nil {
		slog.Error("PutRideRecordHttp cannot start", "error", err.Error())
		os.Exit(1)
	}
	h := &riderecord.HTTPHandler{Recorder: &riderecord.Recorder{
		Store:   riderecord.DynamoDBStore{Client: dynamodb.NewFromConfig(cfg), TableName: table},
		Metrics: metrics.New(os.Stdout, os.Getenv(design.EnvStage)),
	}}
	lambda.Start(h.Handle)
}
