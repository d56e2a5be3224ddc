package constructs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// goBuildFlags are the flags every function is built with; they are part of its asset hash.
var goBuildFlags = []string{`-trimpath`, `-tags lambda.norpc`, `-ldflags "-s -w"`}

var sources struct {
	once   sync.Once
	hashes map[string]string // entry (lambdas/<name>) -> source hash
	err    error
}

// sourceHash names a function's asset by what its binary is built from: the Go toolchain, the
// build flags, go.mod and go.sum (which pin every other module), and the files of every package
// of this module the function imports. The same sources give the same hash, so a synth skips
// bundling an asset that cdk.out already has, and a diff shows a function changed only when its
// code did.
func sourceHash(moduleDir, entry string) (string, error) {
	sources.once.Do(func() { sources.hashes, sources.err = hashEntries(moduleDir) })
	if sources.err != nil {
		return "", sources.err
	}
	h, ok := sources.hashes[filepath.ToSlash(entry)]
	if !ok {
		return "", fmt.Errorf("%s is not a Go main package under lambdas/", entry)
	}
	return h, nil
}

// lambdaPlatform is what the functions are built for: their files are listed for it.
var lambdaPlatform = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}

func hashEntries(moduleDir string) (map[string]string, error) {
	cmd := exec.Command("go", "env", "GOVERSION")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), lambdaPlatform...)
	version, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	// Every package under lambdas/, with the files of every module package it builds from: go
	// list's answer, which synth keeps while nothing it depends on changes.
	pkgs, err := synth.ListPackagesFor(context.Background(), moduleDir, lambdaPlatform, "./lambdas/...")
	if err != nil {
		return nil, err
	}
	common := sha256.New()
	fmt.Fprintf(common, "%s|%s|linux/arm64|", strings.TrimSpace(string(version)), strings.Join(goBuildFlags, " "))
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(moduleDir, name))
		if err != nil {
			return nil, err
		}
		common.Write(b)
	}
	base := common.Sum(nil)

	hashes := map[string]string{}
	for _, pkg := range pkgs.List {
		if pkg.Dir != "lambdas" && !strings.HasPrefix(pkg.Dir, "lambdas/") {
			continue // a package of the module the functions import
		}
		files, _ := pkgs.FilesOf(pkg.Dir)
		for i, f := range files {
			files[i] = filepath.ToSlash(f)
		}
		sort.Strings(files)
		h := sha256.New()
		h.Write(base)
		if err := synth.HashFiles(h, moduleDir, files); err != nil {
			return nil, err
		}
		hashes[pkg.Dir] = hex.EncodeToString(h.Sum(nil))
	}
	return hashes, nil
}
