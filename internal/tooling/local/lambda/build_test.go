package lambda_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth/synthtest"
)

// A later system of the same checkout takes what this process built as built, unless it is gone.
func TestAProcessBuildsAFunctionOnceForAllItsSystems(t *testing.T) {
	// A module and a folder of its own (the stamp tests' small module: its function links in a
	// fraction of a function of the project's), so no stamp of an earlier run vouches for it.
	root, dir := t.TempDir(), t.TempDir()
	writeModule(t, root, fnModule)
	const entry = "lambdas/fn"
	ctx := context.Background()
	var first, second bytes.Buffer
	built, err := lambda.NewBuilderIn(root, dir, &first).Binaries(ctx, []string{entry})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), "building") {
		t.Errorf("the first system's log does not say it builds: %q", first.String())
	}
	again := lambda.NewBuilderIn(root, dir, &second)
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

// A function's module for the stamp tests: the app (not built here) and two functions, one of
// which imports a package of the module.
var fnModule = map[string]string{
	"go.mod":                "module example.com/m\n\ngo 1.22\n",
	"go.sum":                "",
	"cmd/app/main.go":       "package main\n\nfunc main() {}\n",
	"internal/x/x.go":       "package x\n\nfunc X() int { return 1 }\n",
	"lambdas/fn/main.go":    "package main\n\nimport \"example.com/m/internal/x\"\n\nfunc main() { _ = x.X() }\n",
	"lambdas/other/main.go": "package main\n\nfunc main() {}\n",
}

// writeModule writes files into root and makes everything in it an hour old, as an edit long
// ago leaves it: old enough for synth.ListPackages to keep go list's answer (one go list per
// change, not one per call).
func writeModule(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		synthtest.WriteFile(t, root, rel, content)
	}
	synthtest.Age(t, root)
}

// Another process takes a binary as built when its stamp says it was built from the sources the
// function has now, and builds exactly the functions whose sources (their own, or a package of
// the module they import) changed since.
func TestAProcessBuildsOnlyTheFunctionsWhoseSourcesChanged(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	writeModule(t, root, fnModule)
	entries := []string{"lambdas/fn", "lambdas/other"}
	// binaries is a start of another process: it knows only what the folder tells.
	binaries := func() (map[string]string, string) {
		t.Helper()
		lambda.Forget(dir)
		var log bytes.Buffer
		bins, err := lambda.NewBuilderIn(root, dir, &log).Binaries(context.Background(), entries)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, err := os.Stat(bins[e]); err != nil {
				t.Fatalf("%s: %v", e, err)
			}
		}
		return bins, log.String()
	}
	first, log := binaries()
	if !strings.Contains(log, "building lambdas/fn, lambdas/other for this host") {
		t.Fatalf("the first process does not say it builds both: %q", log)
	}
	info, err := os.Stat(first["lambdas/fn"])
	if err != nil {
		t.Fatal(err)
	}
	if again, log := binaries(); log != "" || again["lambdas/fn"] != first["lambdas/fn"] {
		t.Fatalf("a process with nothing changed got %v and logged %q; want %v, nothing built", again, log, first)
	}
	if now, err := os.Stat(first["lambdas/fn"]); err != nil || !now.ModTime().Equal(info.ModTime()) {
		t.Errorf("fn's binary was written again with nothing changed")
	}
	for _, c := range []struct{ change, file, content, builds string }{
		{"the app changed (no function imports it)", "cmd/app/main.go", "package main\n\nfunc main() { println() }\n", ""},
		{"other's main changed", "lambdas/other/main.go", "package main\n\nfunc main() { println() }\n", "lambdas/other"},
		{"the package fn imports changed", "internal/x/x.go", "package x\n\nfunc X() int { return 2 }\n", "lambdas/fn"},
		{"a file was added to fn", "lambdas/fn/more.go", "package main\n\nvar more = 1\n", "lambdas/fn"},
	} {
		writeModule(t, root, map[string]string{c.file: c.content})
		_, log := binaries()
		switch {
		case c.builds == "" && log != "":
			t.Errorf("%s: built %q; want nothing built", c.change, log)
		case c.builds != "" && !strings.Contains(log, "building "+c.builds+" for this host"):
			t.Errorf("%s: built %q; want %s alone built", c.change, log, c.builds)
		}
		if _, log := binaries(); log != "" {
			t.Errorf("%s: built again with nothing changed since: %q", c.change, log)
		}
	}
	// A binary written since by anything but this builder is not taken for the one stamped.
	fn, err := os.ReadFile(first["lambdas/fn"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(first["lambdas/other"], fn, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, log := binaries(); !strings.Contains(log, "building lambdas/other for this host") {
		t.Errorf("a binary overwritten since its stamp was taken as built: %q", log)
	}
}
