package clock

import (
	"context"
	"testing"
	"time"
)

func TestAScaledClockRunsAWSMinutesInWallSeconds(t *testing.T) {
	c := Scaled(60)
	if got := c.Wall(time.Minute); got != time.Second {
		t.Errorf("a minute of AWS time lasts %s at scale 60, want 1s", got)
	}
	start := time.Now()
	if err := c.Sleep(context.Background(), 3*time.Second); err != nil { // 50 ms of wall time
		t.Fatal(err)
	}
	if wall := time.Since(start); wall < 45*time.Millisecond || wall > time.Second {
		t.Errorf("sleeping 3s of AWS time at scale 60 took %s of wall time, want about 50ms", wall)
	}
	before := c.Now()
	time.Sleep(20 * time.Millisecond)
	if got := c.Since(before); got < time.Second {
		t.Errorf("20ms of wall time is %s of AWS time at scale 60, want at least 1.2s", got)
	}
}

func TestTheRealClockKeepsAWSTimingsAndStartsAtTheWallTime(t *testing.T) {
	c := Real()
	if c.Wall(time.Minute) != time.Minute {
		t.Errorf("the real clock shortens a minute to %s", c.Wall(time.Minute))
	}
	if d := c.Now().Sub(time.Now()); d > time.Second || d < -time.Second {
		t.Errorf("the real clock is %s off the wall clock", d)
	}
	if Scaled(0.5).Scale() != 1 {
		t.Error("a scale below 1 would slow AWS timings down; it must be taken as 1")
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Real().Sleep(ctx, time.Hour); err == nil {
		t.Error("Sleep went on after its context ended")
	}
}

func TestAdvanceSkipsAWSTimeAtOnceAndOnlyForward(t *testing.T) {
	c := Scaled(60)
	before := c.Now()
	c.Advance(15 * time.Minute)
	if got := c.Since(before); got < 15*time.Minute || got > 16*time.Minute {
		t.Errorf("advanced by 15m, the clock moved %s", got)
	}
	at := c.Now()
	c.Advance(-time.Hour)
	if c.Now().Before(at) {
		t.Error("a negative Advance turned the clock back")
	}
}
