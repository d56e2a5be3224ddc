package console

import (
	"os"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

var (
	env   *localtest.Env // every step of stage "test"
	final *cfn.Assembly  // the final step
)

// TestMain synthesizes every step once (cached while the app's sources do not change), so the
// tests run the console against the templates users deploy.
func TestMain(m *testing.M) {
	env = localtest.Setup()
	var err error
	if final, err = env.Steps.Assembly(design.FinalStep); err != nil {
		panic(err)
	}
	os.Exit(env.Run(m))
}

// system is the local system at the final step that the package's tests share.
func system(t *testing.T) *local.System {
	t.Helper()
	return env.Shared(t, localtest.At(design.FinalStep))
}

// topologyOf draws asm, failing the test if its model cannot be made.
func topologyOf(t *testing.T, asm *cfn.Assembly) Topology {
	t.Helper()
	top, err := TopologyOf(asm)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// console is a console of cfg, closed when the test ends.
func console(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// byKind lists the nodes of one kind.
func (t Topology) byKind(kind string) []Node {
	var out []Node
	for _, n := range t.Nodes {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
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
