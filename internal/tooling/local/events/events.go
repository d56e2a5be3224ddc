// Package events is the feed of what happens on a ride's path in the local system (a route's
// answer, an invocation, a publish, an asynchronous attempt, a dead letter, a fault), for watchers
// such as the console. Publishing costs one atomic load when nobody watches.
package events

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event is one thing that happened on a ride's path.
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

// Feed fans the system's events out to watchers. With no watcher, publishing is one atomic
// load; with watchers, each gets the event unless its buffer is full (a slow watcher loses
// events, the ride path never waits). The zero value is ready to use.
type Feed struct {
	watchers atomic.Int32
	mu       sync.RWMutex
	subs     map[chan Event]struct{}
	lost     atomic.Int64
}

// Watch returns a channel of events and a function that stops it. buffer bounds what a slow
// reader may fall behind by.
func (f *Feed) Watch(buffer int) (<-chan Event, func()) {
	ch := make(chan Event, buffer)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan Event]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.watchers.Add(1)
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, ch)
			f.watchers.Add(-1)
			f.mu.Unlock()
		})
	}
}

// Lost counts the events that a full watcher buffer dropped.
func (f *Feed) Lost() int64 { return f.lost.Load() }

// Watching says whether anyone watches, so call sites skip building an event nobody reads.
func (f *Feed) Watching() bool { return f.watchers.Load() > 0 }

// Publish hands ev to every watcher; its Time is now unless set.
func (f *Feed) Publish(ev Event) {
	if !f.Watching() {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
			f.lost.Add(1)
		}
	}
}
