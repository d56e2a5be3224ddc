package console

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

var (
	root  string
	steps *synth.Steps  // every step of stage "test"
	final *cfn.Assembly // the final step
)

// TestMain synthesizes the final step once (cached while the app's sources do not change), so
// the tests run the console against the templates users deploy.
func TestMain(m *testing.M) {
	var err error
	if root, err = synth.Root(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if steps, err = synth.Synthesize(context.Background(), synth.Options{Root: root, Stage: "test", Log: os.Stderr}); err == nil {
		final, err = steps.Assembly(design.FinalStep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "synthesizing the final step:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// system starts a local system running the final step, stopped when the test ends.
func system(t *testing.T) *local.System {
	t.Helper()
	var mu sync.Mutex
	var logs bytes.Buffer
	sys, err := local.Start(context.Background(), local.Options{Root: root, Log: lockedWriter{&mu, &logs},
		RetryDelays: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sys.Close()
		if t.Failed() {
			mu.Lock()
			t.Logf("local system log (tail):\n%s", tail(logs.String(), 40))
			mu.Unlock()
		}
	})
	if err := sys.Install(context.Background(), steps, design.FinalStep, nil); err != nil {
		t.Fatal(err)
	}
	return sys
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func tail(s string, lines int) string {
	n := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			if n++; n > lines {
				return s[i+1:]
			}
		}
	}
	return s
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
