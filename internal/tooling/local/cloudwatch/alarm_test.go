package cloudwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// errorsAlarm is the stacks' errors alarm: Sum of Errors over 5 minutes >= 1, one period, no
// data not breaching.
func errorsAlarm() model.AlarmRule {
	return model.AlarmRule{Namespace: "AWS/Lambda", MetricName: "Errors", Statistic: "Sum",
		Dimensions: map[string]any{"FunctionName": "f"}, Comparison: "GreaterThanOrEqualToThreshold",
		Threshold: 1, Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: "notBreaching"}
}

var lambdaErrors = Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "f"}}

func mustCompile(t *testing.T, r model.AlarmRule) *rule {
	t.Helper()
	c, err := compile(r)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAnErrorsAlarmFiresOnAnErrorAndClearsOnceItLeavesTheEvaluationRange(t *testing.T) {
	s := NewStore(clock.Real())
	r := mustCompile(t, errorsAlarm())
	s.PutAt(lambdaErrors, t0.Add(90*time.Second), 0, "Count")
	s.PutAt(lambdaErrors, t0.Add(2*time.Minute), 1, "Count")
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{time.Minute, StateOK},                    // no data yet: not breaching
		{2*time.Minute + 59*time.Second, StateOK}, // evaluated at the minute: the error's minute has not ended
		{3 * time.Minute, StateAlarm},             // the five minutes to 10:03 hold the error
		{7 * time.Minute, StateAlarm},             // and so do those to 10:07
		// From 10:08 no period of five minutes ending at the minute holds a datapoint, but the
		// evaluation range (three periods) still reaches back to the error: with a real datapoint
		// in the range, the most recent real one decides and missing data is not treated.
		{8 * time.Minute, StateAlarm},
		{17 * time.Minute, StateAlarm},
		{18 * time.Minute, StateOK}, // no data in the range at all: not breaching
	} {
		if got := r.evaluate(s, t0.Add(tc.at), StateInsufficientData); got.State != tc.want {
			t.Errorf("at 10:%02d:%02d the alarm is %s (%s), want %s", int(tc.at.Minutes()), int(tc.at.Seconds())%60, got.State, got.Reason, tc.want)
		}
	}
}

func TestMOutOfNBreachingDatapointsPutTheAlarmInAlarm(t *testing.T) {
	perMinute := errorsAlarm()
	perMinute.Period, perMinute.EvaluationPeriods, perMinute.DatapointsToAlarm = 60, 3, 2
	r := mustCompile(t, perMinute)
	for _, tc := range []struct {
		name   string
		values []float64 // per minute from 10:00, oldest first
		want   string
	}{
		{"two of three minutes breach", []float64{1, 0, 1}, StateAlarm},
		{"one of three minutes breaches", []float64{0, 0, 1}, StateOK},
		{"three of three", []float64{2, 3, 4}, StateAlarm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(clock.Real())
			for i, v := range tc.values {
				s.PutAt(lambdaErrors, t0.Add(time.Duration(i)*time.Minute), v, "Count")
			}
			got := r.evaluate(s, t0.Add(3*time.Minute), StateOK)
			if got.State != tc.want {
				t.Errorf("%v: %s (%s), want %s", tc.values, got.State, got.Reason, tc.want)
			}
		})
	}
}

func TestWithNoDataTheAlarmDoesWhatTreatMissingDataSays(t *testing.T) {
	for _, tc := range []struct {
		treat, namespace, current, want string
	}{
		{"missing", "AWS/Lambda", StateOK, StateInsufficientData},
		{"notBreaching", "AWS/Lambda", StateAlarm, StateOK},
		{"breaching", "AWS/Lambda", StateOK, StateAlarm},
		{"ignore", "AWS/Lambda", StateAlarm, StateAlarm},
		{"ignore", "AWS/Lambda", StateOK, StateOK},
		// Alarms on DynamoDB's metrics always ignore missing data, whatever they say.
		{"notBreaching", "AWS/DynamoDB", StateAlarm, StateAlarm},
		{"breaching", "AWS/DynamoDB", StateOK, StateOK},
	} {
		a := errorsAlarm()
		a.TreatMissingData, a.Namespace = tc.treat, tc.namespace
		got := mustCompile(t, a).evaluate(NewStore(clock.Real()), t0, tc.current)
		if got.State != tc.want {
			t.Errorf("%s alarm treating missing data as %s, in %s, with no data: %s (%s), want %s", tc.namespace, tc.treat, tc.current, got.State, got.Reason, tc.want)
		}
	}
}

func TestMissingPeriodsAreMadeUpFromOlderDatapointsInTheEvaluationRange(t *testing.T) {
	// A one-minute alarm of one period sees a datapoint two minutes back: with some data in the
	// range, the most recent real datapoints decide, and missing data is not treated at all.
	a := errorsAlarm()
	a.Period = 60
	s := NewStore(clock.Real())
	s.PutAt(lambdaErrors, t0, 3, "Count")
	r := mustCompile(t, a)
	if got := r.evaluate(s, t0.Add(3*time.Minute), StateOK); got.State != StateAlarm {
		t.Errorf("2 minutes of no data after an error: %s (%s), want ALARM (the datapoint of 10:00 is in the range)", got.State, got.Reason)
	}
	if got := r.evaluate(s, t0.Add(4*time.Minute), StateAlarm); got.State != StateOK {
		t.Errorf("3 minutes of no data after an error: %s (%s), want OK (out of the range: no data, not breaching)", got.State, got.Reason)
	}
}

// notStored is the shape of the stacks' booked-but-not-stored alarm: rides handed off minus rides
// stored, over 5-minute periods, three in a row.
func notStored() model.AlarmRule {
	stat := func(name string) *model.MetricStat {
		return &model.MetricStat{Namespace: "WildRydes", MetricName: name, Dimensions: map[string]any{"Stage": "test"}, Stat: "Sum", Period: 300}
	}
	return model.AlarmRule{Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 3,
		TreatMissingData: "notBreaching", Metrics: []model.MetricQuery{
			{ID: "notStored", Expression: "FILL(handedOff, 0) - FILL(stored, 0) - FILL(alreadyStored, 0)", ReturnData: true},
			{ID: "handedOff", Stat: stat("RidesHandedOff")},
			{ID: "stored", Stat: stat("RidesStored")},
			{ID: "alreadyStored", Stat: stat("RidesAlreadyStored")},
		}}
}

func TestMetricMathFindsRidesHandedOffButNotStored(t *testing.T) {
	r := mustCompile(t, notStored())
	metric := func(name string) Metric {
		return Metric{Namespace: "WildRydes", Name: name, Dimensions: map[string]string{"Stage": "test"}}
	}
	for _, tc := range []struct {
		name  string
		store func(s *Store, at time.Time, i int)
		want  string
	}{
		{"every ride stored within its period", func(s *Store, at time.Time, i int) {
			s.PutAt(metric("RidesHandedOff"), at, 1, "Count")
			s.PutAt(metric("RidesStored"), at.Add(time.Second), 1, "Count")
		}, StateOK},
		{"a ride retried into the next period", func(s *Store, at time.Time, i int) {
			s.PutAt(metric("RidesHandedOff"), at, 1, "Count")
			if i > 0 {
				s.PutAt(metric("RidesStored"), at, 1, "Count")
			}
		}, StateOK},
		{"a duplicate delivery", func(s *Store, at time.Time, i int) {
			s.PutAt(metric("RidesHandedOff"), at, 1, "Count")
			s.PutAt(metric("RidesStored"), at, 1, "Count")
			s.PutAt(metric("RidesAlreadyStored"), at, 1, "Count")
		}, StateOK},
		{"nothing stored: the subscription is gone", func(s *Store, at time.Time, i int) {
			s.PutAt(metric("RidesHandedOff"), at, 1, "Count")
		}, StateAlarm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(clock.Real())
			for i := 0; i < 5; i++ {
				tc.store(s, t0.Add(time.Duration(i)*5*time.Minute+time.Minute), i)
			}
			if got := r.evaluate(s, t0.Add(25*time.Minute), StateOK); got.State != tc.want {
				t.Errorf("%s (%s, values %v), want %s", got.State, got.Reason, got.Values, tc.want)
			}
		})
	}
}

func TestAnAlarmTheLocalCloudWatchCannotEvaluateIsRefusedSayingWhy(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*model.AlarmRule)
		want string
	}{
		{"an unknown statistic", func(a *model.AlarmRule) { a.Statistic = "Median" }, "Median"},
		{"an anomaly band", func(a *model.AlarmRule) { a.Comparison = "LessThanLowerOrGreaterThanUpperThreshold" }, "LessThanLowerOrGreaterThanUpperThreshold"},
		{"a function not modelled", func(a *model.AlarmRule) { *a = notStored(); a.Metrics[0].Expression = "RATE(handedOff)" }, "RATE"},
		{"an expression over an unknown ID", func(a *model.AlarmRule) { *a = notStored(); a.Metrics[0].Expression = "handedOff - lost" }, "lost"},
		{"M above N", func(a *model.AlarmRule) { a.DatapointsToAlarm = 2 }, "DatapointsToAlarm"},
		{"a period of seconds", func(a *model.AlarmRule) { a.Period = 10 }, "whole minutes"},
	} {
		a := errorsAlarm()
		tc.edit(&a)
		if _, err := compile(a); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}
