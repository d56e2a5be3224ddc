package lambda

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
)

type put struct {
	m     cloudwatch.Metric
	at    time.Time
	value float64
}

type fakeStore struct{ got []put }

func (f *fakeStore) PutAt(m cloudwatch.Metric, t time.Time, value float64, _ string) {
	f.got = append(f.got, put{m, t, value})
}

func TestAFunctionsMetricLinesReachTheStoreAndEveryLineTheLog(t *testing.T) {
	var log, line bytes.Buffer
	store := &fakeStore{}
	later := func(t time.Time) time.Time { return t.Add(time.Hour) } // the clock's time of a wall time
	tap := logTap{next: &log, prefix: []byte("[PutRideRecordSns] "), store: store, at: later}

	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	e := metrics.New(&line, "test")
	e.Now = func() time.Time { return at }
	e.Emit(metrics.Line{Values: []metrics.Value{metrics.One(design.MetricRidesStored), {Metric: design.MetricDeliveryLatency, Value: 42}}, RideID: "r-1"})
	for _, l := range []string{line.String(), "a plain line\n", `{"_aws":{"CloudWatchMetrics":[]},"x":1}` + "\n"} {
		tap.Write([]byte("[PutRideRecordSns] " + l))
	}

	stored := 0
	for _, p := range store.got {
		if p.m.Namespace != design.MetricNamespace || p.m.Dimensions[design.DimensionStage] != "test" || !p.at.Equal(at.Add(time.Hour)) {
			t.Errorf("put %+v: want the WildRydes namespace, the stage, at the line's time on the clock", p)
		}
		if p.m.Name == "RidesStored" && p.value == 1 || p.m.Name == "DeliveryLatency" && p.value == 42 {
			stored++
		}
	}
	if stored != 2 {
		t.Errorf("the store got %+v, want RidesStored 1 and DeliveryLatency 42", store.got)
	}
	out := log.String()
	if !strings.Contains(out, "[PutRideRecordSns] a plain line\n") || !strings.Contains(out, `"RideId":"r-1"`) {
		t.Errorf("the log lost a line:\n%s", out)
	}
	if !strings.Contains(out, "an embedded metric format line CloudWatch would drop: _aws.Timestamp is missing") {
		t.Errorf("a line CloudWatch would drop is not reported:\n%s", out)
	}
}
