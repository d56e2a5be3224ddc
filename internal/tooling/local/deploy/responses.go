package deploy

import (
	"errors"
	"sync"
)

// calls are the custom resource requests whose answer CloudFormation waits for, by request ID.
// A request's ResponseURL stays valid after the wait (on AWS, a pre-signed S3 URL for hours): a
// late answer is taken and ignored.
type calls struct {
	mu       sync.Mutex
	waiting  map[string]chan []byte
	answered map[string]bool
}

// expect registers a request; its first answer arrives on the channel.
func (c *calls) expect(id string) <-chan []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting == nil {
		c.waiting, c.answered = map[string]chan []byte{}, map[string]bool{}
	}
	ch := make(chan []byte, 1)
	c.waiting[id] = ch
	return ch
}

// forget ends the wait for a request's answer.
func (c *calls) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.waiting, id)
	c.answered[id] = true
}

// ErrNoRequest is an answer to a request CloudFormation never sent.
var ErrNoRequest = errors.New("no custom resource request has this ID")

// Respond is a custom resource's answer, PUT to its request's ResponseURL: the body as it came.
func (e *Engine) Respond(requestID string, body []byte) error {
	c := &e.calls
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.waiting[requestID]
	switch {
	case ok:
		select {
		case ch <- body:
		default: // answered already: the first answer counts
		}
		return nil
	case c.answered[requestID]:
		return nil
	}
	return ErrNoRequest
}
