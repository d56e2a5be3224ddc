package requestride

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
)

func emitted(t *testing.T, buf *bytes.Buffer) map[string]float64 {
	t.Helper()
	data, err := metrics.ParseLog(buf.Bytes())
	if err != nil {
		t.Fatalf("the log is not embedded metric format CloudWatch extracts: %v\n%s", err, buf.String())
	}
	out := map[string]float64{}
	for _, d := range data {
		for _, v := range d.Values {
			out[d.String()] += v
		}
	}
	return out
}

func TestEachRideAnsweredIsCountedAsBookedOrReplayedAndHandedOffByItsPath(t *testing.T) {
	record := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"success": true}`)
	}))
	defer record.Close()
	tests := []struct {
		name string
		set  func(h *Handler)
		keys []string // one request per key; "" is no key
		want map[string]float64
	}{
		{"a ride published to SNS", nil, []string{""}, map[string]float64{
			"WildRydes/RidesBooked{Stage=prod}": 1, "WildRydes/RidesHandedOff{Stage=prod}": 1, "WildRydes/RidesHandedOff{Path=SNS,Stage=prod}": 1}},
		{"a ride POSTed to the record service", func(h *Handler) { h.Handoff = HTTPRecorder{URL: record.URL} }, []string{""}, map[string]float64{
			"WildRydes/RidesBooked{Stage=prod}": 1, "WildRydes/RidesHandedOff{Stage=prod}": 1, "WildRydes/RidesHandedOff{Path=HTTP,Stage=prod}": 1}},
		{"a retry is replayed, not booked again", nil, []string{"k", "k"}, map[string]float64{
			"WildRydes/RidesBooked{Stage=prod}": 1, "WildRydes/RidesReplayed{Stage=prod}": 1,
			"WildRydes/RidesHandedOff{Stage=prod}": 2, "WildRydes/RidesHandedOff{Path=SNS,Stage=prod}": 2}},
		{"a failed hand-off is not counted", func(h *Handler) { h.Handoff = SNSPublisher{Client: &fakeSNS{err: errors.New("down")}} }, []string{""}, map[string]float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			clock := requestTime
			h := keyedHandler(&fakeSNS{}, &fakeIdempotencyTable{}, &clock)
			h.Metrics = metrics.New(&buf, "prod")
			if tt.set != nil {
				tt.set(h)
			}
			for _, key := range tt.keys {
				req := post(workshopReq)
				if key != "" {
					req = withKey(workshopReq, key)
				}
				handle(t, h, req)
				clock = clock.Add(time.Second)
			}
			if got := emitted(t, &buf); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("emitted %v\nwant %v", got, tt.want)
			}
		})
	}
}
