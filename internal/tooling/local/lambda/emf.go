package lambda

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
)

// EmbeddedMetrics keeps the metrics of the functions' embedded metric format lines, at the
// lines' own timestamps.
type EmbeddedMetrics interface {
	PutAt(m cloudwatch.Metric, t time.Time, value float64, unit string)
}

// logTap is a function's log as CloudWatch Logs receives it: each line goes on to the local log,
// and the metrics of an embedded metric format line go to the metrics store, read as CloudWatch
// reads them (metrics.Parse), at the line's timestamp on the clock. A line that breaks the
// format is reported in the log: CloudWatch would extract nothing from it.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
type logTap struct {
	next   io.Writer
	prefix []byte // what the runtime puts before each line: "[Label] "
	store  EmbeddedMetrics
	at     func(time.Time) time.Time
}

var awsMember = []byte(`"_aws"`)

func (t logTap) Write(p []byte) (int, error) {
	if bytes.Contains(p, awsMember) {
		data, err := metrics.Parse(bytes.TrimPrefix(p, t.prefix))
		if err != nil {
			fmt.Fprintf(t.next, "%scloudwatch: an embedded metric format line CloudWatch would drop: %v\n", t.prefix, err)
		}
		for _, d := range data {
			m := cloudwatch.Metric{Namespace: d.Namespace, Name: d.Name, Dimensions: d.Dimensions}
			for _, v := range d.Values {
				t.store.PutAt(m, t.at(d.Time), v, d.Unit)
			}
		}
	}
	return t.next.Write(p)
}

// log is where a function's output goes: the service's log, through the metrics tap when the
// service keeps metrics.
func (s *Service) log(label string) io.Writer {
	if s.opts.EMF == nil {
		return s.opts.Log
	}
	at := func(t time.Time) time.Time { return t }
	if s.opts.Clock != nil {
		at = s.opts.Clock.At
	}
	return logTap{next: s.opts.Log, prefix: []byte("[" + label + "] "), store: s.opts.EMF, at: at}
}
