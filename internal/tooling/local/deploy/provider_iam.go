package deploy

// IAM (AWS::IAM::*): the local system has one principal, its own credentials, and enforces no
// policy but SigV4 on AWS_IAM routes; what each role allows is checked on the templates
// (model.Function.Allows).

func init() {
	placeholder("AWS::IAM::Role", "the local system enforces no IAM policy; roles are checked on the templates")
	placeholder("AWS::IAM::Policy", "the local system enforces no IAM policy; policies are checked on the templates")
}
