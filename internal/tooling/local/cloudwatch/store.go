// Package cloudwatch keeps the local system's metrics as CloudWatch keeps them: datapoints of a
// metric (namespace, name and its exact set of dimensions), in memory, and statistics over periods
// as GetMetricStatistics answers them. The services of the local system record what AWS would
// record (Lambda's invocations, errors, throttles and duration; the table's throttled requests;
// the queue's messages) and what the functions print in the embedded metric format.
package cloudwatch

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// retention is how long datapoints are kept: longer than any alarm of the templates looks back.
const retention = 3 * time.Hour

// Metric names one metric: "each unique combination of dimensions is a separate metric"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
type Metric struct {
	Namespace, Name string
	Dimensions      map[string]string
}

func (m Metric) key() string {
	var b strings.Builder
	b.WriteString(m.Namespace + "\x00" + m.Name)
	for _, k := range slices.Sorted(maps.Keys(m.Dimensions)) {
		b.WriteString("\x00" + k + "=" + m.Dimensions[k])
	}
	return b.String()
}

// Datapoint is one recorded value.
type Datapoint struct {
	Time  time.Time // AWS time (the local system's clock)
	Value float64
	Unit  string
}

// Store holds every metric's datapoints. It is safe for concurrent use.
type Store struct {
	clock  *clock.Clock
	mu     sync.Mutex
	series map[string]*series
}

type series struct {
	metric Metric
	points []Datapoint // in time order
}

// NewStore keeps metrics on c's time.
func NewStore(c *clock.Clock) *Store { return &Store{clock: c, series: map[string]*series{}} }

// Now is the store's time.
func (s *Store) Now() time.Time { return s.clock.Now() }

// Put records value for m now.
func (s *Store) Put(m Metric, value float64, unit string) { s.PutAt(m, s.clock.Now(), value, unit) }

// PutAt records value for m at t (an embedded-metric log line carries its own timestamp).
func (s *Store) PutAt(m Metric, t time.Time, value float64, unit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := m.key()
	sr := s.series[k]
	if sr == nil {
		sr = &series{metric: Metric{Namespace: m.Namespace, Name: m.Name, Dimensions: maps.Clone(m.Dimensions)}}
		s.series[k] = sr
	}
	p := Datapoint{Time: t, Value: value, Unit: unit}
	i := sort.Search(len(sr.points), func(i int) bool { return sr.points[i].Time.After(t) })
	sr.points = slices.Insert(sr.points, i, p)
	if cut := sort.Search(len(sr.points), func(i int) bool { return sr.points[i].Time.After(t.Add(-retention)) }); cut > 0 {
		sr.points = slices.Delete(sr.points, 0, cut)
	}
}

// Metrics lists the metrics with datapoints in namespace ("" for every namespace).
func (s *Store) Metrics(namespace string) []Metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Metric
	for _, k := range slices.Sorted(maps.Keys(s.series)) {
		if sr := s.series[k]; namespace == "" || sr.metric.Namespace == namespace {
			out = append(out, sr.metric)
		}
	}
	return out
}

// Stat is one datapoint of a statistic: the statistic of the values in [Start, Start+Period).
type Stat struct {
	Start       time.Time
	Value       float64
	SampleCount int
}

// Statistics answers stat of m over the periods that start in [start, end), as GetMetricStatistics
// does: a period with no datapoint has no Stat. stat is Sum, SampleCount, Average, Minimum,
// Maximum or a percentile pNN (pNN.N)
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
func (s *Store) Statistics(m Metric, stat string, start, end time.Time, period time.Duration) ([]Stat, error) {
	if period <= 0 {
		return nil, fmt.Errorf("period %s: must be positive", period)
	}
	reduce, err := reducer(stat)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	var points []Datapoint
	if sr := s.series[m.key()]; sr != nil {
		// The points are in time order: those from start on, up to end.
		from := sort.Search(len(sr.points), func(i int) bool { return !sr.points[i].Time.Before(start) })
		to := sort.Search(len(sr.points), func(i int) bool { return !sr.points[i].Time.Before(end) })
		points = slices.Clone(sr.points[from:max(from, to)])
	}
	s.mu.Unlock()
	var out []Stat
	for i := 0; i < len(points); {
		p := start.Add(points[i].Time.Sub(start) / period * period)
		var values []float64
		for ; i < len(points) && points[i].Time.Before(p.Add(period)); i++ {
			values = append(values, points[i].Value)
		}
		if p.Before(end) {
			out = append(out, Stat{Start: p, Value: reduce(values), SampleCount: len(values)})
		}
	}
	return out, nil
}

func reducer(stat string) (func([]float64) float64, error) {
	switch stat {
	case "Sum":
		return func(v []float64) float64 { return sum(v) }, nil
	case "SampleCount":
		return func(v []float64) float64 { return float64(len(v)) }, nil
	case "Average":
		return func(v []float64) float64 { return sum(v) / float64(len(v)) }, nil
	case "Minimum":
		return slices.Min[[]float64], nil
	case "Maximum":
		return slices.Max[[]float64], nil
	}
	if p, ok := strings.CutPrefix(stat, "p"); ok {
		q, err := strconv.ParseFloat(p, 64)
		if err == nil && q >= 0 && q <= 100 {
			return func(v []float64) float64 { return percentile(v, q) }, nil
		}
	}
	return nil, fmt.Errorf("statistic %q: want Sum, SampleCount, Average, Minimum, Maximum or pNN", stat)
}

func sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t
}

// percentile is the nearest-rank percentile q of v.
func percentile(v []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(v))
	rank := int(math.Ceil(q / 100 * float64(len(s))))
	return s[max(0, min(len(s)-1, rank-1))]
}

// value is the statistic of the metric m names in the period from start, or nil when the period
// has no datapoint. Dimension values are the template's, resolved.
func (s *Store) value(m *model.MetricStat, start time.Time, period time.Duration) *float64 {
	dims := map[string]string{}
	for k, v := range m.Dimensions {
		dims[k] = fmt.Sprint(v)
	}
	stats, err := s.Statistics(Metric{Namespace: m.Namespace, Name: m.MetricName, Dimensions: dims}, m.Stat, start, start.Add(period), period)
	if err != nil || len(stats) == 0 {
		return nil
	}
	return &stats[0].Value
}
