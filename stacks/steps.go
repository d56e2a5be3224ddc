package stacks

import "github.com/wildrydes/wild-rydes-cdk/internal/refactor"

// Step is a deployable state of the refactor (see package refactor).
type Step = refactor.Step

// StackKind names one of the two stacks independent of the stage.
type StackKind = refactor.StackKind

// The steps and stacks, re-exported so stack code and tests read naturally.
const (
	StepSynchronous   = refactor.StepSynchronous
	StepSharedPutPath = refactor.StepSharedPutPath
	StepTopic         = refactor.StepTopic
	StepSubscriber    = refactor.StepSubscriber
	StepPublish       = refactor.StepPublish
	StepOnDemand      = refactor.StepOnDemand
	StepLockRecord    = refactor.StepLockRecord
	FinalStep         = refactor.FinalStep
	WildRydes         = refactor.WildRydes
	RideRecord        = refactor.RideRecord
)

// Steps lists every step in deployment order.
func Steps() []Step { return refactor.Steps() }

// StackName is the CloudFormation stack name of kind at stage.
func StackName(kind StackKind, stage string) string { return refactor.StackName(kind, stage) }
