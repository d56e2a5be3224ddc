package rollout

import (
	"fmt"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

func TestEachStackHasTheStatesItsStepsMake(t *testing.T) {
	for kind, want := range map[design.StackKind]string{
		design.WildRydes:  "[0 2 4]",
		design.RideRecord: "[0 1 3 5 6]",
	} {
		if got := fmt.Sprint(Revisions(kind)); got != want {
			t.Errorf("%s's states are steps %s, want %s", kind, got, want)
		}
	}
}

func TestAStackMovesOneOfItsStepsAtATime(t *testing.T) {
	for _, c := range []struct {
		kind design.StackKind
		at   State
		want string
	}{
		{design.RideRecord, Absent, "[0 1 3 5 6]"},
		{design.RideRecord, 0, "[1]"},
		{design.RideRecord, 3, "[1 5]"},
		{design.RideRecord, 5, "[3 6]"},
		{design.RideRecord, 6, "[5]"},
		{design.WildRydes, 2, "[0 4]"},
	} {
		if got := fmt.Sprint(moves(c.kind, c.at)); got != c.want {
			t.Errorf("%s at %s moves to %s, want %s", c.kind, c.at, got, c.want)
		}
	}
}

func TestAStepIsTheStateItsTemplateBelongsTo(t *testing.T) {
	for _, c := range []struct {
		kind design.StackKind
		at   State
		want State
	}{
		{design.WildRydes, 1, 0}, {design.WildRydes, 3, 2}, {design.WildRydes, 5, 4},
		{design.RideRecord, 2, 1}, {design.RideRecord, 4, 3}, {design.RideRecord, Absent, Absent},
	} {
		if got := Normal(c.kind, c.at); got != c.want {
			t.Errorf("%s at %s is %s, want %s", c.kind, c.at, got, c.want)
		}
	}
}
