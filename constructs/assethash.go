package constructs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
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

func hashEntries(moduleDir string) (map[string]string, error) {
	run := func(args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
		return string(out), nil
	}
	version, err := run("env", "GOVERSION")
	if err != nil {
		return nil, err
	}
	// Every module package the functions build from, with its files.
	pkgs, err := run("list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}} {{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{end}}", "./lambdas/...")
	if err != nil {
		return nil, err
	}
	files := map[string][]string{} // import path -> files (module packages only)
	for _, line := range strings.Split(strings.TrimSpace(pkgs), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[1], moduleDir) {
			continue
		}
		for _, name := range f[2:] {
			files[f[0]] = append(files[f[0]], filepath.Join(f[1], name))
		}
	}
	mains, err := run("list", "-f", "{{.Dir}} {{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./lambdas/...")
	if err != nil {
		return nil, err
	}
	common := sha256.New()
	fmt.Fprintf(common, "%s|%s|linux/arm64|", strings.TrimSpace(version), strings.Join(goBuildFlags, " "))
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(moduleDir, name))
		if err != nil {
			return nil, err
		}
		common.Write(b)
	}
	base := common.Sum(nil)

	hashes := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(mains), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		entry, err := filepath.Rel(moduleDir, f[0])
		if err != nil {
			return nil, err
		}
		var paths []string
		for _, imp := range append([]string{f[1]}, f[2:]...) {
			paths = append(paths, files[imp]...)
		}
		sort.Strings(paths)
		h := sha256.New()
		h.Write(base)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(moduleDir, p)
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
			h.Write(b)
		}
		hashes[filepath.ToSlash(entry)] = hex.EncodeToString(h.Sum(nil))
	}
	return hashes, nil
}
