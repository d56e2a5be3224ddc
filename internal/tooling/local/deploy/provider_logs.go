package deploy

// CloudWatch Logs (AWS::Logs::*).

func init() {
	placeholder("AWS::Logs::LogGroup", "the functions' logs go to the local system's log, each line under its function's name")
	placeholder("AWS::Logs::QueryDefinition", "a saved Logs Insights query for AWS; locally the console's trace follows a ride, and the local log holds every line with its ride_id")
}
