package constructs

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AcceptFinding records that this design accepts cdk-nag's rule on scope and every resource under
// it, with the reason; appliesTo narrows it to those findings (e.g. "Resource::*"). A construct
// accepts what it does by design itself, so the reason lives beside the resource it explains;
// nothing is accepted stack-wide.
func AcceptFinding(scope constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var list []interface{}
		for _, a := range appliesTo {
			list = append(list, a)
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(scope, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}
