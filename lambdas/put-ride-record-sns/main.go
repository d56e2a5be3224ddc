// Command put-ride-record-sns is PutRideRecordSns: it stores the rides published to the rides topic.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

func main() {
	s := riderecord.MustSetUp("PutRideRecordSns")
	h := &riderecord.SNSHandler{Recorder: s.Recorder, DeadLetters: s.SQS, QueueURL: s.QueueURL, UnstorableURL: s.UnstorableURL, Metrics: s.Metrics}
	lambda.Start(h.Handle)
}
