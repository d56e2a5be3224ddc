package cloudwatch

import (
	"sort"
	"time"
)

// WidgetData is one widget of a dashboard with its data: what a graph, a text or an alarm
// widget shows at one time.
type WidgetData struct {
	Type, Title, Markdown string
	X, Y, Width, Height   int
	Period                int          `json:",omitempty"` // seconds between the points
	Times                 []int64      `json:",omitempty"` // each period's start, Unix seconds of the clock's time
	Series                []SeriesData `json:",omitempty"`
	Alarms                []AlarmState `json:",omitempty"`
}

// SeriesData is a drawn line: its value in each period of Times (nil: no datapoint).
type SeriesData struct {
	Label string
	Right bool `json:",omitempty"`
	// Metric is Namespace/Name of a metric, or the expression.
	Metric string
	Values []*float64
}

// AlarmState is an alarm of an alarm widget.
type AlarmState struct{ Arn, Name, State string }

// Render computes every widget of d over span up to end, as the dashboard would show it on AWS
// over the same metrics: each metric's statistic per period, each expression over them.
func (s *Service) Render(d *Dashboard, end time.Time, span time.Duration) []WidgetData {
	byArn := map[string]AlarmStatus{}
	for _, a := range s.Alarms() {
		byArn[a.Arn] = a
	}
	out := make([]WidgetData, 0, len(d.Widgets))
	for _, w := range d.Widgets {
		wd := WidgetData{Type: w.Type, Title: w.Properties.Title, Markdown: w.Properties.Markdown,
			X: w.X, Y: w.Y, Width: w.Width, Height: w.Height}
		for _, arn := range w.Properties.Alarms {
			a, ok := byArn[arn]
			st := AlarmState{Arn: arn, Name: a.Name, State: a.State}
			if !ok {
				st.State = "no such alarm"
			}
			wd.Alarms = append(wd.Alarms, st)
		}
		if len(w.Series) > 0 {
			s.renderSeries(&wd, w.Series, end, span)
		}
		out = append(out, wd)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Y != out[j].Y {
			return out[i].Y < out[j].Y
		}
		return out[i].X < out[j].X
	})
	return out
}

func (s *Service) renderSeries(wd *WidgetData, series []Series, end time.Time, span time.Duration) {
	period := time.Duration(series[0].Period) * time.Second
	wd.Period = series[0].Period
	last := end.Truncate(period)
	n := max(1, int(span/period))
	start := last.Add(-time.Duration(n-1) * period)
	for i := 0; i < n; i++ {
		wd.Times = append(wd.Times, start.Add(time.Duration(i)*period).Unix())
	}
	values := map[string][]*float64{} // by series ID
	for _, sr := range series {
		if sr.Expression != "" {
			continue
		}
		vs := make([]*float64, n)
		stats, err := s.Store.Statistics(Metric{Namespace: sr.Namespace, Name: sr.Name, Dimensions: sr.Dimensions}, sr.Stat, start, last.Add(period), period)
		if err == nil {
			for _, st := range stats {
				v := st.Value
				vs[int(st.Start.Sub(start)/period)] = &v
			}
		}
		values[sr.ID] = vs
	}
	for _, sr := range series {
		if sr.Expression != "" {
			vs := make([]*float64, n)
			if e, _, err := parseExpr(sr.Expression); err == nil {
				for i := range vs {
					vars := map[string]*float64{}
					for id, v := range values {
						vars[id] = v[i]
					}
					vs[i] = e(vars)
				}
			}
			values[sr.ID] = vs
		}
		if !sr.Visible {
			continue
		}
		metric := sr.Expression
		if metric == "" {
			metric = sr.Namespace + "/" + sr.Name
		}
		label := sr.Label
		if label == "" {
			label = metric
		}
		wd.Series = append(wd.Series, SeriesData{Label: label, Right: sr.Right, Metric: metric, Values: values[sr.ID]})
	}
}
