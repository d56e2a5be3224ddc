package rolloutguard

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Version is one value an SSM parameter held, from the moment it was set (its LastModifiedDate:
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ParameterHistory.html).
type Version struct {
	Value string
	Set   time.Time
}

// History reads every version of a parameter, oldest first; none when it does not exist.
// Deleting a parameter deletes its history, so a parameter created again starts a new one.
type History func(ctx context.Context, name string) ([]Version, error)

// Clock is the time a guard compares HeldFor with: Now, and Scale, how many times faster than
// wall time the AWS durations of the conditions pass (1 on AWS; the local system runs them
// faster, see design.EnvLocalTimeScale). The zero Clock is the wall clock at scale 1.
type Clock struct {
	Now   func() time.Time
	Scale float64
}

func (c Clock) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// wall is how long d of AWS time lasts on this clock.
func (c Clock) wall(d time.Duration) time.Duration {
	if c.Scale <= 1 {
		return d
	}
	return time.Duration(float64(d) / c.Scale)
}

// Held evaluates the conditions that have a HeldFor: over the last HeldFor (on clock), every
// value the parameter held was allowed. It returns the first that fails as a *Failure whose
// Wait says when it will hold. Absent counts as "": the time before a parameter's first version
// is absent.
func Held(ctx context.Context, conds []Condition, history History, clock Clock) error {
	for _, c := range conds {
		if c.HeldFor <= 0 {
			continue
		}
		versions, err := history(ctx, c.Parameter)
		if err != nil {
			return fmt.Errorf("rollout guard: reading the history of SSM parameter %s: %w", c.Parameter, err)
		}
		if len(versions) > 0 && !c.Allows(versions[len(versions)-1].Value) {
			return &Failure{Condition: c, Value: versions[len(versions)-1].Value}
		}
		now, window := clock.now(), clock.wall(c.HeldFor)
		for i := len(versions) - 2; i >= 0; i-- {
			if c.Allows(versions[i].Value) {
				continue
			}
			until := versions[i+1].Set
			if held := now.Sub(until); held < window {
				return &Failure{Condition: c, Value: versions[i].Value, Until: until, Wait: window - held}
			}
			break // the last value not allowed ended long enough ago
		}
	}
	return nil
}

// TimeScale reads design.EnvLocalTimeScale's value: a number above 1, else 1.
func TimeScale(v string) float64 {
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 1 {
		return f
	}
	return 1
}
