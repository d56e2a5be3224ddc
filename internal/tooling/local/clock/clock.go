// Package clock is the local system's time. AWS's timings that take minutes (Lambda's
// asynchronous retry delays, an event's maximum age, CloudWatch's alarm periods) keep their real
// length by default; a Scale above 1 runs them faster, for tests and demos, and the local system
// says so. Everything else (a function's own timeout, the SDK's back-off inside a function, the
// load a test sends) runs in wall time whatever the scale.
package clock

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// Clock converts between the AWS time the local system models and wall time. The zero value is
// not usable; use Real or Scaled.
type Clock struct {
	scale float64
	wall0 time.Time // wall time when the clock started
	aws0  time.Time // AWS time at wall0: the same instant, so timestamps look real
	// skipped is the AWS time Advance skipped, in nanoseconds.
	skipped atomic.Int64
}

// Real is a clock whose minutes last a minute.
func Real() *Clock { return Scaled(1) }

// Scaled is a clock whose AWS durations pass scale times faster than wall time: at 60, Lambda's
// one-minute retry delay takes one second. scale below 1 is taken as 1.
func Scaled(scale float64) *Clock {
	if scale < 1 {
		scale = 1
	}
	now := time.Now()
	return &Clock{scale: scale, wall0: now, aws0: now}
}

// Scale is how many times faster than wall time AWS durations pass.
func (c *Clock) Scale() float64 { return c.scale }

// Now is the AWS time: the wall time elapsed since the clock started, scaled, and what Advance
// skipped.
func (c *Clock) Now() time.Time { return c.At(time.Now()) }

// At is the AWS time of the wall time t: a log line's own timestamp, read on the clock.
func (c *Clock) At(t time.Time) time.Time {
	return c.aws0.Add(time.Duration(float64(t.Sub(c.wall0))*c.scale) + time.Duration(c.skipped.Load()))
}

// Advance moves AWS time on by d at once, as if d had passed and nothing had happened in it: a
// test skips a stretch of AWS time in which the system has nothing to do (an alarm's datapoints
// leaving its evaluation range) rather than waiting it out. A Sleep under way still ends at its
// own wall time; d <= 0 does nothing.
func (c *Clock) Advance(d time.Duration) {
	if d > 0 {
		c.skipped.Add(int64(d))
	}
}

// Wall is how long d of AWS time lasts in wall time.
func (c *Clock) Wall(d time.Duration) time.Duration { return time.Duration(float64(d) / c.scale) }

// Since is the AWS time elapsed since t (an AWS time).
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Sleep waits d of AWS time, or until ctx ends.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(c.Wall(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// String says what the clock does, for the local system's start-up lines.
func (c *Clock) String() string {
	if c.scale == 1 {
		return "AWS timings at their real length"
	}
	return fmt.Sprintf("AWS timings %g times faster than on AWS (a minute lasts %s)", c.scale, c.Wall(time.Minute))
}
