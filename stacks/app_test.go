package stacks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

// A stack constructor called without its props stops with the name of what is missing, before
// it touches the construct tree, instead of a nil dereference deep inside it.
func TestAStackWithoutItsPropsSaysWhatIsMissing(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func()
	}{
		{"NewWildRydesStack with nil props", func() { stacks.NewWildRydesStack(nil, "wr", nil) }},
		{"NewWildRydesStack without a Stage", func() { stacks.NewWildRydesStack(nil, "wr", &stacks.WildRydesStackProps{}) }},
		{"NewRideRecordStack with nil props", func() { stacks.NewRideRecordStack(nil, "rr", nil) }},
		{"NewRideRecordStack without a Stage", func() { stacks.NewRideRecordStack(nil, "rr", &stacks.RideRecordStackProps{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			func() {
				defer func() { got = fmt.Sprint(recover()) }()
				tc.new()
			}()
			if !strings.Contains(got, "props with a Stage are required") {
				t.Errorf("panics with %q, want it to name the missing props (a Stage)", got)
			}
		})
	}
}
