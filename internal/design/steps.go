// Package design is the system's design that the stacks, the functions and the tools share: the
// stacks and the steps of the refactor from the synchronous design to the SNS design (what each
// step turns on, which stack it changes), and the names that connect the pieces (contract.go).
// It imports no CDK, so the tools start without a jsii runtime.
package design

import "fmt"

// Step is a deployable state of the refactor. Each step changes one stack; deploying the steps in
// order moves the system from the synchronous design (step 0) to the SNS design (FinalStep)
// without a moment in which an accepted ride has no way, or two ways, into the table.
type Step int

const (
	// StepSynchronous: RequestRide POSTs each ride to PutRideRecord behind POST /record; the
	// table has provisioned capacity.
	StepSynchronous Step = 0
	// StepSharedPutPath (ride-record): PutRideRecord becomes PutRideRecordHttp, on the shared
	// put path.
	StepSharedPutPath Step = 1
	// StepTopic (wild-rydes): the topic and its SSM parameter exist; nobody publishes yet.
	StepTopic Step = 2
	// StepSubscriber (ride-record): PutRideRecordSns subscribes to the topic, with its
	// dead-letter queue, alarm and re-drive function, before any ride goes through SNS.
	StepSubscriber Step = 3
	// StepPublish (wild-rydes): RequestRide publishes to the topic; RIDE_RECORD_URL is gone.
	StepPublish Step = 4
	// StepOnDemand (ride-record): the table is on-demand.
	StepOnDemand Step = 5
	// StepLockRecord (ride-record): POST /record requires IAM (AWS_IAM): nothing in the system
	// calls it any more, and a caller must sign with a principal allowed execute-api:Invoke on
	// it. The final state.
	StepLockRecord Step = 6
	// FinalStep is what the app synthesizes without -c step.
	FinalStep = StepLockRecord
)

// Steps lists every step in deployment order.
func Steps() []Step {
	var all []Step
	for s := StepSynchronous; s <= FinalStep; s++ {
		all = append(all, s)
	}
	return all
}

// Validate reports a step outside the refactor.
func (s Step) Validate() error {
	if s < StepSynchronous || s > FinalStep {
		return fmt.Errorf("step %d does not exist: the refactor has steps %d to %d", s, StepSynchronous, FinalStep)
	}
	return nil
}

// DefaultStage is the stage the app and every command use when none is given.
const DefaultStage = "dev"

// StackKind names one of the two stacks independent of the stage.
type StackKind string

const (
	WildRydes  StackKind = "wild-rydes"
	RideRecord StackKind = "wild-rydes-ride-record"
)

// StackName is the CloudFormation stack name of kind at stage.
func StackName(kind StackKind, stage string) string { return fmt.Sprintf("%s-%s", kind, stage) }

// Changes is the stack that deploying step s changes (step 0 creates both); nil for a step
// outside the refactor. Each step is listed, so a new one changes nothing until it says which
// stack it changes (stacks/newstep_test.go names what else a new step needs).
func (s Step) Changes() []StackKind {
	switch s {
	case StepSynchronous:
		return []StackKind{RideRecord, WildRydes}
	case StepTopic, StepPublish:
		return []StackKind{WildRydes}
	case StepSharedPutPath, StepSubscriber, StepOnDemand, StepLockRecord:
		return []StackKind{RideRecord}
	}
	return nil
}

// Summary says in one line what deploying the step does.
func (s Step) Summary() string {
	switch s {
	case StepSynchronous:
		return "the starting point: RequestRide POSTs each ride to PutRideRecord behind POST /record; provisioned table"
	case StepSharedPutPath:
		return "PutRideRecord becomes PutRideRecordHttp on the shared put path"
	case StepTopic:
		return "the rides topic and /wild-rydes/<stage>/SnsTopicArn are added; RequestRide unchanged"
	case StepSubscriber:
		return "PutRideRecordSns subscribes to the topic, with its dead-letter queue, alarm and re-drive function"
	case StepPublish:
		return "RequestRide publishes to the topic; RIDE_RECORD_URL is removed"
	case StepOnDemand:
		return "the table becomes on-demand"
	case StepLockRecord:
		return "POST /record requires IAM (AWS_IAM): callers sign with SigV4 (the final state)"
	}
	return "unknown step"
}

// The features each stack has at a step. Keeping them here, and only here, is what makes every
// step a deployable state whose diff the user can read before deploying.

// HasTopic: the wild-rydes stack has the rides topic and its SSM parameter.

func (s Step) HasTopic() bool { return s >= StepTopic }

// PublishesToTopic: RequestRide publishes (else it POSTs to RIDE_RECORD_URL).
func (s Step) PublishesToTopic() bool { return s >= StepPublish }

// HasHTTPRename: POST /record is served by PutRideRecordHttp (else PutRideRecord).
func (s Step) HasHTTPRename() bool { return s >= StepSharedPutPath }

// HasSNSSubscriber: PutRideRecordSns, its dead-letter queue, alarm and re-drive function exist.
func (s Step) HasSNSSubscriber() bool { return s >= StepSubscriber }

// HasOnDemandTable: the table is PAY_PER_REQUEST (else provisioned, with the original's
// capacity unless the app is told another: OriginalTableCapacity).
func (s Step) HasOnDemandTable() bool { return s >= StepOnDemand }

// HasLockedRecordRoute: POST /record requires AWS_IAM authorization (else it is open).
func (s Step) HasLockedRecordRoute() bool { return s >= StepLockRecord }
