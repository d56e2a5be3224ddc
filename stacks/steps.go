package stacks

import "github.com/wildrydes/wild-rydes-cdk/internal/design"

// Step is a deployable state of the refactor (see package refactor).
type Step = design.Step

// StackKind names one of the two stacks independent of the stage.
type StackKind = design.StackKind

// The steps and stacks, re-exported so stack code and tests read naturally.
const (
	StepSynchronous   = design.StepSynchronous
	StepSharedPutPath = design.StepSharedPutPath
	StepTopic         = design.StepTopic
	StepSubscriber    = design.StepSubscriber
	StepPublish       = design.StepPublish
	StepOnDemand      = design.StepOnDemand
	StepLockRecord    = design.StepLockRecord
	FinalStep         = design.FinalStep
	WildRydes         = design.WildRydes
	RideRecord        = design.RideRecord
)

// Steps lists every step in deployment order.
func Steps() []Step { return design.Steps() }

// StackName is the CloudFormation stack name of kind at stage.
func StackName(kind StackKind, stage string) string { return design.StackName(kind, stage) }
