package constructs

import (
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth/synthtest"
)

// A function's asset hash is its arm64 Linux build's sources: a file of a package it imports
// changes its hash and no other function's; a file only another platform builds changes none.
func TestAFunctionsAssetHashFollowsTheSourcesOfItsArm64Build(t *testing.T) {
	root := t.TempDir()
	synthtest.WriteFile(t, root, "go.mod", "module example.com/m\n\ngo 1.22\n")
	synthtest.WriteFile(t, root, "go.sum", "")
	synthtest.WriteFile(t, root, "a/a.go", "package a\n\nfunc X() {}\n")
	synthtest.WriteFile(t, root, "a/only_arm64.go", "package a\n")
	synthtest.WriteFile(t, root, "a/only_amd64.go", "package a\n")
	synthtest.WriteFile(t, root, "lambdas/fn/main.go", "package main\n\nimport \"example.com/m/a\"\n\nfunc main() { a.X() }\n")
	synthtest.WriteFile(t, root, "lambdas/other/main.go", "package main\n\nfunc main() {}\n")
	hashes := func() map[string]string {
		t.Helper()
		h, err := hashEntries(root)
		if err != nil {
			t.Fatal(err)
		}
		if h["lambdas/fn"] == "" || h["lambdas/other"] == "" || h["lambdas/fn"] == h["lambdas/other"] {
			t.Fatalf("hashes %v, want one of its own for each function", h)
		}
		return h
	}
	before := hashes()
	synthtest.WriteFile(t, root, "a/only_amd64.go", "package a\n\nconst Y = 1\n")
	if after := hashes(); after["lambdas/fn"] != before["lambdas/fn"] || after["lambdas/other"] != before["lambdas/other"] {
		t.Errorf("a file only an amd64 build compiles changed the hashes: %v, then %v", before, after)
	}
	synthtest.WriteFile(t, root, "a/only_arm64.go", "package a\n\nconst Y = 1\n")
	after := hashes()
	if after["lambdas/fn"] == before["lambdas/fn"] {
		t.Errorf("a change to a file fn's arm64 build compiles left its hash %s", before["lambdas/fn"])
	}
	if after["lambdas/other"] != before["lambdas/other"] {
		t.Errorf("a change to a package only fn imports changed other's hash")
	}
}
