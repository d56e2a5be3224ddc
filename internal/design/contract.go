package design

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
