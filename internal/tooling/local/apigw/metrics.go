package apigw

import (
	"net/http"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
)

// Metrics keeps what API Gateway records of each request.
type Metrics interface {
	Put(m cloudwatch.Metric, value float64, unit string)
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// record puts an HTTP API's metrics of one request, as API Gateway does: Count, 4xx and 5xx
// (1 or 0, so that their average is a rate), Latency and IntegrationLatency in milliseconds, by
// ApiId. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
func (a *API) record(status int, took, integration time.Duration) {
	m := a.gw.opts.Metrics
	if m == nil {
		return
	}
	put := func(name string, v float64, unit string) {
		m.Put(cloudwatch.Metric{Namespace: "AWS/ApiGateway", Name: name, Dimensions: map[string]string{"ApiId": a.ID}}, v, unit)
	}
	put("Count", 1, "Count")
	put("4xx", b2f(status >= 400 && status < 500), "Count")
	put("5xx", b2f(status >= 500), "Count")
	put("Latency", ms(took), "Milliseconds")
	if integration > 0 {
		put("IntegrationLatency", ms(integration), "Milliseconds")
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
