package events

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// The events of the ride path, each built only when someone watches.

// rideIDOf reads RideId from a ride's JSON (a 201 body, or an SNS message).
func rideIDOf(body []byte) string {
	var r struct{ RideId string }
	_ = json.Unmarshal(body, &r)
	return r.RideId
}

// snsEventOf reads the message ID and ride of the Lambda SNS event payload an attempt delivers.
func snsEventOf(payload []byte) (messageID, rideID string) {
	var ev struct {
		Records []struct {
			Sns struct{ MessageId, Message string }
		}
	}
	if json.Unmarshal(payload, &ev) != nil || len(ev.Records) == 0 {
		return "", ""
	}
	rec := ev.Records[0].Sns
	return rec.MessageId, rideIDOf([]byte(rec.Message))
}

// statusRecorder keeps a route's status and the start of its body for the request event.
type statusRecorder struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if len(r.body) < 4096 {
		r.body = append(r.body, b[:min(len(b), 4096-len(r.body))]...)
	}
	return r.ResponseWriter.Write(b)
}

// WatchRequest wraps w (and r's body, up to limit bytes) when someone watches; done publishes
// the route's answer with the ride it created (a 201 body's RideId) or stored (the request's
// RideId: POST /record).
func (f *Feed) WatchRequest(w http.ResponseWriter, r *http.Request, routeKey string, limit int64) (http.ResponseWriter, func()) {
	if !f.Watching() {
		return w, func() {}
	}
	rec, start := &statusRecorder{ResponseWriter: w}, time.Now()
	var req bytes.Buffer
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(io.LimitReader(r.Body, limit), &req), r.Body}
	return rec, func() {
		ev := Event{Kind: "request", Route: routeKey, Status: rec.status, Duration: time.Since(start)}
		if rec.status == http.StatusCreated {
			if ev.RideID = rideIDOf(rec.body); ev.RideID == "" {
				ev.RideID = rideIDOf(req.Bytes())
			}
		}
		f.Publish(ev)
	}
}

// Invoked is a function's answer, with its error when it failed.
func (f *Feed) Invoked(name string, start time.Time, ok bool, failure string) {
	if !f.Watching() {
		return
	}
	f.Publish(Event{Kind: "invoke", Function: name, OK: ok, Error: failure, Duration: time.Since(start)})
}

// Published is a message SNS accepted for its Lambda subscribers. It is published before the
// deliveries start, so a watcher sees the publish before any attempt.
func (f *Feed) Published(messageID, topic, message string) {
	if !f.Watching() {
		return
	}
	f.Publish(Event{Kind: "publish", MessageID: messageID, Topic: topic, RideID: rideIDOf([]byte(message)), OK: true})
}

// Attempted is one asynchronous delivery: failure is empty when it succeeded.
func (f *Feed) Attempted(name string, payload []byte, attempt int, start time.Time, failure string, retry bool) {
	if !f.Watching() {
		return
	}
	msg, rideID := snsEventOf(payload)
	f.Publish(Event{Kind: "attempt", Function: name, MessageID: msg, RideID: rideID, Attempt: attempt,
		OK: failure == "", Error: failure, Retry: retry, Duration: time.Since(start)})
}

// DeadLettered is an event that went to queue (empty: dropped) after its attempts.
func (f *Feed) DeadLettered(name string, payload []byte, reason, queue string) {
	if !f.Watching() {
		return
	}
	msg, rideID := snsEventOf(payload)
	f.Publish(Event{Kind: "deadletter", Function: name, MessageID: msg, RideID: rideID, Error: reason, Queue: queue, OK: queue != ""})
}
