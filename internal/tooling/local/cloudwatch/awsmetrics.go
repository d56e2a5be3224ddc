package cloudwatch

// AWSMetric is a metric AWS records for a service the templates use, which the local system
// records too, under the same namespace, name and dimension: what the templates' alarms and
// dashboards may read.
type AWSMetric struct {
	Namespace, Name string
	// Dimension is the one naming the resource.
	Dimension string
}

// AWSMetrics are the metrics the local system records as AWS does.
var AWSMetrics = []AWSMetric{
	// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
	{"AWS/Lambda", "Invocations", "FunctionName"},
	{"AWS/Lambda", "Errors", "FunctionName"},
	{"AWS/Lambda", "Throttles", "FunctionName"},
	{"AWS/Lambda", "Duration", "FunctionName"},
	{"AWS/Lambda", "ConcurrentExecutions", "FunctionName"},
	// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
	{"AWS/ApiGateway", "Count", "ApiId"},
	{"AWS/ApiGateway", "4xx", "ApiId"},
	{"AWS/ApiGateway", "5xx", "ApiId"},
	{"AWS/ApiGateway", "Latency", "ApiId"},
	{"AWS/ApiGateway", "IntegrationLatency", "ApiId"},
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
	{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName"},
	{"AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName"},
	{"AWS/SQS", "NumberOfMessagesSent", "QueueName"},
	{"AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName"},
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
	{"AWS/DynamoDB", "WriteThrottleEvents", "TableName"},
	{"AWS/DynamoDB", "ReadThrottleEvents", "TableName"},
	{"AWS/DynamoDB", "ThrottledRequests", "TableName"},
	{"AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName"},
	{"AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName"},
}

// IsAWSMetric says whether namespace/name is one of AWSMetrics, and its dimension.
func IsAWSMetric(namespace, name string) (dimension string, ok bool) {
	for _, m := range AWSMetrics {
		if m.Namespace == namespace && m.Name == name {
			return m.Dimension, true
		}
	}
	return "", false
}
