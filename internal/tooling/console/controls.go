package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

// Bounds of the controls, so a click cannot take the machine down.
const (
	maxFault     = 10 * time.Minute
	maxBurstRate = 100 // rides a second
	maxBurstTime = 60 * time.Second
)

// BurstState is the running or last burst of rides.
type BurstState struct {
	Running                 bool
	Rate, Seconds           int
	Sent, Accepted, Refused int
}

// DeployState is the running or last deploy of the next step.
type DeployState struct {
	Running bool
	Message string
}

// fault is POST /api/fault {"seconds":N}: the table is unavailable for N s (0 ends it).
func (s *Server) fault(w http.ResponseWriter, r *http.Request) {
	var req struct{ Seconds float64 }
	if err := readJSON(r, &req); err != nil || req.Seconds < 0 || time.Duration(req.Seconds*float64(time.Second)) > maxFault {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf(`body must be {"seconds":N}, 0 <= N <= %.0f`, maxFault.Seconds())})
		return
	}
	s.cfg.System.SetTableUnavailable(time.Duration(req.Seconds * float64(time.Second)))
	s.live.touch()
	w.WriteHeader(http.StatusNoContent)
}

// redriver works on the dead-letter queue the functions' DeadLetterConfig names and the table
// they PutItem to, as `wildrydes dlq` does.
func (s *Server) redriver() (*riderecord.Redriver, error) {
	st, err := s.cfg.System.State()
	if err != nil {
		return nil, err
	}
	if st.DeadLetterQueueUrl == "" || st.RideTable == "" {
		return nil, fmt.Errorf("this step has no dead-letter queue")
	}
	cfg := st.Config()
	return &riderecord.Redriver{
		// Through the SQS proxy, as the functions read the queue: its metrics see the deletes.
		Queue:    sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(st.SQS) }),
		QueueURL: st.DeadLetterQueueUrl, UnstorableURL: st.UnstorableQueueUrl, Logger: slog.New(slog.DiscardHandler),
		// Through the fault switch, as the functions write: a re-drive during an outage fails.
		Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{TableName: st.RideTable,
			Client: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(st.DynamoDB) })}},
	}, nil
}

// dlqList is GET /api/dlq: the messages and why each is there.
func (s *Server) dlqList(w http.ResponseWriter, r *http.Request) {
	d, err := s.redriver()
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	letters, err := d.List(r.Context(), 100)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, letters)
}

// redrive is POST /api/dlq/redrive: store the queue's rides; the report says what stayed.
func (s *Server) redrive(w http.ResponseWriter, r *http.Request) {
	d, err := s.redriver()
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	letters, err := d.List(r.Context(), 0)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	report, err := d.Redrive(r.Context())
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	// What stayed in the queue, and what was set aside as unstorable, was not stored.
	failed := map[string]bool{}
	for _, f := range append(report.Failures, report.SetAside...) {
		failed[f.MessageID] = true
	}
	var stored []string
	for _, l := range letters {
		if !failed[l.MessageID] {
			for _, ride := range l.Rides {
				stored = append(stored, ride.RideID)
			}
		}
	}
	s.live.redriven(stored, time.Now())
	writeJSON(w, http.StatusOK, report)
}

// startBurst is POST /api/burst {"rate":N,"seconds":T}: N rides a second for T seconds.
func (s *Server) startBurst(w http.ResponseWriter, r *http.Request) {
	var req struct{ Rate, Seconds int }
	if err := readJSON(r, &req); err != nil || req.Rate < 1 || req.Rate > maxBurstRate || req.Seconds < 1 || time.Duration(req.Seconds)*time.Second > maxBurstTime {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf(`body must be {"rate":N,"seconds":T}, N from 1 to %d, T from 1 to %.0f`, maxBurstRate, maxBurstTime.Seconds())})
		return
	}
	s.ctlMu.Lock()
	if s.burst.Running {
		s.ctlMu.Unlock()
		writeJSON(w, http.StatusConflict, map[string]string{"error": "a burst is already running"})
		return
	}
	s.burst = BurstState{Running: true, Rate: req.Rate, Seconds: req.Seconds}
	s.ctlMu.Unlock()
	s.wg.Add(1)
	go s.runBurst(req.Rate, time.Duration(req.Seconds)*time.Second)
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) runBurst(rate int, d time.Duration) {
	defer s.wg.Done()
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.After(d)
	done := make(chan bool, rate*int(d/time.Second)+1)
	sent := 0
loop:
	for {
		select {
		case <-s.ctx.Done():
			break loop
		case <-end:
			break loop
		case <-tick.C:
			sent++
			s.ctlMu.Lock()
			s.burst.Sent = sent
			s.ctlMu.Unlock()
			go func() { done <- s.postRide(client) }()
		}
	}
	for i := 0; i < sent; i++ {
		ok := <-done
		s.ctlMu.Lock()
		if ok {
			s.burst.Accepted++
		} else {
			s.burst.Refused++
		}
		s.ctlMu.Unlock()
	}
	s.ctlMu.Lock()
	s.burst.Running = false
	s.ctlMu.Unlock()
	s.live.touch()
}

// postRide requests one ride near a named place, as the page does.
func (s *Server) postRide(client *http.Client) bool {
	body := fmt.Sprintf(`{"PickupLocation":{"Latitude":%.4f,"Longitude":%.4f}}`, 42.35+rand.Float64()/50, -71.06+rand.Float64()/50)
	resp, err := client.Post(s.cfg.APIURL+"/ride", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusCreated
}

// deployNext is POST /api/deploy: deploy the next refactor step while rides keep flowing.
func (s *Server) deployNext(w http.ResponseWriter, r *http.Request) {
	if s.cfg.DeployNext == nil {
		writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "deploying the next step needs wildrydes local --step N"})
		return
	}
	s.ctlMu.Lock()
	if s.deploy.Running {
		s.ctlMu.Unlock()
		writeJSON(w, http.StatusConflict, map[string]string{"error": "a deploy is already running"})
		return
	}
	s.deploy = DeployState{Running: true, Message: "deploying the next step ..."}
	s.ctlMu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Minute)
		defer cancel()
		asm, err := s.cfg.DeployNext(ctx)
		msg := "deployed"
		if err != nil {
			msg = "deploy failed: " + err.Error()
		} else if asm != nil {
			if err := s.live.draw(asm); err != nil {
				msg = "deployed, but drawing it failed: " + err.Error()
			}
			s.hub.broadcast("topology", s.topology())
		}
		s.ctlMu.Lock()
		s.deploy = DeployState{Message: msg}
		s.ctlMu.Unlock()
		s.live.touch()
	}()
	w.WriteHeader(http.StatusAccepted)
}

// controlsChanged says whether a burst or deploy moved since the last push.
func (s *Server) controlsChanged() bool {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	return s.burst.Running || s.deploy.Running
}
