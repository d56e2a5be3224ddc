package design

import (
	"fmt"
	"time"
)

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

// The environment variables of this round's additions. Each is optional: absent, the function
// behaves as before it existed.
const (
	// EnvUnstorableQueueURL: the queue for rides no retry can store (not a valid ride, a
	// different ride under a stored RideId, a ride the table refuses). PutRideRecordSns sends
	// them there and the re-drive moves them there, so the dead-letter queue (and its alarm) holds
	// only rides that wait for the table. Absent: they go to, and stay in, the dead-letter queue.
	EnvUnstorableQueueURL = "UNSTORABLE_QUEUE_URL"
	// EnvIdempotencyTableName: RequestRide remembers the ride booked under each
	// Idempotency-Key in this table (IdempotencyKeyAttribute, with a time to live on
	// IdempotencyExpiryAttribute). Absent: the header is ignored.
	EnvIdempotencyTableName = "IDEMPOTENCY_TABLE_NAME"
	// EnvStage: the stage the function runs in, the Stage dimension of its metrics. Absent:
	// UnknownStage.
	EnvStage = "STAGE"
)

// EnvLocalTimeScale is set only by the local system's Lambda runtime, for every function: how
// many times faster than wall time AWS durations pass there (internal/tooling/local/clock). Only
// the durations of the rollout guard's conditions honour it (a parameter held for
// HeldForSeconds); absent, or not a number above 1, it is 1, as on AWS, where nothing sets it.
const EnvLocalTimeScale = "WILDRYDES_LOCAL_TIME_SCALE"

// The idempotency table's attributes: its partition key (S) and its time-to-live attribute (N,
// epoch seconds), which the table's TimeToLiveSpecification names.
const (
	IdempotencyKeyAttribute    = "IdempotencyKey"
	IdempotencyExpiryAttribute = "ExpiresAt"
)

// IdempotencyWindow is how long an Idempotency-Key answers with the ride booked under it; the
// table's time to live removes it after that, and the cost estimate keeps a day's keys.
const IdempotencyWindow = 24 * time.Hour

// UnknownStage is the Stage dimension of a function whose environment does not name its stage.
const UnknownStage = "unknown"

// The ride pipeline's metrics: the functions write them as CloudWatch embedded metric format log
// lines (internal/service/metrics), and the stacks' alarms and dashboard read them by these names.
// Every metric is published under the Stage dimension; some under a second dimension set too.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

// MetricNamespace is the CloudWatch namespace of every metric below.
const MetricNamespace = "WildRydes"

// The dimensions.
const (
	// DimensionStage is the stage (EnvStage), on every metric.
	DimensionStage = "Stage"
	// DimensionPath is how RequestRide handed a ride off: HandoffSNS or HandoffHTTP.
	DimensionPath = "Path"
	// DimensionReason is why a ride was dead-lettered or set aside: ReasonInvalidRide,
	// ReasonConflict or ReasonUnstorable.
	DimensionReason = "Reason"
)

// The values of DimensionPath.
const (
	HandoffSNS  = "SNS"
	HandoffHTTP = "HTTP"
)

// The values of DimensionReason, also the ErrorCode attribute of the messages PutRideRecordSns and
// the re-drive send to the dead-letter and unstorable queues.
const (
	// ReasonInvalidRide: the message is not a valid ride record.
	ReasonInvalidRide = "InvalidRide"
	// ReasonConflict: a different ride is stored under its RideId.
	ReasonConflict = "Conflict"
	// ReasonUnstorable: the table refused the ride with an error no retry can fix.
	ReasonUnstorable = "Unstorable"
)

// The CloudWatch units the metrics use.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
)

// Metric is one metric of the ride pipeline.
type Metric struct {
	Name string
	Unit string
	// DimensionSets are the dimension sets it is published under; each starts with
	// DimensionStage. A set of one dimension is the total over the others.
	DimensionSets [][]string
}

var (
	stageOnly   = [][]string{{DimensionStage}}
	byPath      = [][]string{{DimensionStage}, {DimensionStage, DimensionPath}}
	byReason    = [][]string{{DimensionStage}, {DimensionStage, DimensionReason}}
	countMetric = func(name string, sets [][]string) Metric {
		return Metric{Name: name, Unit: UnitCount, DimensionSets: sets}
	}
)

// The metrics. Between them: every 201 of POST /ride is a ride handed off (RidesHandedOff =
// RidesBooked + RidesReplayed), and every ride handed off ends stored (RidesStored, or
// RidesAlreadyStored when it was stored before: a duplicate delivery or a retried request),
// dead-lettered, or set aside. Lambda's own dead-lettering after its retries is not counted
// here: the dead-letter queue's NumberOfMessagesSent counts it.
var (
	// MetricRidesBooked (RequestRide): a new ride answered 201.
	MetricRidesBooked = countMetric("RidesBooked", stageOnly)
	// MetricRidesReplayed (RequestRide): a retried request (same Idempotency-Key) answered 201
	// with the ride booked before.
	MetricRidesReplayed = countMetric("RidesReplayed", stageOnly)
	// MetricRidesHandedOff (RequestRide): a ride published (SNS) or POSTed (HTTP), by Path.
	MetricRidesHandedOff = countMetric("RidesHandedOff", byPath)
	// MetricRidesStored (the put path: PutRideRecordHttp, PutRideRecordSns, RedriveDeadLetters):
	// a ride put into the table for the first time.
	MetricRidesStored = countMetric("RidesStored", stageOnly)
	// MetricRidesAlreadyStored (the put path): a ride that was in the table already.
	MetricRidesAlreadyStored = countMetric("RidesAlreadyStored", stageOnly)
	// MetricRidesDeadLettered (PutRideRecordSns): a record sent to the dead-letter queue at once,
	// by Reason (only when no unstorable queue is configured).
	MetricRidesDeadLettered = countMetric("RidesDeadLettered", byReason)
	// MetricRidesSetAside (PutRideRecordSns, RedriveDeadLetters): a ride sent to the unstorable
	// queue, by Reason.
	MetricRidesSetAside = countMetric("RidesSetAside", byReason)
	// MetricRidesRedriven (RedriveDeadLetters): a ride of the dead-letter queue now in the table.
	MetricRidesRedriven = countMetric("RidesRedriven", stageOnly)
	// MetricDeliveryLatency (the put path): from the ride's RequestTime to its storing, for each
	// ride stored for the first time.
	MetricDeliveryLatency = Metric{Name: "DeliveryLatency", Unit: UnitMilliseconds, DimensionSets: stageOnly}
)

// Metrics lists every metric above, for the stacks' dashboard and the tests.
func Metrics() []Metric {
	return []Metric{MetricRidesBooked, MetricRidesReplayed, MetricRidesHandedOff, MetricRidesStored,
		MetricRidesAlreadyStored, MetricRidesDeadLettered, MetricRidesSetAside, MetricRidesRedriven,
		MetricDeliveryLatency}
}

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
