// Command redrive-dead-letters is RedriveDeadLetters, invoked on demand: it puts the rides in the
// dead-letter queue into the table and answers with a report.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

func main() {
	s := riderecord.MustSetUp("RedriveDeadLetters")
	h := riderecord.RedriveHandler{Redriver: &riderecord.Redriver{Queue: s.SQS, QueueURL: s.QueueURL, UnstorableURL: s.UnstorableURL,
		Recorder: s.Recorder, Metrics: s.Metrics}}
	lambda.Start(h.Handle)
}
