// Package metrics writes the ride pipeline's metrics (design.Metrics) as CloudWatch embedded
// metric format (EMF) log lines: CloudWatch Logs extracts the metrics from the function's log, so
// emitting one costs a line on stdout, no API call and no added latency.
//
// The format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
// A Lambda function writes the lines to stdout; with the JSON log format Lambda forwards a line
// that is already JSON as it is, without encoding it again:
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html
package metrics

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// Emitter writes EMF lines to a writer (os.Stdout in a function). A nil *Emitter emits nothing,
// so a handler without one (a test, a tool) needs no check.
type Emitter struct {
	mu    sync.Mutex
	w     io.Writer
	stage string
	// Now is the clock of the lines' timestamps; nil means time.Now.
	Now func() time.Time
}

// unknown is the value of a dimension the caller did not give.
const unknown = "unknown"

// New is an emitter writing to w for stage ("" is design.UnknownStage).
func New(w io.Writer, stage string) *Emitter {
	if stage == "" {
		stage = design.UnknownStage
	}
	return &Emitter{w: w, stage: stage}
}

// Value is one value of a metric.
type Value struct {
	Metric design.Metric
	Value  float64
}

// One is a count of one.
func One(m design.Metric) Value { return Value{Metric: m, Value: 1} }

// Line is what one EMF line carries: the values, the dimensions they need beyond the stage, and
// the ride they are about (a property, not a dimension: a search for a RideId in the logs finds
// its metrics too, at no metric cost).
type Line struct {
	Values     []Value
	Dimensions map[string]string
	RideID     string
}

// Emit writes l as one line. Values of the same metric in one line become one array of values.
// A dimension that a metric's dimension sets name and l does not give is "unknown": a line that
// references a missing dimension would be dropped by CloudWatch whole.
func (e *Emitter) Emit(l Line) {
	if e == nil || len(l.Values) == 0 {
		return
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	root := map[string]any{}
	type directive struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []metric   `json:"Metrics"`
	}
	var directives []*directive
	bySets := map[string]*directive{} // metrics sharing their dimension sets share a directive
	values := map[string][]float64{}
	for _, v := range l.Values {
		name := v.Metric.Name
		if _, seen := values[name]; !seen {
			key := setsKey(v.Metric.DimensionSets)
			d := bySets[key]
			if d == nil {
				d = &directive{Namespace: design.MetricNamespace, Dimensions: v.Metric.DimensionSets}
				bySets[key] = d
				directives = append(directives, d)
			}
			d.Metrics = append(d.Metrics, metric{Name: name, Unit: v.Metric.Unit})
			for _, set := range v.Metric.DimensionSets {
				for _, dim := range set {
					root[dim] = unknown
				}
			}
		}
		values[name] = append(values[name], v.Value)
	}
	for k, v := range l.Dimensions {
		if _, used := root[k]; used { // a dimension no metric of the line uses is left out
			root[k] = v
		}
	}
	root[design.DimensionStage] = e.stage
	for name, vs := range values {
		if len(vs) == 1 {
			root[name] = vs[0]
		} else {
			root[name] = vs
		}
	}
	if l.RideID != "" {
		root["RideId"] = l.RideID
	}
	root["_aws"] = map[string]any{"Timestamp": now().UnixMilli(), "CloudWatchMetrics": directives}
	line, err := json.Marshal(root)
	if err != nil { // only numbers and strings: NaN or an infinity, a caller's mistake
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.w.Write(append(line, '\n')) // one write: lines of concurrent invocations do not interleave
}

type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

func setsKey(sets [][]string) string {
	parts := make([]string, len(sets))
	for i, s := range sets {
		parts[i] = strings.Join(s, ",")
	}
	return strings.Join(parts, ";")
}
