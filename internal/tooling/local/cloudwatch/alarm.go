package cloudwatch

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// The states of an alarm.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// The comparisons, and how a state reason words them.
var comparisons = map[string]struct {
	words  string
	breach func(v, threshold float64) bool
}{
	"GreaterThanOrEqualToThreshold": {"greater than or equal to", func(v, t float64) bool { return v >= t }},
	"GreaterThanThreshold":          {"greater than", func(v, t float64) bool { return v > t }},
	"LessThanThreshold":             {"less than", func(v, t float64) bool { return v < t }},
	"LessThanOrEqualToThreshold":    {"less than or equal to", func(v, t float64) bool { return v <= t }},
}

// rule is an alarm's rule made ready to evaluate: the metrics it reads and, for metric math, the
// expression of the query that returns the alarm's value.
type rule struct {
	model.AlarmRule
	period  time.Duration
	stats   map[string]*model.MetricStat // by query ID; "" for a single-metric alarm
	value   expr
	compare func(v, threshold float64) bool
	words   string
}

// compile checks that the local CloudWatch can evaluate r, as PutMetricAlarm checks an alarm.
func compile(r model.AlarmRule) (*rule, error) {
	c, ok := comparisons[r.Comparison]
	if !ok {
		return nil, fmt.Errorf("ComparisonOperator %q is not one the local CloudWatch evaluates", r.Comparison)
	}
	if r.EvaluationPeriods < 1 || r.DatapointsToAlarm < 1 || r.DatapointsToAlarm > r.EvaluationPeriods {
		return nil, fmt.Errorf("DatapointsToAlarm %g of EvaluationPeriods %g: want 1 <= M <= N", r.DatapointsToAlarm, r.EvaluationPeriods)
	}
	out := &rule{AlarmRule: r, compare: c.breach, words: c.words, stats: map[string]*model.MetricStat{}}
	if len(r.Metrics) == 0 {
		if _, err := reducer(r.Statistic); err != nil {
			return nil, err
		}
		out.stats[""] = &model.MetricStat{Namespace: r.Namespace, MetricName: r.MetricName, Dimensions: r.Dimensions,
			Stat: r.Statistic, Period: r.Period}
		out.period = seconds(r.Period)
		out.value = func(vars map[string]*float64) *float64 { return vars[""] }
		return out, out.checkPeriod()
	}
	var returned []model.MetricQuery
	for _, q := range r.Metrics {
		if q.Stat != nil {
			if _, err := reducer(q.Stat.Stat); err != nil {
				return nil, fmt.Errorf("metric %s: %w", q.ID, err)
			}
			out.stats[q.ID] = q.Stat
			out.period = seconds(q.Stat.Period)
		}
		if q.ReturnData {
			returned = append(returned, q)
		}
	}
	if len(returned) != 1 {
		return nil, fmt.Errorf("%d metric queries return data: an alarm's metric math returns exactly one", len(returned))
	}
	q := returned[0]
	if q.Stat != nil {
		id := q.ID
		out.value = func(vars map[string]*float64) *float64 { return vars[id] }
		return out, out.checkPeriod()
	}
	e, ids, err := parseExpr(q.Expression)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if out.stats[id] == nil {
			return nil, fmt.Errorf("metric math %q: %s is not a metric of the alarm (expressions over expressions are not evaluated locally)", q.Expression, id)
		}
	}
	out.value = e
	return out, out.checkPeriod()
}

func (r *rule) checkPeriod() error {
	if r.period < time.Minute || r.period%time.Minute != 0 {
		return fmt.Errorf("period %s: the local CloudWatch evaluates periods of whole minutes", r.period)
	}
	return nil
}

func seconds(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }

// datapoint is the alarm's value in one period; missing when the period has no data.
type datapoint struct {
	start   time.Time
	value   float64
	missing bool
}

// Evaluation is one evaluation of an alarm: the state it leads to and why.
type Evaluation struct {
	State, Reason string
	// Values are the alarm's values in the evaluated periods, the most recent first (a period
	// without data is left out).
	Values []float64
}

// evaluationRange is how many periods CloudWatch reads back to evaluate an alarm: more than its
// evaluation periods, so that a period with no data can be made up from an older one. AWS does
// not publish the number; its example of an alarm with one five-minute period reads three.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html
func (r *rule) evaluationRange() int { return int(r.EvaluationPeriods) + 2 }

// evaluate evaluates the rule at now, as CloudWatch does every minute: the periods end at the
// minute (periods of five minutes slide by one minute at each evaluation), the most recent
// first; the alarm's value in each; then the missing-data rules of
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html:
// with at least N real datapoints in the range, the N most recent real ones decide; with fewer,
// the most recent N periods are made up of the real ones and missing ones treated as
// TreatMissingData says (breaching, notBreaching; missing and ignore decide nothing by
// themselves); with none, missing gives INSUFFICIENT_DATA, ignore keeps the current state.
// Alarms on AWS/DynamoDB metrics always ignore missing data.
func (r *rule) evaluate(s *Store, now time.Time, current string) Evaluation {
	end := now.Truncate(time.Minute)
	points := make([]datapoint, 0, r.evaluationRange())
	for i := 0; i < r.evaluationRange(); i++ {
		start := end.Add(-time.Duration(i+1) * r.period)
		vars := map[string]*float64{}
		for id, m := range r.stats {
			vars[id] = s.value(m, start, r.period)
		}
		if v := r.value(vars); v != nil {
			points = append(points, datapoint{start: start, value: *v})
		} else {
			points = append(points, datapoint{start: start, missing: true})
		}
	}
	treat := r.TreatMissingData
	if slices.Contains(r.Namespaces(), "AWS/DynamoDB") {
		treat = "ignore"
	}
	n, m := int(r.EvaluationPeriods), int(r.DatapointsToAlarm)
	var real []datapoint
	for _, p := range points {
		if !p.missing {
			real = append(real, p)
		}
	}
	ev := Evaluation{}
	for _, p := range real {
		ev.Values = append(ev.Values, p.value)
	}
	if len(real) >= n {
		return r.decide(ev, real[:n], 0, "", m)
	}
	// Fewer real datapoints than N: all of them count, and missing ones make up the rest.
	used, missing := real, n-len(real)
	switch treat {
	case "breaching", "notBreaching":
		return r.decide(ev, used, missing, treat, m)
	}
	breaching := r.count(used)
	switch {
	case breaching >= m:
		return r.decide(ev, used, missing, treat, m)
	case len(used)-breaching > n-m: // even missing datapoints that breached would not reach M
		return r.decide(ev, used, missing, treat, m)
	case treat == "ignore" || len(used) > 0:
		ev.State, ev.Reason = current, ""
		return ev
	}
	ev.State = StateInsufficientData
	ev.Reason = fmt.Sprintf("Insufficient Data: %d datapoint%s %s unknown.", missing, plural(missing), wasWere(missing))
	return ev
}

func (r *rule) count(ps []datapoint) int {
	n := 0
	for _, p := range ps {
		if r.compare(p.value, r.Threshold) {
			n++
		}
	}
	return n
}

// decide says ALARM when m of the datapoints (with missing ones treated as treat) breach, else
// OK, with the reason in CloudWatch's words.
func (r *rule) decide(ev Evaluation, used []datapoint, missing int, treat string, m int) Evaluation {
	breaching := r.count(used)
	if treat == "breaching" {
		breaching += missing
	}
	total := len(used) + missing
	ev.State = StateOK
	if breaching >= m {
		ev.State = StateAlarm
	}
	if len(used) == 0 {
		as := map[string]string{"breaching": "Breaching", "notBreaching": "NonBreaching"}[treat]
		ev.Reason = fmt.Sprintf("Threshold Crossed: no datapoints were received for %d period%s and %d missing datapoint%s %s treated as [%s].",
			total, plural(total), missing, plural(missing), wasWere(missing), as)
		return ev
	}
	var shown []string
	for _, p := range used {
		shown = append(shown, fmt.Sprintf("%s (%s)", number(p.value), p.start.UTC().Format("02/01/06 15:04:05")))
	}
	n := breaching
	verb, transition := r.words, "OK -> ALARM"
	if ev.State == StateOK {
		n, verb, transition = total-breaching, "not "+r.words, "ALARM -> OK"
	}
	ev.Reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s) (minimum %d datapoint%s for %s transition).",
		n, total, strings.Join(shown, ", "), wasWere(n), verb, number(r.Threshold), m, plural(m), transition)
	if missing > 0 {
		ev.Reason = strings.TrimSuffix(ev.Reason, ".") + fmt.Sprintf("; %d missing datapoint%s %s treated as [%s].", missing, plural(missing), wasWere(missing), treat)
	}
	return ev
}

func number(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprint(v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
