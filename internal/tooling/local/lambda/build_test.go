package lambda_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// A later system of the same checkout takes what this process built as built, unless it is gone.
func TestAProcessBuildsAFunctionOnceForAllItsSystems(t *testing.T) {
	root, err := synth.Root()
	if err != nil {
		t.Fatal(err)
	}
	const entry = "internal/tooling/localrt/testdata/echofn"
	ctx := context.Background()
	var first, second bytes.Buffer
	built, err := lambda.NewBuilder(root, &first).Binaries(ctx, []string{entry})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), "building") {
		t.Errorf("the first system's log does not say it builds: %q", first.String())
	}
	again := lambda.NewBuilder(root, &second)
	if got, err := again.Binaries(ctx, []string{entry}); err != nil || got[entry] != built[entry] {
		t.Fatalf("the second system got %v, %v; want the first one's %s", got, err, built[entry])
	}
	if second.Len() != 0 {
		t.Errorf("the second system built again: %q", second.String())
	}
	if err := os.Remove(built[entry]); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Binaries(ctx, []string{entry}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(built[entry]); err != nil || !strings.Contains(second.String(), "building") {
		t.Errorf("a binary removed since is not built again: %v; log %q", err, second.String())
	}
}
