package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localrt"
)

// Event is one thing that happened on a ride's path, for watchers such as the console.
type Event struct {
	Time time.Time
	// Kind is "request" (a route answered), "invoke" (a function returned), "publish" (SNS
	// accepted a message for Lambda subscribers), "attempt" (an asynchronous delivery ended),
	// "deadletter" (an event went to a dead-letter queue, or was dropped), or "fault".
	Kind      string
	Route     string `json:",omitempty"` // "POST /ride"
	Status    int    `json:",omitempty"` // the route's HTTP status
	Function  string `json:",omitempty"` // the function's name
	RideID    string `json:",omitempty"`
	MessageID string `json:",omitempty"` // the SNS message
	Topic     string `json:",omitempty"`
	Attempt   int    `json:",omitempty"` // 1 is the first delivery
	OK        bool
	Retry     bool          `json:",omitempty"` // an attempt that failed and will be tried again
	Error     string        `json:",omitempty"` // why an attempt failed or a message was dead-lettered
	Queue     string        `json:",omitempty"` // the dead-letter queue's URL; empty: dropped
	Duration  time.Duration `json:",omitempty"`
}

// Events fans the system's events out to watchers. With no watcher, publishing is one atomic
// load; with watchers, each gets the event unless its buffer is full (a slow watcher loses
// events, the ride path never waits).
type Events struct {
	watchers atomic.Int32
	mu       sync.RWMutex
	subs     map[chan Event]struct{}
	lost     atomic.Int64
}

// Watch returns a channel of events and a function that stops it. buffer bounds what a slow
// reader may fall behind by.
func (e *Events) Watch(buffer int) (<-chan Event, func()) {
	ch := make(chan Event, buffer)
	e.mu.Lock()
	if e.subs == nil {
		e.subs = map[chan Event]struct{}{}
	}
	e.subs[ch] = struct{}{}
	e.watchers.Add(1)
	e.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			e.mu.Lock()
			delete(e.subs, ch)
			e.watchers.Add(-1)
			e.mu.Unlock()
		})
	}
}

// Lost counts the events that a full watcher buffer dropped.
func (e *Events) Lost() int64 { return e.lost.Load() }

// Watching says whether anyone watches, so call sites skip building an event nobody reads.
func (e *Events) Watching() bool { return e.watchers.Load() > 0 }

func (e *Events) publish(ev Event) {
	if !e.Watching() {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	for ch := range e.subs {
		select {
		case ch <- ev:
		default:
			e.lost.Add(1)
		}
	}
}

// Events is the system's event feed.
func (s *System) Events() *Events { return &s.events }

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

// TableFault reports until when the table is unavailable (zero: it is available) and how many
// calls the fault has refused so far.
func (s *System) TableFault() (until time.Time, refused int64) {
	s.fault.mu.Lock()
	defer s.fault.mu.Unlock()
	if time.Now().Before(s.fault.until) {
		until = s.fault.until
	}
	return until, s.fault.rejected
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

// watchRequest wraps w (and r's body) when someone watches; done publishes the route's answer
// with the ride it created (a 201 body's RideId) or stored (the request's RideId: POST /record).
func (s *System) watchRequest(w http.ResponseWriter, r *http.Request, routeKey string) (http.ResponseWriter, func()) {
	if !s.events.Watching() {
		return w, func() {}
	}
	rec, start := &statusRecorder{ResponseWriter: w}, time.Now()
	var req bytes.Buffer
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(io.LimitReader(r.Body, maxPayload+1), &req), r.Body}
	return rec, func() {
		ev := Event{Kind: "request", Route: routeKey, Status: rec.status, Duration: time.Since(start)}
		if rec.status == http.StatusCreated {
			if ev.RideID = rideIDOf(rec.body); ev.RideID == "" {
				ev.RideID = rideIDOf(req.Bytes())
			}
		}
		s.events.publish(ev)
	}
}

func (s *System) invoked(name string, start time.Time, res localrt.Result, err error) {
	if !s.events.Watching() {
		return
	}
	ev := Event{Kind: "invoke", Function: name, OK: err == nil && res.FunctionError == "", Duration: time.Since(start)}
	if err != nil {
		ev.Error = err.Error()
	} else if res.FunctionError != "" {
		ev.Error = res.ErrorMessage
	}
	s.events.publish(ev)
}

func (s *System) published(messageID, topic, message string) {
	if !s.events.Watching() {
		return
	}
	s.events.publish(Event{Kind: "publish", MessageID: messageID, Topic: topic, RideID: rideIDOf([]byte(message)), OK: true})
}

// attempted is one asynchronous delivery: failure is empty when it succeeded.
func (s *System) attempted(name string, payload []byte, attempt int, start time.Time, failure string, retry bool) {
	if !s.events.Watching() {
		return
	}
	msg, rideID := snsEventOf(payload)
	s.events.publish(Event{Kind: "attempt", Function: name, MessageID: msg, RideID: rideID, Attempt: attempt,
		OK: failure == "", Error: failure, Retry: retry, Duration: time.Since(start)})
}

// deadLettered is an event that went to queue (empty: dropped) after its attempts.
func (s *System) deadLettered(name string, payload []byte, reason, queue string) {
	if !s.events.Watching() {
		return
	}
	msg, rideID := snsEventOf(payload)
	s.events.publish(Event{Kind: "deadletter", Function: name, MessageID: msg, RideID: rideID, Error: reason, Queue: queue, OK: queue != ""})
}

// ConsoleAddr is the loopback address the web console listens on (Options.ConsolePort).
func (s *System) ConsoleAddr() string { return fmt.Sprintf("127.0.0.1:%d", s.opts.ConsolePort) }

// SetConsoleURL records the web console's URL in the state file, for the other commands.
func (s *System) SetConsoleURL(url string) error {
	s.mu.Lock()
	s.console = url
	s.mu.Unlock()
	return s.writeState()
}
