package deploy

// CloudWatch (AWS::CloudWatch::*).

func init() {
	placeholder("AWS::CloudWatch::Alarm", "no alarm is evaluated locally yet; the console reads the dead-letter queue alarm's rule from the model")
}
