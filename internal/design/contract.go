package design

import "fmt"

// The names that connect the pieces of the system: the stacks write them, the functions read
// them, and the tools find the system's parts through them. Each is declared here and only here.

// The environment variables the functions read.
const (
	// EnvTopicARN: RequestRide publishes each ride to this topic (from StepPublish on).
	EnvTopicARN = "RIDES_SNS_TOPIC_ARN"
	// EnvRecordURL: RequestRide POSTs each ride to this URL (before StepPublish).
	EnvRecordURL = "RIDE_RECORD_URL"
	// EnvUnicornURL: RequestRide asks this fleet service for a unicorn (optional).
	EnvUnicornURL = "REQUEST_UNICORN_URL"
	// EnvTableName: the rides table the record functions write.
	EnvTableName = "TABLE_NAME"
	// EnvDeadLetterQueueURL: the queue rides that cannot be stored wait in.
	EnvDeadLetterQueueURL = "DEAD_LETTER_QUEUE_URL"
)

// The SSM parameters the stacks write: the only link between the two stacks (each reads the
// other's at deploy time, never through a CloudFormation export), and how the tools and an
// operator find the system's parts. Users find them by name, so, unlike topics and queues, they
// have physical names, one set per stage.

// TopicArnParameterName holds the rides topic's ARN (wild-rydes, from StepTopic on); the
// ride-record stack subscribes PutRideRecordSns to the topic it names.
func TopicArnParameterName(stage string) string {
	return fmt.Sprintf("/wild-rydes/%s/SnsTopicArn", stage)
}

// RecordURLParameterName holds the POST /record URL (ride-record); RequestRide POSTs rides to it
// before StepPublish.
func RecordURLParameterName(stage string) string {
	return fmt.Sprintf("/wild-rydes-ride-record/%s/URL", stage)
}

// RideDeliveryParameterName is where wild-rydes says how RequestRide delivers rides (DeliveryHTTP
// or DeliverySNS).
func RideDeliveryParameterName(stage string) string {
	return fmt.Sprintf("/wild-rydes/%s/RideDelivery", stage)
}

// SubscriberReadyParameterName exists while PutRideRecordSns is subscribed to the rides topic.
// Its name is what CloudFormation's refusal quotes: deploy the ride-record subscriber first.
func SubscriberReadyParameterName(stage string) string {
	return fmt.Sprintf("/wild-rydes-ride-record/%s/SubscriberReady", stage)
}

// RecordAuthorizationParameterName is where ride-record says what POST /record requires of a
// caller: RecordOpen, or RecordIAM once the route is locked.
func RecordAuthorizationParameterName(stage string) string {
	return fmt.Sprintf("/wild-rydes-ride-record/%s/RecordAuthorization", stage)
}
