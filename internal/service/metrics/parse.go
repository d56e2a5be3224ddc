package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Datum is what CloudWatch extracts from an EMF line for one metric under one of its dimension
// sets: "each unique combination of dimensions is a separate metric".
type Datum struct {
	Namespace  string
	Name       string
	Unit       string
	Dimensions map[string]string
	Values     []float64
	Time       time.Time
}

// String names the datum's metric: Namespace/Name{Dim=value,...}, dimensions sorted.
func (d Datum) String() string {
	dims := make([]string, 0, len(d.Dimensions))
	for _, k := range slices.Sorted(maps.Keys(d.Dimensions)) {
		dims = append(dims, k+"="+d.Dimensions[k])
	}
	return d.Namespace + "/" + d.Name + "{" + strings.Join(dims, ",") + "}"
}

// ParseLog parses every line of a log (a function's stdout) and returns the data of its EMF lines,
// in order; the first line that breaks the specification is an error naming it.
func ParseLog(log []byte) ([]Datum, error) {
	var out []Datum
	for i, line := range bytes.Split(log, []byte("\n")) {
		data, err := Parse(line)
		if err != nil {
			return out, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, data...)
	}
	return out, nil
}

// Limits of the specification.
const (
	maxMetricsPerDirective = 100
	maxDimensionsPerSet    = 30
	maxValuesPerMetric     = 100
)

// Parse reads one log line as CloudWatch Logs reads an EMF line, and returns its data. A line
// that is not JSON, or has no "_aws" member, is an ordinary log line: no data and no error. A line
// with an "_aws" member that breaks the specification is an error saying how (CloudWatch would
// extract nothing from it). The rules are those of
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
func Parse(line []byte) ([]Datum, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, nil
	}
	// Most lines are ordinary logs: one without "_aws" (nor an escape that could spell it) has
	// no such member, and is not decoded at all.
	if !bytes.Contains(line, []byte("_aws")) && !bytes.Contains(line, []byte(`\u`)) {
		return nil, nil
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		return nil, nil
	}
	rawAWS, ok := root["_aws"]
	if !ok {
		return nil, nil
	}
	var meta struct {
		Timestamp         *int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	}
	if err := json.Unmarshal(rawAWS, &meta); err != nil {
		return nil, fmt.Errorf("_aws: %w", err)
	}
	if meta.Timestamp == nil {
		return nil, fmt.Errorf("_aws.Timestamp is missing")
	}
	if meta.CloudWatchMetrics == nil {
		return nil, fmt.Errorf("_aws.CloudWatchMetrics is missing")
	}
	at := time.UnixMilli(*meta.Timestamp).UTC()
	var out []Datum
	for i, d := range meta.CloudWatchMetrics {
		if d.Namespace == "" || len(d.Namespace) > 255 {
			return nil, fmt.Errorf("directive %d: Namespace %q must be 1 to 255 characters", i, d.Namespace)
		}
		if d.Dimensions == nil {
			return nil, fmt.Errorf("directive %d: Dimensions is missing", i)
		}
		if len(d.Metrics) > maxMetricsPerDirective {
			return nil, fmt.Errorf("directive %d: %d metrics, over %d", i, len(d.Metrics), maxMetricsPerDirective)
		}
		for _, set := range d.Dimensions {
			if len(set) > maxDimensionsPerSet {
				return nil, fmt.Errorf("directive %d: a dimension set of %d, over %d", i, len(set), maxDimensionsPerSet)
			}
			dims := map[string]string{}
			for _, name := range set {
				var v string
				if err := json.Unmarshal(root[name], &v); err != nil {
					return nil, fmt.Errorf("directive %d: dimension %s is not a string member of the root", i, name)
				}
				dims[name] = v
			}
			for _, m := range d.Metrics {
				values, err := metricValues(root[m.Name])
				if err != nil {
					return nil, fmt.Errorf("directive %d: metric %s: %w", i, m.Name, err)
				}
				out = append(out, Datum{Namespace: d.Namespace, Name: m.Name, Unit: m.Unit,
					Dimensions: dims, Values: values, Time: at})
			}
		}
	}
	return out, nil
}

// metricValues reads a metric's member: a number or an array of up to 100 numbers.
func metricValues(raw json.RawMessage) ([]float64, error) {
	if raw == nil {
		return nil, fmt.Errorf("no member of that name in the root")
	}
	var one float64
	if err := json.Unmarshal(raw, &one); err == nil {
		return []float64{one}, nil
	}
	var many []float64
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 || len(many) > maxValuesPerMetric {
		return nil, fmt.Errorf("the member is not a number or an array of 1 to %d numbers", maxValuesPerMetric)
	}
	return many, nil
}
