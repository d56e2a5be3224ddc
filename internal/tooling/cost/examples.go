package cost

import (
	"fmt"
	"io"
	"strings"
)

// Example is one of the seed's cost questions answered with the price table: `cost --examples`
// prints them, docs/COST.md quotes them and the tests hold them to the cent.
type Example struct {
	Name        string   `json:"name"`
	Question    string   `json:"question"`
	Assumptions []string `json:"assumptions"`
	Report      Report   `json:"report"`
}

// The seed's questions, as its Q&A asks them.
const (
	apiQuestion    = "Calculate the costs of Lambda and API Gateway for wild-rydes-ride-record PutRideRecord at 100 ms run time, 128 MB RAM, 10,000,000 requests in a month."
	designQuestion = "Calculate the approximate cost of the following designs for a million messages: SNS -> Lambda -> DynamoDB (auto scaling); SNS -> Lambda -> DynamoDB (on-demand); SNS -> SQS -> Lambda -> DynamoDB (auto scaling)."
)

// examplesRegion is where the examples are priced; without the free tier, so the figures are the
// list prices the questions ask about.
const examplesRegion = priceRegion

// Examples answers the seed's Q&A on cost with the embedded price table.
func Examples() ([]Example, error) {
	prices, err := DefaultPrices()
	if err != nil {
		return nil, err
	}
	rates, err := prices.Region(examplesRegion)
	if err != nil {
		return nil, err
	}
	hours := prices.HoursPerMonth
	newReport := func(title string, lines ...Line) Report {
		r := Report{Title: title, Region: examplesRegion, PricesChecked: prices.Checked, Lines: lines}
		r.total()
		return r
	}
	line := func(resource, usage string, key PriceKey, quantity float64) Line {
		return priced(rates, "", resource, usage, key, quantity)
	}
	// lambda is a function's requests and compute: n invocations of ms at memoryMB on x86_64.
	lambda := func(resource string, n, ms, memoryMB float64) []Line {
		return []Line{
			line(resource, "requests", LambdaRequests, n),
			line(resource, fmt.Sprintf("compute (x86_64, %s MB, %s ms)", number(memoryMB), number(ms)), LambdaComputeX86, n*ms/1000*memoryMB/1024),
		}
	}

	// The API question: PutRideRecord at 100 ms, 128 MB, 10 M requests, alone and behind each
	// of the three ways to call it.
	const apiRequests = 10_000_000
	putRideRecord := lambda("PutRideRecord", apiRequests, 100, 128)
	putRideRecordSns := lambda("PutRideRecordSns", apiRequests, 100, 128)
	apiAssumptions := []string{
		"10,000,000 requests a month, each one Lambda invocation of 100 ms at 128 MB on x86_64 (125,000 GB-s).",
		"us-east-1 list prices, no free tier; every request under 512 KB (HTTP API) or 64 KB (SNS), so one billed unit each.",
		"CloudWatch Logs, X-Ray and data transfer are left out, as the question asks only for Lambda and API Gateway.",
	}
	lambdaOnly := Example{
		Name: "lambda", Question: apiQuestion,
		Assumptions: apiAssumptions,
		Report:      newReport("PutRideRecord: Lambda alone", putRideRecord...),
	}
	rest := Example{
		Name: "lambda-rest-api", Question: apiQuestion,
		Assumptions: append(append([]string(nil), apiAssumptions...), "Behind a REST API (API Gateway v1, what the Serverless Framework's http event creates): $3.50 per million requests."),
		Report:      newReport("PutRideRecord behind a REST API", append([]Line{line("POST /record", "requests", RESTAPIRequests, apiRequests)}, putRideRecord...)...),
	}
	httpAPI := Example{
		Name: "lambda-http-api", Question: apiQuestion,
		Assumptions: append(append([]string(nil), apiAssumptions...), "Behind an HTTP API (API Gateway v2, what this project uses): $1.00 per million requests."),
		Report:      newReport("PutRideRecord behind an HTTP API", append([]Line{line("POST /record", "requests", HTTPAPIRequests, apiRequests)}, putRideRecord...)...),
	}
	sns := Example{
		Name: "lambda-sns", Question: apiQuestion,
		Assumptions: append(append([]string(nil), apiAssumptions...), "Fed by SNS instead of an API (the refactor's design): one publish per request; delivery to Lambda is free."),
		Report: newReport("PutRideRecordSns fed by an SNS topic", append([]Line{
			line("rides topic", "publishes", SNSPublish, apiRequests),
			line("rides topic", "delivery to Lambda", SNSDeliveryLambda, apiRequests),
		}, putRideRecordSns...)...),
	}

	// The design question: a million ride messages through three designs.
	const messages = 1_000_000
	averageWrites := messages / (hours * 3600)
	designAssumptions := []string{
		"1,000,000 ride messages a month; us-east-1 list prices, no free tier.",
		"Each message is under 64 KB: one SNS publish; SNS delivers to Lambda and to SQS free of charge.",
		"Lambda on x86_64 at 128 MB and 100 ms per message, the figures of the first question.",
		"1 KB items: every message is one PutItem of one write unit; nothing reads the table.",
		"Storage, CloudWatch Logs, X-Ray and data transfer are about the same in all three designs and left out.",
	}
	autoScaling := fmt.Sprintf("Provisioned capacity with auto scaling: minimum 1 WCU and 1 RCU, target utilization 70%%. The average write rate, 1,000,000 / (%s h × 3,600 s) = %s writes/s, keeps it at the minimum all month: %s WCU-hours and %s RCU-hours.",
		number(hours), number(averageWrites), number(hours), number(hours))
	scalingAlarms := "Target tracking creates two CloudWatch alarms per scaled dimension (high and low): 4 alarms for writes and reads."
	provisioned := func() []Line {
		return []Line{
			line("ride table", "provisioned 1 WCU", DynamoDBWCUHours, 1*hours),
			line("ride table", "provisioned 1 RCU", DynamoDBRCUHours, 1*hours),
			line("ride table auto scaling", "target-tracking alarms", CloudWatchAlarms, 4),
		}
	}
	publish := []Line{
		line("rides topic", "publishes", SNSPublish, messages),
	}

	design1 := Example{
		Name: "sns-lambda-dynamodb-autoscaling", Question: designQuestion,
		Assumptions: append(append([]string(nil), designAssumptions...), autoScaling, scalingAlarms,
			"How it fails: a burst above 1 write/s is throttled once burst capacity (up to 5 minutes of unused capacity) is spent, and auto scaling takes minutes to raise capacity; Lambda retries each failed SNS event twice, then it goes to the dead-letter queue."),
		Report: newReport("SNS -> Lambda -> DynamoDB, provisioned with auto scaling", concat(
			publish,
			[]Line{line("rides topic", "delivery to Lambda", SNSDeliveryLambda, messages)},
			lambda("PutRideRecordSns", messages, 100, 128),
			provisioned(),
		)...),
	}
	design2 := Example{
		Name: "sns-lambda-dynamodb-on-demand", Question: designQuestion,
		Assumptions: append(append([]string(nil), designAssumptions...),
			"On-demand capacity: 1,000,000 write request units; nothing to size, no alarms, and bursts like the seed's 10 rides/s are absorbed without throttling."),
		Report: newReport("SNS -> Lambda -> DynamoDB, on-demand", concat(
			publish,
			[]Line{line("rides topic", "delivery to Lambda", SNSDeliveryLambda, messages)},
			lambda("PutRideRecordSns", messages, 100, 128),
			[]Line{line("ride table", "on-demand writes", DynamoDBWriteUnits, messages)},
		)...),
	}
	const batch = 10
	design3 := Example{
		Name: "sns-sqs-lambda-dynamodb-autoscaling", Question: designQuestion,
		Assumptions: append(append([]string(nil), designAssumptions...),
			"SNS delivers each message into an SQS queue; that delivery is not billed as an SQS request.",
			fmt.Sprintf("Lambda's event source mapping receives and deletes in batches of %d: %s ReceiveMessage and %s DeleteMessageBatch requests. The empty long polls of its pollers while the queue is idle are left out.",
				batch, number(messages/batch), number(messages/batch)),
			fmt.Sprintf("%s invocations of %d messages × 100 ms = 1 s each: the same GB-s as one invocation per message, a tenth of the requests.", number(messages/batch), batch),
			autoScaling, scalingAlarms,
			"The queue holds a burst instead of the table throttling it: with the mapping's maximum concurrency kept low, writes stay near the provisioned rate."),
		Report: newReport("SNS -> SQS -> Lambda -> DynamoDB, provisioned with auto scaling", concat(
			publish,
			[]Line{
				line("rides topic", "delivery to SQS", SNSDeliverySQS, messages),
				line("RideRecordQueue", "ReceiveMessage (batches of 10)", SQSRequests, messages/batch),
				line("RideRecordQueue", "DeleteMessageBatch (batches of 10)", SQSRequests, messages/batch),
			},
			lambda("PutRideRecordSqs", messages/batch, 100*batch, 128),
			provisioned(),
		)...),
	}
	return []Example{lambdaOnly, rest, httpAPI, sns, design1, design2, design3}, nil
}

// WriteText writes the question, the assumptions and the priced lines.
func (x Example) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "== %s\nQ. %s\n\nAssumptions:\n", x.Name, x.Question)
	for _, a := range x.Assumptions {
		fmt.Fprintf(&b, "  - %s\n", a)
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return x.Report.WriteText(w)
}

func concat(parts ...[]Line) []Line {
	var out []Line
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
