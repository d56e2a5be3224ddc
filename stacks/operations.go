package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsxray"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawslogs"
	"github.com/aws/jsii-runtime-go"

	wrconstructs "github.com/wildrydes/wild-rydes-cdk/constructs"
	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// operations is what an operator of a stack reads on a bad day: the stack's dashboard (one per
// stack and stage, named after the stack: the stacks share no resource names through
// CloudFormation, so neither could chart the other's functions) and the saved CloudWatch Logs
// Insights query that finds one ride in every log group of the stack's functions. Both stacks'
// dashboards open with the ride pipeline (its metrics carry only the Stage dimension): rides
// handed off against rides stored, and how late they were stored.
type operations struct {
	stack awscdk.Stack
	stage string
	rows  [][]awscloudwatch.IWidget
	logs  []interfacesawslogs.ILogGroupRef
	fns   []*wrconstructs.GoLambda
}

// widget sizes: the dashboard's grid is 24 units wide.
const (
	third  = 8
	height = 6
)

func newOperations(stack awscdk.Stack, stage, title string) *operations {
	o := &operations{stack: stack, stage: stage}
	o.rows = append(o.rows, []awscloudwatch.IWidget{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String(fmt.Sprintf("# %s (stage %s)\nEvery ride handed off should be stored within seconds (or about 3 minutes when Lambda retries it). "+
			"A ride's trail: Logs Insights, saved query *%s*.", title, stage, o.queryName())),
		Width: jsii.Number(24), Height: jsii.Number(2),
	})})
	o.rows = append(o.rows, []awscloudwatch.IWidget{
		graph("Rides handed off and stored (per minute)", []awscloudwatch.IMetric{
			o.pipeline(design.MetricRidesHandedOff, "Sum", "handed off"),
			o.pipeline(design.MetricRidesStored, "Sum", "stored"),
			o.pipeline(design.MetricRidesAlreadyStored, "Sum", "already stored (duplicates)"),
			o.notStored(time1Minute(), "handed off, not stored"),
		}, nil),
		graph("Delivery latency, booking to table (ms)", []awscloudwatch.IMetric{
			o.pipeline(design.MetricDeliveryLatency, "p50", "p50"),
			o.pipeline(design.MetricDeliveryLatency, "p99", "p99"),
			o.pipeline(design.MetricDeliveryLatency, "Maximum", "max"),
		}, nil),
		graph("Rides dead-lettered, set aside, re-driven", []awscloudwatch.IMetric{
			o.pipeline(design.MetricRidesDeadLettered, "Sum", "dead-lettered at once"),
			o.pipeline(design.MetricRidesSetAside, "Sum", "set aside (unstorable)"),
			o.pipeline(design.MetricRidesRedriven, "Sum", "re-driven"),
		}, nil),
	})
	return o
}

func time1Minute() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(1)) }

// pipeline is one of the ride pipeline's metrics of this stage, per minute.
func (o *operations) pipeline(m design.Metric, stat, label string) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(design.MetricNamespace), MetricName: jsii.String(m.Name),
		DimensionsMap: &map[string]*string{design.DimensionStage: jsii.String(o.stage)},
		Statistic:     jsii.String(stat), Period: time1Minute(), Label: jsii.String(label),
	})
}

// notStored is the rides handed off in a period minus the rides stored in it (first time or
// again): positive while rides are on their way. A period without a datapoint of a metric counts
// it as 0 (FILL), so a topic nobody reads, with no ride stored at all, still counts.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
func (o *operations) notStored(period awscdk.Duration, label string) awscloudwatch.MathExpression {
	sum := func(m design.Metric) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(design.MetricNamespace), MetricName: jsii.String(m.Name),
			DimensionsMap: &map[string]*string{design.DimensionStage: jsii.String(o.stage)},
			Statistic:     jsii.String("Sum"), Period: period,
		})
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(handedOff, 0) - FILL(stored, 0) - FILL(alreadyStored, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"handedOff":     sum(design.MetricRidesHandedOff),
			"stored":        sum(design.MetricRidesStored),
			"alreadyStored": sum(design.MetricRidesAlreadyStored),
		},
		Period: period, Label: jsii.String(label),
	})
}

// functions charts each function's errors and throttles, and remembers its log group for the
// ride's trail.
func (o *operations) functions(fns ...*wrconstructs.GoLambda) {
	o.fns = append(o.fns, fns...)
	for _, fn := range fns {
		o.logs = append(o.logs, fn.LogGroup)
	}
}

// addNotStoredAlarm adds the booked-but-not-stored alarm to alarms: more rides handed off than stored
// in each of three 5-minute periods in a row. A ride is stored within seconds; a ride Lambda
// retries, within about 3 minutes (its retries wait 1 and 2 minutes) and so at most one period
// later, which the next period's count makes up (handed off minus stored telescopes: three
// positive periods in a row mean rides piled up in each). So it fires within 15 minutes of rides
// no longer reaching the table while RequestRide goes on answering 201 (a subscription removed, a
// filter policy, a table refusing writes), and never for a ride that was only late. With fewer
// than one ride in 5 minutes, a period with none breaks the run: the dead-letter and errors
// alarms speak for the failures that raise errors.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
func (o *operations) addNotStoredAlarm(alarms *wrconstructs.AlarmTopic) {
	alarms.AddAlarm("RidesNotStoredAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Rides were booked and not stored: for 15 minutes, each 5 minutes more rides were handed off than stored. " +
			"Is PutRideRecordSns still subscribed to the rides topic? Read the dashboard's first row, then the ride's trail (Logs Insights)"),
		Metric:            o.notStored(awscdk.Duration_Minutes(jsii.Number(5)), "handed off, not stored"),
		Threshold:         jsii.Number(1),
		EvaluationPeriods: jsii.Number(3),
		DatapointsToAlarm: jsii.Number(3),
	})
}

// apis charts each API's requests and 5xx answers.
func (o *operations) apis(apis ...*wrconstructs.HTTPAPI) []awscloudwatch.IWidget {
	var errs, counts []awscloudwatch.IMetric
	for _, a := range apis {
		name := *a.API.Node().Id()
		errs = append(errs, a.API.MetricServerError(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: time1Minute(), Label: jsii.String(name + " 5xx")}))
		counts = append(counts, a.API.MetricCount(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: time1Minute(), Label: jsii.String(name + " requests")}))
	}
	return []awscloudwatch.IWidget{graph("5xx answers per API", errs, counts)}
}

// queues charts the dead-letter queue's depth, the messages sent to it and the age of its
// oldest, and the same of the unstorable queue (rides a person must read).
func (o *operations) queues(dlq, unstorable awssqs.IQueue) awscloudwatch.IWidget {
	perMinute := func(stat, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String(stat), Period: time1Minute(), Label: jsii.String(label)}
	}
	return graph("Dead-letter and unstorable queues", []awscloudwatch.IMetric{
		dlq.MetricApproximateNumberOfMessagesVisible(perMinute("Maximum", "dead letters waiting")),
		dlq.MetricNumberOfMessagesSent(perMinute("Sum", "dead letters sent")),
		unstorable.MetricApproximateNumberOfMessagesVisible(perMinute("Maximum", "unstorable waiting")),
		unstorable.MetricNumberOfMessagesSent(perMinute("Sum", "unstorable sent")),
	}, []awscloudwatch.IMetric{dlq.MetricApproximateAgeOfOldestMessage(perMinute("Maximum", "oldest dead letter (s)"))})
}

// table charts the table's throttled reads and writes.
func (o *operations) table(t awsdynamodb.ITable) awscloudwatch.IWidget {
	throttles := func(name string) awscloudwatch.IMetric {
		return t.Metric(jsii.String(name), &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: time1Minute(), Label: jsii.String(name)})
	}
	return graph("Table throttles", []awscloudwatch.IMetric{throttles("WriteThrottleEvents"), throttles("ReadThrottleEvents")}, nil)
}

// build adds the dashboard (with its rows, the functions' errors and throttles, and every alarm
// of the stack with its state) and the ride's trail to the stack.
func (o *operations) build(alarms *wrconstructs.AlarmTopic, widgets ...awscloudwatch.IWidget) {
	var errs, throttles []awscloudwatch.IMetric
	for _, fn := range o.fns {
		name := *fn.Node().Id()
		errs = append(errs, fn.Function.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: time1Minute(), Label: jsii.String(name)}))
		throttles = append(throttles, fn.Function.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: time1Minute(), Label: jsii.String(name)}))
	}
	widgets = append([]awscloudwatch.IWidget{graph("Function errors", errs, nil), graph("Function throttles", throttles, nil)}, widgets...)
	for len(widgets) > 0 {
		n := min(3, len(widgets))
		o.rows = append(o.rows, widgets[:n])
		widgets = widgets[n:]
	}
	var all []interfacesawscloudwatch.IAlarmRef
	for _, a := range alarms.Alarms {
		all = append(all, a)
	}
	o.rows = append(o.rows, []awscloudwatch.IWidget{awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &all, Width: jsii.Number(24), Height: jsii.Number(4),
	})})
	rows := make([]*[]awscloudwatch.IWidget, len(o.rows))
	for i := range o.rows {
		rows[i] = &o.rows[i]
	}
	awscloudwatch.NewDashboard(o.stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   o.stack.StackName(),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		Widgets:         &rows,
	})
	awslogs.NewQueryDefinition(o.stack, jsii.String("RideTrailQuery"), &awslogs.QueryDefinitionProps{
		QueryDefinitionName: jsii.String(o.queryName()),
		QueryString: awslogs.NewQueryString(&awslogs.QueryStringProps{
			Fields:           jsii.Strings("@timestamp", "@log", "level", "msg", "requestId"),
			FilterStatements: jsii.Strings(fmt.Sprintf("@message like %q", RideTrailPlaceholder)),
			Sort:             jsii.String("@timestamp asc"),
			Limit:            jsii.Number(500),
		}),
		LogGroups: &o.logs,
	})
}

// RideTrailPlaceholder is the RideId in the saved query: replace it with the ride's. It matches
// both the functions' log lines (ride_id) and their metric lines (RideId).
const RideTrailPlaceholder = "PUT-THE-RIDE-ID-HERE"

// queryName files the query under the stack's name in Logs Insights' saved queries.
func (o *operations) queryName() string {
	return strings.Join([]string{*o.stack.StackName(), "A ride's trail"}, "/")
}

func graph(title string, left, right []awscloudwatch.IMetric) awscloudwatch.IWidget {
	p := &awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Width: jsii.Number(third), Height: jsii.Number(height), Left: &left}
	if len(right) > 0 {
		p.Right = &right
	}
	return awscloudwatch.NewGraphWidget(p)
}

// allowTopicTracing lets SNS send the rides topic's active-tracing segments to X-Ray, and
// nothing more: X-Ray's resource policy for the SNS service principal, for this account and this
// topic only (X-Ray's trace actions take no resource ARN, hence "*").
// https://docs.aws.amazon.com/xray/latest/devguide/xray-services-sns.html
// https://docs.aws.amazon.com/sns/latest/dg/sns-active-tracing.html
func allowTopicTracing(stack awscdk.Stack, topic awssns.ITopic) {
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"SNSActiveTracing","Effect":"Allow",` +
		`"Principal":{"Service":"sns.amazonaws.com"},` +
		`"Action":["xray:PutTraceSegments","xray:GetSamplingRules","xray:GetSamplingTargets"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:SourceAccount":"${AWS::AccountId}"},"ArnEquals":{"aws:SourceArn":"${TopicArn}"}}}]}`
	awsxray.NewCfnResourcePolicy(stack, jsii.String("RidesTopicTracingPolicy"), &awsxray.CfnResourcePolicyProps{
		// X-Ray's resource policies are named per account and region: the stack's name keeps
		// stages apart.
		PolicyName:     jsii.String(*stack.StackName() + "-rides-topic-tracing"),
		PolicyDocument: awscdk.Fn_Sub(jsii.String(doc), &map[string]*string{"TopicArn": topic.TopicArn()}),
	})
}
