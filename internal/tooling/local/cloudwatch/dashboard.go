package cloudwatch

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Dashboard is a dashboard's body, as CloudWatch reads it
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
// the widgets the local system's console draws from the local metrics.
type Dashboard struct {
	Start   string   `json:"start"`
	Widgets []Widget `json:"widgets"`
}

// Widget is one widget: text, metric (a graph) or alarm (the alarms' states).
type Widget struct {
	Type       string `json:"type"`
	X          int    `json:"x"`
	Y          int    `json:"y"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Properties struct {
		Title    string `json:"title"`
		Markdown string `json:"markdown"`
		View     string `json:"view"`
		// Alarms are an alarm widget's alarm ARNs.
		Alarms []string `json:"alarms"`
		// Metrics are a metric widget's lines, read into Series.
		Metrics []json.RawMessage `json:"metrics"`
		Period  int               `json:"period"`
		Stat    string            `json:"stat"`
	} `json:"properties"`
	// Series are the metric widget's metrics and expressions.
	Series []Series `json:"-"`
}

// Series is one line of a metric widget: a metric with its statistic and period, or an
// expression over the widget's other lines (by ID).
type Series struct {
	ID, Label  string
	Expression string `json:",omitempty"`
	Namespace  string `json:",omitempty"`
	Name       string `json:",omitempty"`
	Dimensions map[string]string
	Stat       string
	Period     int
	// Visible: drawn (a metric only an expression uses is not).
	Visible bool
	// Right: on the right-hand axis.
	Right bool
}

// ParseDashboard reads a dashboard body: the JSON of the template's DashboardBody, resolved.
func ParseDashboard(body string) (*Dashboard, error) {
	var d Dashboard
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return nil, fmt.Errorf("dashboard body: %w", err)
	}
	for i := range d.Widgets {
		w := &d.Widgets[i]
		var prev []string // a "." repeats the previous line's value at that position
		for j, raw := range w.Properties.Metrics {
			s, fields, err := parseLine(raw, prev)
			if err != nil {
				return nil, fmt.Errorf("widget %d (%s), metric %d: %w", i, w.Properties.Title, j, err)
			}
			prev = fields
			if s.Period == 0 {
				s.Period = w.Properties.Period
			}
			if s.Period == 0 {
				s.Period = 300
			}
			if s.Stat == "" && s.Expression == "" {
				s.Stat = w.Properties.Stat
			}
			if s.Stat == "" && s.Expression == "" {
				s.Stat = "Average"
			}
			if s.ID == "" {
				s.ID = fmt.Sprintf("m%d", j+1)
			}
			w.Series = append(w.Series, s)
		}
	}
	return &d, nil
}

// parseLine reads [Namespace, MetricName, DimName, DimValue, ..., {options}] or [{expression}].
func parseLine(raw json.RawMessage, prev []string) (Series, []string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return Series{}, nil, err
	}
	var opts struct {
		ID, Label, Expression, Stat string
		Period                      int
		Visible                     *bool
		YAxis                       string
	}
	var fields []string
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			if s == "." && len(fields) < len(prev) {
				s = prev[len(fields)]
			}
			fields = append(fields, s)
			continue
		}
		if err := json.Unmarshal(it, &opts); err != nil {
			return Series{}, nil, fmt.Errorf("not a string or an options object: %s", it)
		}
	}
	s := Series{ID: opts.ID, Label: opts.Label, Expression: opts.Expression, Stat: opts.Stat, Period: opts.Period,
		Visible: opts.Visible == nil || *opts.Visible, Right: opts.YAxis == "right", Dimensions: map[string]string{}}
	if s.Expression != "" {
		return s, fields, nil
	}
	if len(fields) < 2 || len(fields)%2 != 0 {
		return Series{}, nil, fmt.Errorf("want namespace, metric name and dimension name/value pairs, got %q", fields)
	}
	s.Namespace, s.Name = fields[0], fields[1]
	for k := 2; k < len(fields); k += 2 {
		s.Dimensions[fields[k]] = fields[k+1]
	}
	if s.Label == "" {
		s.Label = s.Name
	}
	return s, fields, nil
}

// Range is the dashboard's default time range ("-PT3H"), or 3 hours.
func (d *Dashboard) Range() time.Duration {
	if r, ok := strings.CutPrefix(d.Start, "-PT"); ok {
		if v, err := time.ParseDuration(strings.ToLower(r)); err == nil {
			return v
		}
	}
	return 3 * time.Hour
}
