package design

// Move is deploying one stack at one step.
type Move struct {
	Kind StackKind
	Step Step
}

// FreshInstall is the sequence that creates both stacks at goal on a new account (or a new
// stage) through safe states only. Up to StepTopic the ride-record stack comes first, since
// wild-rydes reads its URL; beyond it, no state can be created from nothing (the subscriber reads
// the topic's ARN, and a publishing wild-rydes requires the subscriber), so the install goes
// through StepTopic: the record service, then the topic, then the subscriber, then the publisher.
// A goal that locks POST /record locks it last, once RequestRide no longer calls it.
// The rollout analysis proves each move accepted and safe (stacks/rollout_test.go).
func FreshInstall(goal Step) []Move {
	if goal <= StepTopic {
		return []Move{{RideRecord, goal}, {WildRydes, goal}}
	}
	subscriber := goal
	if goal.HasLockedRecordRoute() {
		subscriber = StepLockRecord - 1
	}
	moves := []Move{{RideRecord, StepTopic}, {WildRydes, StepTopic}, {RideRecord, subscriber.StackStep(RideRecord)}}
	if goal.StackStep(WildRydes) != StepTopic {
		moves = append(moves, Move{WildRydes, goal})
	}
	if goal.HasLockedRecordRoute() {
		moves = append(moves, Move{RideRecord, goal})
	}
	return moves
}
