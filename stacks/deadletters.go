package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
)

// oldestDeadLetter is how long a ride may wait in the dead-letter queue before its age alarms:
// a ride an hour late means nobody re-drove the queue after an outage.
const oldestDeadLetter = 3600

// addDeadLetterAlarms makes every new dead letter notify, not only the first: an alarm notifies
// when its state changes, and the queue's "a message is visible" alarm stays in ALARM while any
// message waits (14 days at most), so alone it would keep quiet about the next outage. These count
// the messages sent to each queue per minute (a minute with none is OK again) and the age of the
// oldest one (AlarmTopic.AddAlarm's defaults: one period, at or above the threshold, no data is
// no breach).
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/dead-letter-queues-alarms-cloudwatch.html
func addDeadLetterAlarms(alarms *wrconstructs.AlarmTopic, dlq, unstorable awssqs.Queue) {
	perMinute := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Sum")}
	alarms.AddAlarm("DeadLetterQueueNewMessagesAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("New rides reached the dead-letter queue in the last minute (each minute with new ones notifies): fix the cause, then run RedriveDeadLetters (or wildrydes dlq redrive)"),
		Metric:           dlq.MetricNumberOfMessagesSent(perMinute),
		Threshold:        jsii.Number(1),
	})
	alarms.AddAlarm("DeadLetterQueueAgeAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("A ride has waited in the dead-letter queue for over an hour: run RedriveDeadLetters (or wildrydes dlq redrive)"),
		Metric: dlq.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum"),
		}),
		Threshold: jsii.Number(oldestDeadLetter),
	})
	alarms.AddAlarm("UnstorableQueueNewMessagesAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("A ride that can never be stored was set aside in the last minute: read it with wildrydes dlq list (its reason says why)"),
		Metric:           unstorable.MetricNumberOfMessagesSent(perMinute),
		Threshold:        jsii.Number(1),
	})
}
