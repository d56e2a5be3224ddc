package cloudwatch

import (
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
)

func TestStatisticsArePerPeriodAndPerExactDimensions(t *testing.T) {
	s := NewStore(clock.Real())
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	throttles := Metric{Namespace: "AWS/DynamoDB", Name: "WriteThrottleEvents", Dimensions: map[string]string{"TableName": "rides"}}
	other := Metric{Namespace: "AWS/DynamoDB", Name: "WriteThrottleEvents", Dimensions: map[string]string{"TableName": "rides", "Operation": "PutItem"}}
	for i, v := range []float64{1, 2, 3} {
		s.PutAt(throttles, t0.Add(time.Duration(i)*20*time.Second), v, "Count")
	}
	s.PutAt(throttles, t0.Add(2*time.Minute), 10, "Count")
	s.PutAt(other, t0, 100, "Count")

	stats, err := s.Statistics(throttles, "Sum", t0, t0.Add(3*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []Stat{{Start: t0, Value: 6, SampleCount: 3}, {Start: t0.Add(2 * time.Minute), Value: 10, SampleCount: 1}}
	if len(stats) != len(want) {
		t.Fatalf("stats %+v, want %+v (the empty second minute has no datapoint; the other dimension set is another metric)", stats, want)
	}
	for i := range want {
		if !stats[i].Start.Equal(want[i].Start) || stats[i].Value != want[i].Value || stats[i].SampleCount != want[i].SampleCount {
			t.Errorf("period %d: %+v, want %+v", i, stats[i], want[i])
		}
	}
}

func TestEveryStatisticCloudWatchDefinesForAnAlarmOrAWidget(t *testing.T) {
	s := NewStore(clock.Real())
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	m := Metric{Namespace: "WildRydes", Name: "DeliveryLatency"}
	for i := 1; i <= 100; i++ {
		s.PutAt(m, t0.Add(time.Duration(i)*time.Millisecond), float64(i), "Milliseconds")
	}
	for stat, want := range map[string]float64{"Sum": 5050, "SampleCount": 100, "Average": 50.5, "Minimum": 1, "Maximum": 100, "p99": 99, "p50": 50, "p99.9": 100} {
		got, err := s.Statistics(m, stat, t0, t0.Add(time.Minute), time.Minute)
		if err != nil || len(got) != 1 || got[0].Value != want {
			t.Errorf("%s = %+v (%v), want %g", stat, got, err, want)
		}
	}
	if _, err := s.Statistics(m, "Median", t0, t0.Add(time.Minute), time.Minute); err == nil {
		t.Error("an unknown statistic was answered")
	}
}

func TestOldDatapointsAreDropped(t *testing.T) {
	s := NewStore(clock.Real())
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	m := Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "f"}}
	s.PutAt(m, t0, 1, "Count")
	s.PutAt(m, t0.Add(retention+time.Minute), 1, "Count")
	got, _ := s.Statistics(m, "SampleCount", t0, t0.Add(time.Minute), time.Minute)
	if len(got) != 0 {
		t.Errorf("a datapoint older than %s is still kept: %+v", retention, got)
	}
	if ms := s.Metrics("AWS/Lambda"); len(ms) != 1 || ms[0].Dimensions["FunctionName"] != "f" {
		t.Errorf("Metrics = %+v", ms)
	}
}
