package stepdiff

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A diff of the same templates is answered from the cache without running the CLI again; a
// different template before, or another stack, runs it.
func TestTheSameDiffRunsTheCLIOnce(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	root, asm := t.TempDir(), t.TempDir()
	runs := filepath.Join(root, "runs")
	cli := "#!/bin/sh\necho run >> " + runs + "\necho \"diff of $8\"\necho 'Number of stacks with differences: 1'\nexit 1\n"
	write(t, filepath.Join(root, "node_modules", ".bin", "cdk"), cli, 0o755)
	write(t, filepath.Join(root, "package-lock.json"), `{"lockfileVersion": 3}`, 0o644)
	write(t, filepath.Join(asm, "manifest.json"), `{}`, 0o644)
	write(t, filepath.Join(asm, "s.template.json"), `{"Resources": {}}`, 0o644)
	before := filepath.Join(root, "before.json")
	write(t, before, `{}`, 0o644)
	count := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "run")
	}
	diff := func(stack string) string {
		t.Helper()
		out, changed, err := cdkDiff(context.Background(), root, asm, before, stack)
		if err != nil || !changed {
			t.Fatalf("diff: %v (changed %v)", err, changed)
		}
		return out
	}
	first := diff("s")
	if again := diff("s"); again != first || count() != 1 {
		t.Errorf("the second diff ran the CLI (%d runs) or answered %q, want the first's %q from the cache", count(), again, first)
	}
	write(t, before, `{"Resources": {"A": {}}}`, 0o644)
	diff("s")
	diff("other")
	if count() != 3 {
		t.Errorf("%d runs of the CLI, want 3: another template before and another stack are other diffs", count())
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
