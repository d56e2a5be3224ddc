package requestride

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// lambdaLogger is the logger the functions use (lambdacontext.NewLogger), writing into a pipe in
// place of stdout; read returns what it wrote.
func lambdaLogger(t *testing.T) (logger *slog.Logger, read func() string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w // the handler takes os.Stdout when it is made
	logger = lambdacontext.NewLogger()
	os.Stdout = stdout
	return logger, func() string {
		w.Close()
		b, _ := io.ReadAll(r)
		return string(b)
	}
}

func TestEveryLineOfAnInvocationCarriesTheRequestIDAndTheRideID(t *testing.T) {
	tests := []struct {
		name string
		h    func(*Handler)
		body string
		ride bool // the line names a ride
	}{
		{"a booked ride", nil, workshopReq, true},
		{"a hand-off that fails", func(h *Handler) { h.Handoff = SNSPublisher{Client: &fakeSNS{err: context.DeadlineExceeded}} }, workshopReq, true},
		{"a request refused before any ride exists", nil, `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, read := lambdaLogger(t)
			h := newHandler(&fakeSNS{})
			h.Logger = logger
			if tt.h != nil {
				tt.h(h)
			}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-7"})
			resp, _ := h.Handle(ctx, post(tt.body))
			var r ride.Ride
			json.Unmarshal([]byte(resp.Body), &r)
			lines := strings.Split(strings.TrimSpace(read()), "\n")
			if len(lines) == 0 || lines[0] == "" {
				t.Fatal("nothing logged")
			}
			for _, line := range lines {
				// The format follows AWS_LAMBDA_LOG_FORMAT (JSON on Lambda, text here): look for the value.
				if !strings.Contains(line, "lambda-req-7") {
					t.Errorf("line %s lacks the invocation's request ID", line)
				}
				if tt.ride && !strings.Contains(line, "ride_id") {
					t.Errorf("line %s lacks the ride ID", line)
				}
				if r.RideID != "" && !strings.Contains(line, r.RideID) {
					t.Errorf("line %s lacks ride %s", line, r.RideID)
				}
			}
		})
	}
}

// A replayed request logs the ride it answers with, once: two ride_id attributes would make a
// JSON line that parsers read differently.
func TestAReplayedRequestLogsTheRideItAnswersOnce(t *testing.T) {
	var buf bytes.Buffer
	clock := requestTime
	h := keyedHandler(&fakeSNS{}, &fakeIdempotencyTable{}, &clock)
	first := rideOf(t, handle(t, h, withKey(workshopReq, "k")))
	h.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	clock = clock.Add(time.Minute)
	handle(t, h, withKey(workshopReq, "k"))
	line := strings.TrimSpace(buf.String())
	if strings.Count(line, `"ride_id"`) != 1 || !strings.Contains(line, `"ride_id":"`+first.RideID+`"`) || !strings.Contains(line, `"outcome":"replayed"`) {
		t.Errorf("log line %s, want one ride_id, %s, and the outcome replayed", line, first.RideID)
	}
}
