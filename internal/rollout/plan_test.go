package rollout

import (
	"fmt"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/refactor"
)

func TestEachStackHasTheStatesItsStepsMake(t *testing.T) {
	for kind, want := range map[refactor.StackKind]string{
		refactor.WildRydes:  "[0 2 4]",
		refactor.RideRecord: "[0 1 3 5]",
	} {
		if got := fmt.Sprint(Revisions(kind)); got != want {
			t.Errorf("%s's states are steps %s, want %s", kind, got, want)
		}
	}
}

func TestAStackMovesOneOfItsStepsAtATime(t *testing.T) {
	for _, c := range []struct {
		kind refactor.StackKind
		at   State
		want string
	}{
		{refactor.RideRecord, Absent, "[0 1 3 5]"},
		{refactor.RideRecord, 0, "[1]"},
		{refactor.RideRecord, 3, "[1 5]"},
		{refactor.RideRecord, 5, "[3]"},
		{refactor.WildRydes, 2, "[0 4]"},
	} {
		if got := fmt.Sprint(moves(c.kind, c.at)); got != c.want {
			t.Errorf("%s at %s moves to %s, want %s", c.kind, c.at, got, c.want)
		}
	}
}

func TestAStepIsTheStateItsTemplateBelongsTo(t *testing.T) {
	for _, c := range []struct {
		kind refactor.StackKind
		at   State
		want State
	}{
		{refactor.WildRydes, 1, 0}, {refactor.WildRydes, 3, 2}, {refactor.WildRydes, 5, 4},
		{refactor.RideRecord, 2, 1}, {refactor.RideRecord, 4, 3}, {refactor.RideRecord, Absent, Absent},
	} {
		if got := Normal(c.kind, c.at); got != c.want {
			t.Errorf("%s at %s is %s, want %s", c.kind, c.at, got, c.want)
		}
	}
}
