package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// AppConfig is what the app reads from its context.
type AppConfig struct {
	Stage             string
	Step              design.Step
	RequestUnicornURL string
	// AlarmEmail, when set, is subscribed to both stacks' alarm topics.
	AlarmEmail string
	// TableCapacity is the ride table's provisioned throughput before the on-demand step; zero:
	// design.OriginalTableCapacity.
	TableCapacity design.TableCapacity
}

// NewApp adds both stacks to app. They share nothing in CloudFormation: the rides topic's ARN
// and the record URL travel through SSM parameters, so each stack deploys on its own.
func NewApp(app awscdk.App, cfg AppConfig) (wildRydes, rideRecord awscdk.Stack) {
	rideRecord = NewRideRecordStack(app, design.StackName(design.RideRecord, cfg.Stage), &RideRecordStackProps{
		StackProps: awscdk.StackProps{Description: jsii.String("Wild Rydes ride records: table, POST /record, rides topic subscriber")},
		Stage:      cfg.Stage,
		Step:       cfg.Step,
		AlarmEmail: cfg.AlarmEmail,
		Capacity:   cfg.TableCapacity,
	})
	wildRydes = NewWildRydesStack(app, design.StackName(design.WildRydes, cfg.Stage), &WildRydesStackProps{
		StackProps:        awscdk.StackProps{Description: jsii.String("Wild Rydes: POST /ride books a unicorn and publishes the ride")},
		Stage:             cfg.Stage,
		Step:              cfg.Step,
		RequestUnicornURL: cfg.RequestUnicornURL,
		AlarmEmail:        cfg.AlarmEmail,
	})
	return wildRydes, rideRecord
}

// Logical IDs of the stateful resources. They never change, whatever the step, so no refactor
// replaces the table (and loses the rides), the topic (whose old ARN the subscriber still reads
// until the other stack deploys again) or the queue (and loses what waits in it).
const (
	TableLogicalID           = "RideRecordTable"
	TopicLogicalID           = "RidesSnsTopic"
	DeadLetterQueueLogicalID = "PutRideRecordSnsDLQ"
	// UnstorableQueueLogicalID holds the rides no retry can store, with their reasons, for a
	// person to read.
	UnstorableQueueLogicalID = "UnstorableRidesQueue"
	// IdempotencyTableLogicalID remembers the ride booked under each Idempotency-Key for a day.
	IdempotencyTableLogicalID = "IdempotencyTable"
)

// sumOver5Minutes is how the error and throttle alarms count.
func sumOver5Minutes() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic: jsii.String("Sum"),
	}
}
