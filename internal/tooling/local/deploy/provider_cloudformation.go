package deploy

import "github.com/wildrydes/wild-rydes-cdk/internal/design"

// What CloudFormation itself handles.

func init() {
	placeholder("AWS::CDK::Metadata", "the CDK's record of the app's construct library versions: nothing to run")
	placeholder(design.GuardResourceType, "the rollout guard's check runs before the deploy changes anything (refuse.go), as CloudFormation's update fails at the guard and rolls back")
}
