// Package synth runs `cdk synth` for a stage and refactor step, so the tools read the same
// templates the user deploys.
package synth

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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

// Options says what to synthesize where.
type Options struct {
	// Root is the repository (the folder with cdk.json); default: found from the working directory.
	Root string
	// Stage is -c stage; default design.DefaultStage.
	Stage string
	// AllSteps synthesizes every refactor step in one run of the app (design.AllStepsContext;
	// see design.StepAssembly for where each step lands) instead of the final state alone.
	// Synthesize does, for Steps.
	AllSteps bool
	// OutDir receives the cloud assembly.
	OutDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Run synthesizes both stacks into opts.OutDir with the project's pinned CDK CLI.
func Run(ctx context.Context, opts Options) error {
	root, err := rootOr(opts.Root)
	if err != nil {
		return err
	}
	cdk := filepath.Join(root, "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		return fmt.Errorf("the CDK CLI is not installed at %s: run `make setup` (npm ci) first", cdk)
	}
	stage := opts.Stage
	if stage == "" {
		stage = design.DefaultStage
	}
	// --strict: a warning (an unacknowledged CDK or cdk-nag finding) fails the synth.
	args := []string{"synth", "--quiet", "--strict", "--output", opts.OutDir, "-c", "stage=" + stage}
	what := "final state"
	if opts.AllSteps {
		args = append(args, "-c", design.AllStepsContext+"=true")
		what = "every step"
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "synthesizing %s (stage %s) into %s ...\n", what, stage, opts.OutDir)
	start := time.Now()
	cmd := exec.CommandContext(ctx, cdk, args...)
	cmd.Dir = root
	cmd.Env = Env(root)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cdk %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	// What the CLI and the app printed stays with the assembly, so a test can hold a good synth
	// to printing nothing a user could mistake for a failure.
	if err := os.WriteFile(filepath.Join(opts.OutDir, OutputFile), out.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "synthesized %s in %.1fs\n", what, time.Since(start).Seconds())
	return nil
}

// OutputFile, in a synthesized assembly, holds what `cdk synth` printed.
const OutputFile = "synth-output.txt"

// Env is the environment for the CDK CLI and the Go app: the pinned Node 22 first on PATH, and
// jsii told to use it. CDK_VALIDATION, which fast assertion tests turn off, is not passed on: a
// real synth validates.
func Env(root string) []string {
	bin := filepath.Join(root, "node_modules", ".bin")
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "JSII_NODE=") || strings.HasPrefix(kv, "CDK_VALIDATION=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"JSII_NODE="+filepath.Join(bin, "node"),
		"JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1",
		"CDK_DISABLE_VERSION_CHECK=1",
		"CDK_CLI_NOTICES=false",
		// The CLI's telemetry (aws-cdk lib/cli/telemetry/collect-telemetry.js reads this) would
		// send each command's record from a Node process of its own: nothing here calls AWS.
		"CDK_DISABLE_CLI_TELEMETRY=true",
	)
}

// CDK returns the path of the pinned CDK CLI.
func CDK(root string) string { return filepath.Join(root, "node_modules", ".bin", "cdk") }

// Root finds the repository root (the folder holding cdk.json) upwards from the working directory.
func Root() (string, error) { return rootOr("") }

func rootOr(root string) (string, error) {
	if root != "" {
		return root, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "cdk.json")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no cdk.json in %s or above: run from the repository", dir)
		}
	}
}

// Cached synthesizes like Run into a folder of the user's cache named by a hash of everything
// the templates are made from (the Go sources, go.sum, cdk.json, the CLI's lock file) and the
// stage and step, and reuses it while none of that changed: the test suites' warm runs then
// synthesize nothing, like Go's own test cache.
func Cached(ctx context.Context, opts Options) (string, error) {
	root, err := rootOr(opts.Root)
	if err != nil {
		return "", err
	}
	opts.Root = root
	h := sha256.New()
	if opts.Stage == "" {
		opts.Stage = design.DefaultStage
	}
	fmt.Fprintf(h, "stage=%s\n", opts.Stage)
	if opts.AllSteps {
		fmt.Fprintf(h, "all steps\n")
	}
	err = hashSources(ctx, root, h)
	if err != nil {
		return "", fmt.Errorf("hashing the app's sources: %w", err)
	}
	dir := filepath.Join(cacheRoot(), hex.EncodeToString(h.Sum(nil))[:24])
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		now := time.Now()
		_ = os.Chtimes(dir, now, now) // used: prune keeps it
		return dir, nil
	}
	tmp := dir + ".tmp-" + strconv.Itoa(os.Getpid())
	opts.OutDir = tmp
	if err := Run(ctx, opts); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	defer prune(filepath.Dir(dir), 24)
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(filepath.Join(dir, "manifest.json")); statErr == nil {
			return dir, nil // another process cached it first
		}
		return "", err
	}
	return dir, nil
}

// CacheFile is the path of name in the cache Cached keeps its assemblies in (the user's cache),
// for what other tools keep beside them.
func CacheFile(name string) string { return filepath.Join(cacheRoot(), name) }

// cacheRoot is where Cached keeps the assemblies: the user's cache.
func cacheRoot() string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "wild-rydes-synth")
}

// recentlyUsed is how long prune leaves an assembly alone: a test suite may still be reading it
// (the worktrees of one machine share the cache, and each synthesizes every step).
const recentlyUsed = time.Hour

// prune keeps the keep most recently used assemblies of the cache, and any used in the last hour.
func prune(dir string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= keep {
		return
	}
	type aged struct {
		path string
		mod  time.Time
	}
	var all []aged
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			all = append(all, aged{filepath.Join(dir, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mod.After(all[j].mod) })
	for _, a := range all[min(keep, len(all)):] {
		if time.Since(a.mod) > recentlyUsed {
			_ = os.RemoveAll(a.path)
		}
	}
}

// hashSources writes into h every file the templates are made from: the Go files of the app and
// of every function and the module packages they import (as go list sees them: ListPackages),
// go.mod, go.sum, cdk.json and the CLI's lock file. Nothing else in the tree moves the hash.
func hashSources(ctx context.Context, root string, h io.Writer) error {
	pkgs, err := ListPackages(ctx, root, AppPatterns...)
	if err != nil {
		return err
	}
	files := append([]string{"go.mod", "go.sum", "cdk.json", "package-lock.json"}, pkgs.AllFiles()...)
	return HashFiles(h, root, files)
}
