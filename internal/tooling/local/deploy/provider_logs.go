package deploy

// CloudWatch Logs (AWS::Logs::*).

func init() {
	placeholder("AWS::Logs::LogGroup", "the functions' logs go to the local system's log, each line under its function's name")
}
