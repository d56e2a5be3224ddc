package model

import (
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// AlarmRule is what CloudWatch evaluates for an AWS::CloudWatch::Alarm: one metric (Namespace,
// MetricName, Dimensions, Statistic or ExtendedStatistic, Period) or a metric math query
// (Metrics), compared with Threshold over EvaluationPeriods periods, DatapointsToAlarm of them
// breaching, missing data treated as TreatMissingData. The model reads it from a template
// (dimension values unresolved); the local system reads it from the properties its deploy
// resolved, with the same parser.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html
type AlarmRule struct {
	Description                                  string
	Namespace, MetricName, Statistic, Comparison string
	Unit                                         string
	Threshold, Period, EvaluationPeriods         float64
	// DatapointsToAlarm is M of "M out of N"; CloudFormation's default is EvaluationPeriods.
	DatapointsToAlarm float64
	// TreatMissingData is missing (the default), notBreaching, breaching or ignore.
	TreatMissingData string
	// Dimensions are template values by name (strings once resolved).
	Dimensions map[string]any
	// Metrics is the metric math query, when the alarm has one instead of a single metric.
	Metrics []MetricQuery
	// Actions (AlarmActions), OKActions and InsufficientDataActions: template values (ARNs once
	// resolved).
	Actions, OKActions, InsufficientDataActions []any
}

// MetricQuery is one entry of an alarm's or a dashboard widget's metric math: a metric with its
// statistic (Stat), or an expression over the other entries' IDs.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudwatch-alarm-metricdataquery.html
type MetricQuery struct {
	ID, Expression, Label string
	// Stat is nil for an expression.
	Stat *MetricStat
	// ReturnData: this entry is the alarm's value (exactly one entry of an alarm returns data).
	ReturnData bool
}

// MetricStat is a metric and how it is aggregated.
type MetricStat struct {
	Namespace, MetricName string
	Dimensions            map[string]any
	// Stat is Sum, Maximum, p99 and the like.
	Stat   string
	Period float64
	Unit   string
}

// ParseAlarmRule reads an alarm's properties.
func ParseAlarmRule(p map[string]any) AlarmRule {
	a := AlarmRule{Dimensions: dimensions(p["Dimensions"]), Actions: list(p["AlarmActions"]),
		OKActions: list(p["OKActions"]), InsufficientDataActions: list(p["InsufficientDataActions"]),
		TreatMissingData: "missing"}
	a.Description, _ = p["AlarmDescription"].(string)
	a.Namespace, _ = p["Namespace"].(string)
	a.MetricName, _ = p["MetricName"].(string)
	a.Statistic, _ = p["Statistic"].(string)
	if ext, ok := p["ExtendedStatistic"].(string); ok {
		a.Statistic = ext
	}
	a.Unit, _ = p["Unit"].(string)
	a.Comparison, _ = p["ComparisonOperator"].(string)
	if v, ok := p["TreatMissingData"].(string); ok {
		a.TreatMissingData = v
	}
	a.Threshold, _ = cfn.Number(p["Threshold"])
	a.Period, _ = cfn.Number(p["Period"])
	a.EvaluationPeriods, _ = cfn.Number(p["EvaluationPeriods"])
	a.DatapointsToAlarm = a.EvaluationPeriods
	if v, ok := cfn.Number(p["DatapointsToAlarm"]); ok {
		a.DatapointsToAlarm = v
	}
	for _, m := range list(p["Metrics"]) {
		q := asMap(m)
		mq := MetricQuery{ReturnData: true}
		mq.ID, _ = q["Id"].(string)
		mq.Expression, _ = q["Expression"].(string)
		mq.Label, _ = q["Label"].(string)
		if rd, ok := q["ReturnData"].(bool); ok {
			mq.ReturnData = rd
		}
		if ms := asMap(q["MetricStat"]); len(ms) > 0 {
			metric := asMap(ms["Metric"])
			s := &MetricStat{Dimensions: dimensions(metric["Dimensions"])}
			s.Namespace, _ = metric["Namespace"].(string)
			s.MetricName, _ = metric["MetricName"].(string)
			s.Stat, _ = ms["Stat"].(string)
			s.Unit, _ = ms["Unit"].(string)
			s.Period, _ = cfn.Number(ms["Period"])
			mq.Stat = s
		}
		a.Metrics = append(a.Metrics, mq)
	}
	return a
}

// Namespaces lists the namespaces of the metrics the alarm reads.
func (a AlarmRule) Namespaces() []string {
	if len(a.Metrics) == 0 {
		return []string{a.Namespace}
	}
	var out []string
	for _, m := range a.Metrics {
		if m.Stat != nil {
			out = append(out, m.Stat.Namespace)
		}
	}
	return out
}

// dimensions reads a list of {Name, Value} into a map.
func dimensions(v any) map[string]any {
	out := map[string]any{}
	for _, d := range list(v) {
		if name, ok := asMap(d)["Name"].(string); ok {
			out[name] = asMap(d)["Value"]
		}
	}
	return out
}
