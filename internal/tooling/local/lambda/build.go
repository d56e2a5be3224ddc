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
)

// Builder compiles each function's folder under lambdas/ for this host: the same code the CDK
// bundles for arm64 Lambda, run here under the local Runtime API. Its folder outlives the
// system: go build leaves a binary that is up to date alone, so a start relinks nothing that did
// not change. What one process built once, its later systems take as built, as a system does
// for its own deploys: go build's up-to-date check alone costs about a second of CPU.
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
	dir := binDir(root)
	buildsMu.Lock()
	defer buildsMu.Unlock()
	if byDir[dir] == nil {
		byDir[dir] = &builds{built: map[string]string{}}
	}
	return &Builder{root: root, dir: dir, log: log, builds: byDir[dir]}
}

// Binaries builds every entry not built yet, in one go build, and returns entry -> binary.
func (b *Builder) Binaries(ctx context.Context, entries []string) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var todo []string
	for _, e := range entries {
		bin, ok := b.built[e]
		if ok { // built by this process; gone if someone cleaned the folder since
			_, err := os.Stat(bin)
			ok = err == nil
		}
		if !ok && !slices.Contains(todo, e) {
			todo = append(todo, e)
		}
	}
	if len(todo) > 0 {
		if err := os.MkdirAll(b.dir, 0o755); err != nil {
			return nil, err
		}
		start := time.Now()
		fmt.Fprintf(b.log, "building %s for this host ...\n", strings.Join(todo, ", "))
		args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-o", b.dir + string(filepath.Separator)}
		for _, e := range todo {
			if strings.Contains(e, "..") || filepath.IsAbs(e) {
				return nil, fmt.Errorf("function entry %q is not a folder inside the repository", e)
			}
			args = append(args, "./"+filepath.ToSlash(e))
		}
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = b.root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building %s for this host: %w\n%s", strings.Join(todo, ", "), err, out.String())
		}
		for _, e := range todo {
			b.built[e] = filepath.Join(b.dir, filepath.Base(e))
		}
		fmt.Fprintf(b.log, "built %s for this host in %.1fs\n", strings.Join(todo, ", "), time.Since(start).Seconds())
	}
	out := map[string]string{}
	for _, e := range entries {
		out[e] = b.built[e]
	}
	return out, nil
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
