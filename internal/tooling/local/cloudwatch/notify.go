package cloudwatch

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// regionNames are the names CloudWatch's notifications give the regions.
var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
	"us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)",
	"ap-northeast-1": "Asia Pacific (Tokyo)", "ap-southeast-2": "Asia Pacific (Sydney)",
}

// maxSubject is SNS's limit on a message's subject
// (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): CloudWatch's subjects name the
// alarm, whose generated name can be longer, so the subject is cut there.
const maxSubject = 99

// notification is what CloudWatch publishes to an alarm action's topic: the subject
// (`ALARM: "name" in region`), and SNS's message structure, whose "default" (what Lambda, SQS
// and HTTP subscribers get) is the JSON of the alarm's state change and whose "email" is the text
// an email subscriber reads. The JSON's shape is the one aws-lambda-go reads
// (events.CloudWatchAlarmSNSPayload; a sample: aws-lambda-go's
// events/testdata/cloudwatch-alarm-sns-payload-single-metric.json, and the multiple-metrics one
// for metric math).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
func (s *Service) notification(a *alarm, t Transition) (string, map[string]string) {
	region := regionNames[s.opts.Region]
	if region == "" {
		region = s.opts.Region
	}
	r := a.rule.AlarmRule
	trigger := events.CloudWatchAlarmTrigger{Period: int64(a.rule.period.Seconds()), EvaluationPeriods: int64(r.EvaluationPeriods),
		ComparisonOperator: r.Comparison, Threshold: r.Threshold, TreatMissingData: r.TreatMissingData}
	if len(r.Metrics) == 0 {
		trigger.MetricName, trigger.Namespace, trigger.Unit = r.MetricName, r.Namespace, r.Unit
		trigger.StatisticType, trigger.Statistic = "Statistic", strings.ToUpper(r.Statistic)
		if _, err := reducer(r.Statistic); err == nil && strings.HasPrefix(r.Statistic, "p") {
			trigger.StatisticType, trigger.Statistic = "ExtendedStatistic", r.Statistic
		}
		trigger.Dimensions = cwDimensions(r.Dimensions)
	}
	for _, q := range r.Metrics {
		mq := events.CloudWatchMetricDataQuery{ID: q.ID, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
		if q.Stat != nil {
			mq.MetricStat = events.CloudWatchMetricStat{Period: int64(q.Stat.Period), Stat: q.Stat.Stat, Unit: q.Stat.Unit,
				Metric: events.CloudWatchMetric{Namespace: q.Stat.Namespace, MetricName: q.Stat.MetricName, Dimensions: cwDimensions(q.Stat.Dimensions)}}
		}
		trigger.Metrics = append(trigger.Metrics, mq)
	}
	payload := events.CloudWatchAlarmSNSPayload{AlarmName: a.name, AlarmDescription: r.Description, AWSAccountID: s.opts.Account,
		NewStateValue: t.NewState, NewStateReason: t.Reason, StateChangeTime: t.Time.UTC().Format("2006-01-02T15:04:05.000-0700"),
		Region: region, AlarmARN: a.arn, OldStateValue: t.OldState, Trigger: trigger}
	body, _ := json.Marshal(payload)
	subject := fmt.Sprintf("%s: %q in %s", t.NewState, a.name, region)
	if len(subject) > maxSubject {
		subject = subject[:maxSubject]
	}
	return subject, map[string]string{"default": string(body), "email": emailText(a, t, region, s.opts.Account)}
}

func cwDimensions(dims map[string]any) []events.CloudWatchDimension {
	var out []events.CloudWatchDimension
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		out = append(out, events.CloudWatchDimension{Name: k, Value: fmt.Sprint(dims[k])})
	}
	return out
}

// emailText is the notification as an email subscriber reads it, in the layout of CloudWatch's
// alarm emails.
func emailText(a *alarm, t Transition, region, account string) string {
	r := a.rule.AlarmRule
	var b strings.Builder
	fmt.Fprintf(&b, "You are receiving this email because your Amazon CloudWatch Alarm %q in the %s region has entered the %s state, because %q at %q.\n\n",
		a.name, region, t.NewState, t.Reason, t.Time.UTC().Format("Monday 02 January, 2006 15:04:05 UTC"))
	fmt.Fprintf(&b, "Alarm Details:\n- Name:                       %s\n- Description:                %s\n- State Change:               %s -> %s\n- Reason for State Change:    %s\n- Timestamp:                  %s\n- AWS Account:                %s\n- Alarm Arn:                  %s\n\n",
		a.name, r.Description, t.OldState, t.NewState, t.Reason, t.Time.UTC().Format("Monday 02 January, 2006 15:04:05 UTC"), account, a.arn)
	fmt.Fprintf(&b, "Threshold:\n- The alarm is in the ALARM state when the metric is %s %s for at least %g of the last %g period(s) of %g seconds.\n\n",
		r.Comparison, number(r.Threshold), r.DatapointsToAlarm, r.EvaluationPeriods, a.rule.period.Seconds())
	b.WriteString("Monitored Metric:\n")
	if len(r.Metrics) == 0 {
		fmt.Fprintf(&b, "- MetricNamespace:                     %s\n- MetricName:                          %s\n- Dimensions:                          %s\n- Period:                              %g seconds\n- Statistic:                           %s\n",
			r.Namespace, r.MetricName, dimensionText(r.Dimensions), r.Period, r.Statistic)
	}
	for _, q := range r.Metrics {
		if q.Stat != nil {
			fmt.Fprintf(&b, "- %s: %s %s %s (%s, %g seconds)\n", q.ID, q.Stat.Namespace, q.Stat.MetricName, dimensionText(q.Stat.Dimensions), q.Stat.Stat, q.Stat.Period)
		} else {
			fmt.Fprintf(&b, "- %s: %s\n", q.ID, q.Expression)
		}
	}
	fmt.Fprintf(&b, "- TreatMissingData:                    %s\n\nState Change Actions:\n- OK: %s\n- ALARM: %s\n- INSUFFICIENT_DATA: %s\n",
		r.TreatMissingData, actionText(r.OKActions), actionText(r.Actions), actionText(r.InsufficientDataActions))
	return b.String()
}

func dimensionText(dims map[string]any) string {
	var parts []string
	for _, d := range cwDimensions(dims) {
		parts = append(parts, fmt.Sprintf("[%s = %s]", d.Name, d.Value))
	}
	return strings.Join(parts, " ")
}

func actionText(actions []any) string {
	var parts []string
	for _, a := range actions {
		parts = append(parts, "[SNS] "+fmt.Sprint(a))
	}
	return strings.Join(parts, " ")
}
