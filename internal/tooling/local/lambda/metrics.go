package lambda

import (
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
)

// invoked records what Lambda records of one invocation: Invocations, Errors (1 or 0) and
// Duration, by FunctionName.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
func (s *Service) invoked(function string, failed bool, took time.Duration) {
	if s.opts.EMF == nil {
		return
	}
	now := time.Now()
	if s.opts.Clock != nil {
		now = s.opts.Clock.Now()
	}
	put := func(name string, v float64, unit string) {
		s.opts.EMF.PutAt(cloudwatch.Metric{Namespace: "AWS/Lambda", Name: name, Dimensions: map[string]string{"FunctionName": function}}, now, v, unit)
	}
	put("Invocations", 1, "Count")
	errs := 0.0
	if failed {
		errs = 1
	}
	put("Errors", errs, "Count")
	put("Duration", float64(took.Microseconds())/1000, "Milliseconds")
}
