package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth/synthtest"
)

// tinyModule writes a module of two packages (the command fn imports a) into a new folder, with
// every mtime an hour old: old enough for its go list answer to be kept.
func tinyModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	synthtest.WriteFile(t, root, "go.mod", "module example.com/m\n\ngo 1.22\n")
	synthtest.WriteFile(t, root, "a/a.go", "package a\n\nfunc X() {}\n")
	synthtest.WriteFile(t, root, "fn/main.go", "package main\n\nimport \"example.com/m/a\"\n\nfunc main() { a.X() }\n")
	synthtest.Age(t, root)
	return root
}

// list lists ./fn in root and says whether go list ran for it.
func list(t *testing.T, root, memoDir string) (files []string, ran bool) {
	t.Helper()
	before := goListRuns.Load()
	p, err := listPackages(context.Background(), root, memoDir, nil, []string{"./fn"})
	if err != nil {
		t.Fatal(err)
	}
	files, ok := p.FilesOf("fn")
	if !ok {
		t.Fatalf("fn is not among the packages listed: %+v", p.List)
	}
	return files, goListRuns.Load() > before
}

func TestGoListIsRunOnceWhileNothingChanges(t *testing.T) {
	root, memoDir := tinyModule(t), t.TempDir()
	want := []string{filepath.Join("a", "a.go"), filepath.Join("fn", "main.go")}
	files, ran := list(t, root, memoDir)
	if !ran || !slices.Equal(files, want) {
		t.Fatalf("the first list: files %q, go list ran %v; want %q, ran", files, ran, want)
	}
	if memos, _ := filepath.Glob(filepath.Join(memoDir, "*.json")); len(memos) != 1 {
		t.Fatalf("the memo folder holds %q; want one memo", memos)
	}
	// Another process of the suite: nothing in this one remembers the answer but the file.
	files, ran = list(t, root, memoDir)
	if ran || !slices.Equal(files, want) {
		t.Errorf("the second list: files %q, go list ran %v; want %q from the memo", files, ran, want)
	}
}

func TestGoListRunsAgainAfterAChange(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(root string)
		want   []string
	}{
		{"a Go file added", func(root string) {
			synthtest.WriteFile(t, root, "a/b.go", "package a\n")
		}, []string{"a/a.go", "a/b.go", "fn/main.go"}},
		{"a Go file's content changed", func(root string) {
			// Same size, other content: now it imports nothing, and a is no longer a dependency.
			synthtest.WriteFile(t, root, "fn/main.go", "package main\n\n//port \"example.com/m/a\"\n\nfunc main() { /***/ }\n")
		}, []string{"fn/main.go"}},
		{"a Go file left out by a build constraint", func(root string) {
			synthtest.WriteFile(t, root, "a/c.go", "package a\n")
			synthtest.Age(t, root)
			synthtest.WriteFile(t, root, "a/c.go", "//go:build ignore\n\npackage a\n")
		}, []string{"a/a.go", "fn/main.go"}},
		{"go.mod changed", func(root string) {
			synthtest.WriteFile(t, root, "go.mod", "module example.com/m\n\ngo 1.23\n")
		}, []string{"a/a.go", "fn/main.go"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, memoDir := tinyModule(t), t.TempDir()
			if _, ran := list(t, root, memoDir); !ran {
				t.Fatal("go list did not run the first time")
			}
			c.change(root)
			var want []string
			for _, f := range c.want {
				want = append(want, filepath.FromSlash(f))
			}
			files, ran := list(t, root, memoDir)
			if !ran || !slices.Equal(files, want) {
				t.Fatalf("after the change: files %q, go list ran %v; want %q, ran", files, ran, want)
			}
			// Just changed: a second change in the file system's timestamp granularity might
			// keep the mtime, so this answer is not kept.
			if _, ran := list(t, root, memoDir); !ran {
				t.Errorf("an answer about files changed just now was kept")
			}
			synthtest.Age(t, root)
			if _, ran := list(t, root, memoDir); !ran {
				t.Errorf("go list did not run after the files aged")
			}
			if files, ran := list(t, root, memoDir); ran || !slices.Equal(files, want) {
				t.Errorf("once the files are old: files %q, go list ran %v; want %q from the memo", files, ran, want)
			}
		})
	}
}

// The memo saves go list only: the hash of the sources reads every file each time, so it moves
// with a file's content even where the memo cannot tell (same size, mtime set back).
func TestTheSourcesHashReadsTheFilesEachTime(t *testing.T) {
	root, memoDir := tinyModule(t), t.TempDir()
	hash := func() string {
		p, err := listPackages(context.Background(), root, memoDir, nil, []string{"./fn"})
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if err := HashFiles(h, root, p.AllFiles()); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	first := hash()
	if again := hash(); again != first {
		t.Fatalf("the hash moved with nothing changed")
	}
	a := filepath.Join(root, "a", "a.go")
	info, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	synthtest.WriteFile(t, root, "a/a.go", "package a\n\nfunc X(){ }\n")
	if err := os.Chtimes(a, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	before := goListRuns.Load()
	if hash() == first {
		t.Errorf("the hash did not move with a.go's content")
	}
	if goListRuns.Load() != before {
		t.Errorf("go list ran: the memo was to answer (this test is about the hash)")
	}
}

// The memos of a checkout that is gone go when another is written: test modules and removed
// worktrees leave nothing behind in the user's cache.
func TestTheMemoOfACheckoutThatIsGoneIsRemoved(t *testing.T) {
	memoDir := t.TempDir()
	gone := tinyModule(t)
	list(t, gone, memoDir)
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	here := tinyModule(t)
	list(t, here, memoDir)
	memos, _ := filepath.Glob(filepath.Join(memoDir, "*.json"))
	if len(memos) != 1 {
		t.Fatalf("the memo folder holds %q; want the memo of %s alone", memos, here)
	}
	if files, ran := list(t, here, memoDir); ran || len(files) == 0 {
		t.Errorf("the memo left is not %s's: go list ran %v", here, ran)
	}
}

// A list for another platform (GOARCH=arm64, on any host) lists that platform's files, and keeps
// a memo of its own: the host's answer never stands in for it, nor it for the host's.
func TestAListForAnotherPlatformListsItsFilesAndKeepsItsOwnMemo(t *testing.T) {
	root, memoDir := tinyModule(t), t.TempDir()
	synthtest.WriteFile(t, root, "a/only_arm64.go", "package a\n")
	synthtest.WriteFile(t, root, "a/only_riscv64.go", "package a\n")
	synthtest.Age(t, root)
	forArch := func(arch string) []string {
		t.Helper()
		p, err := listPackages(context.Background(), root, memoDir, []string{"GOOS=linux", "GOARCH=" + arch}, []string{"./fn"})
		if err != nil {
			t.Fatal(err)
		}
		files, _ := p.FilesOf("fn")
		return files
	}
	want := map[string][]string{
		"arm64":   {filepath.Join("a", "a.go"), filepath.Join("a", "only_arm64.go"), filepath.Join("fn", "main.go")},
		"riscv64": {filepath.Join("a", "a.go"), filepath.Join("a", "only_riscv64.go"), filepath.Join("fn", "main.go")},
	}
	for round := range 2 { // the second round reads the memos
		for _, arch := range []string{"arm64", "riscv64"} {
			if got := forArch(arch); !slices.Equal(got, want[arch]) {
				t.Errorf("round %d, GOARCH=%s: files %q, want %q", round+1, arch, got, want[arch])
			}
		}
	}
	if memos, _ := filepath.Glob(filepath.Join(memoDir, "*.json")); len(memos) != 2 {
		t.Errorf("the memo folder holds %q; want one memo per platform", memos)
	}
}
