// Package synthtest writes small Go modules for the tests of what reads a module's sources
// (synth.ListPackages, the local functions' build stamps), with the mtimes the go list memo
// goes by.
package synthtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WriteFile writes content to the file rel (slash-separated) under root, making its folders.
func WriteFile(t testing.TB, root, rel, content string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Age makes every file and folder under root an hour old, as an edit long ago leaves them: old
// enough for synth.ListPackages to keep go list's answer.
func Age(t testing.TB, root string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(path, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}
