package design

// What each stack publishes about itself in SSM (the parameters are named in contract.go, with
// the others), and how a stack state declares what it requires of the other: declared here once;
// the stacks write them into the templates, and every tool (the rollout analysis, the local
// system) reads them back from the templates.

// GuardResourceType is the custom resource that checks, before anything else of its stack
// changes, the SSM parameters its properties name.
const GuardResourceType = "Custom::RolloutGuard"

// GuardConditionsProperty is the guard's property listing its conditions, each
// {"Parameter": name, "AllowedValues": [...], "Reason": why}, with "" standing for absent.
const GuardConditionsProperty = "Conditions"

// GuardHeldForProperty is a condition's optional number of seconds over which every value the
// parameter held must have been allowed (read from the parameter's history).
const GuardHeldForProperty = "HeldForSeconds"

// GuardRequiresProperty is the guard's property naming, by SSM parameter, the values
// CloudFormation resolved for the stack state's SSM-typed template parameters when it made the
// change set; the guard checks each still holds them when it runs.
const GuardRequiresProperty = "Requires"

// GuardOtherStackProperty is the guard's property naming the other stack: the guard refuses
// while that stack is being created, updated, rolled back or deleted, or left failed, so that two
// deploys run one after the other or not at all.
const GuardOtherStackProperty = "OtherStack"

// StepOutput is the stack output giving the step the stack's template belongs to.
const StepOutput = "Step"

// RideDelivery values: how RequestRide hands each ride to the ride-record service.
const (
	DeliveryHTTP = "http"
	DeliverySNS  = "sns"
)

// RecordAuthorization values: the route's authorization type.
const (
	RecordOpen = "NONE"
	RecordIAM  = "AWS_IAM"
)

// RecordAuthorization is what POST /record requires at step s.
func (s Step) RecordAuthorization() string {
	if s.HasLockedRecordRoute() {
		return RecordIAM
	}
	return RecordOpen
}

// RideDelivery is how RequestRide delivers rides at step s.
func (s Step) RideDelivery() string {
	if s.PublishesToTopic() {
		return DeliverySNS
	}
	return DeliveryHTTP
}

// StackStep is the step whose template kind has when the app is synthesized at step s: the last
// step up to s that changes kind. Deploying `-c step=1 wild-rydes-<stage>` deploys wild-rydes as
// step 0 made it, and the stack says so.
func (s Step) StackStep(kind StackKind) Step {
	for k := s; k > StepSynchronous; k-- {
		for _, c := range k.Changes() {
			if c == kind {
				return k
			}
		}
	}
	return StepSynchronous
}
