package stacks_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// joined renders a template value as the string CloudFormation makes of it, with each reference
// written as Ref:<logical ID> or GetAtt:<logical ID>.<attribute> and each pseudo parameter as
// its name.
func joined(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			if strings.HasPrefix(ref, "AWS::") {
				return ref
			}
			return "Ref:" + ref
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf("GetAtt:%v.%v", att[0], att[1])
		}
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, joined(p))
			}
			return strings.Join(parts, j[0].(string))
		}
	}
	return jsonString(v)
}

// functionsToWatch are the stack's functions an operator watches: every function but the
// rollout guard's, which runs only while CloudFormation deploys.
func functionsToWatch(tpl map[string]any) []string {
	var out []string
	for id, fn := range resources(tpl, "AWS::Lambda::Function") {
		if !strings.Contains(jsonString(fn["Metadata"]), "lambdas/rollout-guard") {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// dimensionTypes are the resource types AWS's metrics name by each dimension.
var dimensionTypes = map[string]any{"FunctionName": "AWS::Lambda::Function", "ApiId": "AWS::ApiGatewayV2::Api",
	"QueueName": "AWS::SQS::Queue", "TableName": "AWS::DynamoDB::Table"}

func TestEachStackHasADashboardWhoseEveryWidgetNamesAMetricTheSystemEmitsOrAWSRecords(t *testing.T) {
	emitted := map[string]bool{}
	for _, m := range design.Metrics() {
		emitted[m.Name] = true
	}
	for _, step := range design.Steps() {
		s := synth(t, step)
		for kind, tpl := range map[design.StackKind]map[string]any{design.WildRydes: s.wrJSON, design.RideRecord: s.rrJSON} {
			name := design.StackName(kind, stage)
			where := fmt.Sprintf("step %d %s", step, name)
			dashboards := resources(tpl, "AWS::CloudWatch::Dashboard")
			if len(dashboards) != 1 {
				t.Fatalf("%s: %d dashboards, want one", where, len(dashboards))
			}
			var body string
			for _, d := range dashboards {
				if props(d)["DashboardName"] != name {
					t.Errorf("%s: the dashboard is named %v, want the stack's name %s (one per stack and stage)", where, props(d)["DashboardName"], name)
				}
				body = joined(props(d)["DashboardBody"])
			}
			d, err := cloudwatch.ParseDashboard(body)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var titles, charted, alarmed []string
			for _, w := range d.Widgets {
				titles = append(titles, w.Properties.Title)
				ids := map[string]bool{}
				for _, sr := range w.Series {
					ids[sr.ID] = true
				}
				for _, sr := range w.Series {
					what := fmt.Sprintf("%s: widget %q, %s", where, w.Properties.Title, sr.Label)
					if sr.Expression != "" {
						for _, id := range []string{"handedOff", "stored", "alreadyStored"} {
							if strings.Contains(sr.Expression, id) && !ids[id] {
								t.Errorf("%s: the expression %q uses %s, which the widget does not chart", what, sr.Expression, id)
							}
						}
						continue
					}
					switch dim, aws := cloudwatch.IsAWSMetric(sr.Namespace, sr.Name); {
					case sr.Namespace == design.MetricNamespace && emitted[sr.Name]:
						if len(sr.Dimensions) != 1 || sr.Dimensions[design.DimensionStage] != stage {
							t.Errorf("%s: dimensions %v, want the stage's (%s=%s)", what, sr.Dimensions, design.DimensionStage, stage)
						}
					case aws:
						v := sr.Dimensions[dim]
						id, _ := strings.CutPrefix(strings.TrimPrefix(v, "GetAtt:"), "Ref:")
						id, _, _ = strings.Cut(id, ".")
						if len(sr.Dimensions) != 1 || !strings.Contains(v, ":") {
							t.Errorf("%s: dimensions %v, want %s of a resource of the stack", what, sr.Dimensions, dim)
						} else if res, _ := tpl["Resources"].(map[string]any)[id].(map[string]any); res["Type"] != dimensionTypes[dim] {
							t.Errorf("%s: %s %s is not a %s of the stack", what, dim, v, dimensionTypes[dim])
						}
						charted = append(charted, fmt.Sprintf("%s %s %s", sr.Namespace, sr.Name, id))
					default:
						t.Errorf("%s: %s/%s is neither a metric the functions emit (design.Metrics) nor one AWS records", what, sr.Namespace, sr.Name)
					}
				}
				alarmed = append(alarmed, w.Properties.Alarms...)
			}
			// Readable at a glance: the ride pipeline first, then each part of the stack.
			want := []string{"Rides handed off and stored (per minute)", "Delivery latency, booking to table (ms)", "Function errors", "Function throttles", "5xx answers per API", "Alarms"}
			if kind == design.RideRecord {
				want = append(want, "Table throttles")
				if step.HasSNSSubscriber() {
					want = append(want, "Dead-letter and unstorable queues")
				}
			}
			for _, title := range want {
				if !slices.Contains(titles, title) {
					t.Errorf("%s: no widget %q among %q", where, title, titles)
				}
			}
			for _, fn := range functionsToWatch(tpl) {
				for _, m := range []string{"Errors", "Throttles"} {
					if !slices.Contains(charted, "AWS/Lambda "+m+" "+fn) {
						t.Errorf("%s: the dashboard does not chart %s's %s", where, fn, m)
					}
				}
			}
			var alarms []string
			for id := range resources(tpl, "AWS::CloudWatch::Alarm") {
				alarms = append(alarms, "GetAtt:"+id+".Arn")
			}
			slices.Sort(alarms)
			slices.Sort(alarmed)
			if !slices.Equal(alarms, alarmed) {
				t.Errorf("%s: the alarm widget shows %v, want every alarm of the stack %v", where, alarmed, alarms)
			}
		}
	}
}

func TestTheBookedButNotStoredAlarmComparesRidesHandedOffWithRidesStored(t *testing.T) {
	for _, step := range design.Steps() {
		tpl := synth(t, step).wrJSON
		var found []map[string]any
		for _, a := range resources(tpl, "AWS::CloudWatch::Alarm") {
			if props(a)["Metrics"] != nil {
				found = append(found, props(a))
			}
		}
		if len(found) != 1 {
			t.Fatalf("step %d: %d metric math alarms in %s, want the booked-but-not-stored one", step, len(found), design.StackName(design.WildRydes, stage))
		}
		p := found[0]
		if p["EvaluationPeriods"] != 3.0 || p["DatapointsToAlarm"] != 3.0 || p["Threshold"] != 1.0 || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
			t.Errorf("step %d: the alarm fires on %v of %v periods at %v %v, want 3 of 3 at >= 1", step, p["DatapointsToAlarm"], p["EvaluationPeriods"], p["ComparisonOperator"], p["Threshold"])
		}
		metrics := map[string]string{}
		var expression string
		for _, q := range p["Metrics"].([]any) {
			q := q.(map[string]any)
			if e, ok := q["Expression"].(string); ok {
				expression = e
				continue
			}
			ms := q["MetricStat"].(map[string]any)
			m := ms["Metric"].(map[string]any)
			metrics[q["Id"].(string)] = fmt.Sprintf("%v %v %s %v/%v", m["Namespace"], m["MetricName"], jsonString(m["Dimensions"]), ms["Stat"], ms["Period"])
		}
		dims := fmt.Sprintf(`[{"Name":"Stage","Value":"%s"}]`, stage)
		want := map[string]string{
			"handedOff":     "WildRydes RidesHandedOff " + dims + " Sum/300",
			"stored":        "WildRydes RidesStored " + dims + " Sum/300",
			"alreadyStored": "WildRydes RidesAlreadyStored " + dims + " Sum/300",
		}
		if fmt.Sprint(metrics) != fmt.Sprint(want) || expression != "FILL(handedOff, 0) - FILL(stored, 0) - FILL(alreadyStored, 0)" {
			t.Errorf("step %d: the alarm computes %q over %v, want rides handed off minus rides stored (first time or again) per 5 minutes, over %v", step, expression, metrics, want)
		}
	}
}

func TestEachStackSavesAQueryThatFindsOneRideInEveryFunctionsLogGroup(t *testing.T) {
	for _, step := range design.Steps() {
		s := synth(t, step)
		for kind, tpl := range map[design.StackKind]map[string]any{design.WildRydes: s.wrJSON, design.RideRecord: s.rrJSON} {
			where := fmt.Sprintf("step %d %s", step, design.StackName(kind, stage))
			queries := resources(tpl, "AWS::Logs::QueryDefinition")
			if len(queries) != 1 {
				t.Fatalf("%s: %d saved queries, want one", where, len(queries))
			}
			for _, q := range queries {
				p := props(q)
				var groups []string
				for _, g := range p["LogGroupNames"].([]any) {
					groups = append(groups, joined(g))
				}
				var want []string
				for _, fn := range functionsToWatch(tpl) {
					want = append(want, joined(props(resources(tpl, "AWS::Lambda::Function")[fn])["LoggingConfig"].(map[string]any)["LogGroup"]))
				}
				slices.Sort(groups)
				slices.Sort(want)
				if !slices.Equal(groups, want) {
					t.Errorf("%s: the query reads %v, want every watched function's log group %v", where, groups, want)
				}
				query, _ := p["QueryString"].(string)
				if !strings.Contains(query, fmt.Sprintf("filter @message like %q", stacks.RideTrailPlaceholder)) || !strings.Contains(query, "sort @timestamp asc") {
					t.Errorf("%s: the query %q does not find one ride's lines in time order", where, query)
				}
				if name, _ := p["Name"].(string); !strings.HasPrefix(name, design.StackName(kind, stage)+"/") {
					t.Errorf("%s: the query is saved as %q, not under the stack's name", where, name)
				}
			}
		}
	}
}

func TestTheRidesTopicIsTracedAndOnlySNSMaySendItsSegments(t *testing.T) {
	for _, step := range design.Steps() {
		tpl := synth(t, step).wrJSON
		topic, ok := resources(tpl, "AWS::SNS::Topic")[stacks.TopicLogicalID]
		policies := resources(tpl, "AWS::XRay::ResourcePolicy")
		if !step.HasTopic() {
			if ok || len(policies) > 0 {
				t.Errorf("step %d: a rides topic or an X-Ray policy before the topic's step", step)
			}
			continue
		}
		if props(topic)["TracingConfig"] != "Active" {
			t.Errorf("step %d: the rides topic's TracingConfig is %v, want Active: X-Ray's trace would stop at the publish", step, props(topic)["TracingConfig"])
		}
		if len(policies) != 1 {
			t.Fatalf("step %d: %d X-Ray resource policies, want the one that lets SNS send the topic's segments", step, len(policies))
		}
		for _, pol := range policies {
			sub := props(pol)["PolicyDocument"].(map[string]any)["Fn::Sub"].([]any)
			doc := sub[0].(string)
			for _, want := range []string{`"Principal":{"Service":"sns.amazonaws.com"}`,
				`"Action":["xray:PutTraceSegments","xray:GetSamplingRules","xray:GetSamplingTargets"]`,
				`"aws:SourceAccount":"${AWS::AccountId}"`, `"aws:SourceArn":"${TopicArn}"`} {
				if !strings.Contains(doc, want) {
					t.Errorf("step %d: the X-Ray policy %s lacks %s", step, doc, want)
				}
			}
			if jsonString(sub[1]) != jsonString(map[string]any{"TopicArn": refTo(stacks.TopicLogicalID)}) {
				t.Errorf("step %d: the policy's topic is %s, want the rides topic", step, jsonString(sub[1]))
			}
		}
	}
}
