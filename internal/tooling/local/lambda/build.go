package lambda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/atomicfile"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// Builder compiles each function's folder under lambdas/ for this host: the same code the CDK
// bundles for arm64 Lambda, run here under the local Runtime API. Its folder outlives the
// system: go build leaves a binary that is up to date alone, so a start relinks nothing that did
// not change. What one process built once, its later systems take as built, as a system does
// for its own deploys: go build's up-to-date check alone costs about a second of CPU. And a
// binary whose stamp (stampOf) says it was built from exactly the sources the function has now,
// any process takes as built without asking go build: the suite's test binaries each start
// systems of the same functions.
type Builder struct {
	root, dir string
	log       io.Writer
	*builds
}

// builds is what this process built into one folder.
type builds struct {
	mu    sync.Mutex
	built map[string]string // entry -> binary
}

var (
	buildsMu sync.Mutex
	byDir    = map[string]*builds{}
)

// NewBuilder builds the functions of the repository at root, saying what it builds to log.
func NewBuilder(root string, log io.Writer) *Builder {
	return newBuilder(root, binDir(root), log)
}

func newBuilder(root, dir string, log io.Writer) *Builder {
	buildsMu.Lock()
	defer buildsMu.Unlock()
	if byDir[dir] == nil {
		byDir[dir] = &builds{built: map[string]string{}}
	}
	return &Builder{root: root, dir: dir, log: log, builds: byDir[dir]}
}

// buildFlags are go build's flags but the output folder and the packages; a stamp holds them.
var buildFlags = []string{"-tags", "lambda.norpc", "-trimpath"}

// Binaries builds every entry not built yet, in one go build, and returns entry -> binary.
func (b *Builder) Binaries(ctx context.Context, entries []string) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var todo []string
	for _, e := range entries {
		if strings.Contains(e, "..") || filepath.IsAbs(e) {
			return nil, fmt.Errorf("function entry %q is not a folder inside the repository", e)
		}
		bin, ok := b.built[e]
		if ok { // built by this process; gone if someone cleaned the folder since
			_, err := os.Stat(bin)
			ok = err == nil
		}
		if !ok && !slices.Contains(todo, e) {
			todo = append(todo, e)
		}
	}
	if len(todo) == 0 {
		return b.binaries(entries), nil
	}
	// Without the sources' hashes (go list failed, say), every entry builds: go build says why.
	sums, _ := b.sources(ctx, todo)
	var stale []string
	for _, e := range todo {
		if sums[e] != "" && b.stamped(e, sums[e]) {
			b.built[e] = b.binary(e)
		} else {
			stale = append(stale, e)
		}
	}
	if len(stale) > 0 {
		if err := b.build(ctx, stale); err != nil {
			return nil, err
		}
		// A stamp says what the binary was built from: the sources hashed before go build ran
		// and still the same after it, else none was written.
		after, _ := b.sources(ctx, stale)
		for _, e := range stale {
			if sums[e] != "" && sums[e] == after[e] {
				_ = b.stamp(e, sums[e]) // without a stamp the next process asks go build
			}
		}
	}
	return b.binaries(entries), nil
}

func (b *Builder) binaries(entries []string) map[string]string {
	out := map[string]string{}
	for _, e := range entries {
		out[e] = b.built[e]
	}
	return out
}

func (b *Builder) binary(entry string) string { return filepath.Join(b.dir, filepath.Base(entry)) }

// build runs one go build of entries into the folder.
func (b *Builder) build(ctx context.Context, entries []string) error {
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(b.log, "building %s for this host ...\n", strings.Join(entries, ", "))
	args := append(append([]string{"build"}, buildFlags...), "-o", b.dir+string(filepath.Separator))
	for _, e := range entries {
		args = append(args, "./"+filepath.ToSlash(e))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s for this host: %w\n%s", strings.Join(entries, ", "), err, out.String())
	}
	for _, e := range entries {
		b.built[e] = b.binary(e)
	}
	fmt.Fprintf(b.log, "built %s for this host in %.1fs\n", strings.Join(entries, ", "), time.Since(start).Seconds())
	return nil
}

// sources returns entry -> a hash of all its binary is made of: the go command and its settings,
// the build flags, go.mod, go.sum and the content of every file of the module the entry's
// package compiles from (synth.ListPackages, which the synth's hash of the functions asked for
// already: go list runs only when the module changed).
func (b *Builder) sources(ctx context.Context, entries []string) (map[string]string, error) {
	pkgs, err := synth.ListPackages(ctx, b.root, synth.AppPatterns...)
	if err != nil {
		return nil, err
	}
	var patterns []string
	for _, e := range entries {
		patterns = append(patterns, "./"+filepath.ToSlash(e))
	}
	if _, ok := pkgs.FilesOf(entries...); !ok { // not all functions of the app: a test's
		if pkgs, err = synth.ListPackages(ctx, b.root, patterns...); err != nil {
			return nil, err
		}
	}
	var common bytes.Buffer
	fmt.Fprintf(&common, "go build %q\n", buildFlags)
	if err := synth.WriteToolchain(&common); err != nil {
		return nil, err
	}
	if err := synth.HashFiles(&common, b.root, []string{"go.mod", "go.sum"}); err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for _, e := range entries {
		files, ok := pkgs.FilesOf(e)
		if !ok {
			return nil, fmt.Errorf("go list does not name the package in %s", e)
		}
		h := sha256.New()
		h.Write(common.Bytes())
		if err := synth.HashFiles(h, b.root, files); err != nil {
			return nil, fmt.Errorf("hashing the sources of %s: %w", e, err)
		}
		sums[e] = hex.EncodeToString(h.Sum(nil))
	}
	return sums, nil
}

// stampOf is the path of entry's stamp, beside its binary: the hash of the sources it was built
// from, and the binary's size and mtime then, so a binary written since by anything else (an
// older go build of another process) does not pass for it.
func (b *Builder) stampOf(entry string) string { return b.binary(entry) + ".built" }

func (b *Builder) stampLine(entry, sum string) (string, error) {
	info, err := os.Stat(b.binary(entry))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("sources %s binary %d %d\n", sum, info.Size(), info.ModTime().UnixNano()), nil
}

// stamped says whether entry's binary is there and was built from the sources hashed sum.
func (b *Builder) stamped(entry, sum string) bool {
	want, err := b.stampLine(entry, sum)
	if err != nil {
		return false
	}
	got, err := os.ReadFile(b.stampOf(entry))
	return err == nil && string(got) == want
}

// stamp writes entry's stamp whole or not at all: other processes read it meanwhile.
func (b *Builder) stamp(entry, sum string) error {
	line, err := b.stampLine(entry, sum)
	if err != nil {
		return err
	}
	return atomicfile.Write(b.stampOf(entry), []byte(line), 0o644)
}

// binDir is where the host binaries of the checkout at root are kept between runs.
func binDir(root string) string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256([]byte(root))
	return filepath.Join(cache, "wild-rydes-local", hex.EncodeToString(sum[:6]), "bin")
}
