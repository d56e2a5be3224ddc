package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/atomicfile"
)

// AppPatterns are the packages the templates are made from: the app and every function.
var AppPatterns = []string{"./cmd/app", "./lambdas/..."}

// Packages is what `go list -deps` says of some patterns: the packages of the module they are
// made of, in go list's order, each with the files it is compiled from. Packages from the module
// cache are left out: go.mod and go.sum pin them.
type Packages struct {
	List []Package
}

// Package is one package of the module.
type Package struct {
	ImportPath string
	// Dir is the package's folder, slash-separated and relative to the root.
	Dir string
	// Files are the files the package is compiled from, relative to Dir.
	Files []string
	// Deps are the import paths of every package it imports, directly or not.
	Deps []string
}

// AllFiles returns the files of every package, relative to the root, in go list's order.
func (p *Packages) AllFiles() []string {
	var files []string
	for _, pkg := range p.List {
		for _, f := range pkg.Files {
			files = append(files, filepath.FromSlash(path.Join(pkg.Dir, f)))
		}
	}
	return files
}

// FilesOf returns the files, relative to the root, of the packages in the folders dirs
// (slash-separated, relative to the root) and of every package of the module they import: what a
// go build of those folders compiles from the module. ok is false when a folder is not among the
// packages listed.
func (p *Packages) FilesOf(dirs ...string) (files []string, ok bool) {
	want := map[string]bool{}
	for _, d := range dirs {
		pkg := p.byDir(d)
		if pkg == nil {
			return nil, false
		}
		want[pkg.ImportPath] = true
		for _, dep := range pkg.Deps {
			want[dep] = true
		}
	}
	for _, pkg := range p.List {
		if want[pkg.ImportPath] {
			for _, f := range pkg.Files {
				files = append(files, filepath.FromSlash(path.Join(pkg.Dir, f)))
			}
		}
	}
	return files, true
}

func (p *Packages) byDir(dir string) *Package {
	dir = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(dir)), "./")
	for i := range p.List {
		if p.List[i].Dir == dir {
			return &p.List[i]
		}
	}
	return nil
}

// ListPackages runs `go list -deps patterns` in root, or reuses what it answered for the same
// root, patterns and fingerprint (listFingerprint) in any process before: every test binary of
// the suite asks, and go list costs about 0.3 CPU-s where the fingerprint costs a few ms. The
// answers are kept beside the synthesized assemblies, in the user's cache.
func ListPackages(ctx context.Context, root string, patterns ...string) (*Packages, error) {
	return ListPackagesFor(ctx, root, nil, patterns...)
}

// ListPackagesFor is ListPackages with env (KEY=value: GOOS=linux, GOARCH=arm64...) added to go
// list's environment: the packages and files of a build for another platform.
func ListPackagesFor(ctx context.Context, root string, env []string, patterns ...string) (*Packages, error) {
	return listPackages(ctx, root, filepath.Join(cacheRoot(), "golist"), env, patterns)
}

// goListRuns counts the runs of go list, for the tests.
var goListRuns atomic.Int64

// trustAfter is how old every file of a fingerprint must be for its answer to be kept. A file
// written again within its file system's timestamp granularity (a few ms on Linux, 2 s on FAT)
// at the same size keeps its mtime: one older than that when the fingerprint was taken is
// changed, if ever, at a later mtime, which moves the fingerprint. (cmd/go's module index
// distrusts recent files the same way.)
const trustAfter = 2 * time.Second

func listPackages(ctx context.Context, root, memoDir string, env, patterns []string) (*Packages, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	name := sha256.Sum256([]byte(root + "\x00" + strings.Join(patterns, "\x00") + "\x00env\x00" + strings.Join(env, "\x00")))
	memo := filepath.Join(memoDir, hex.EncodeToString(name[:12])+".json")
	// Taken before go list runs: a file changed meanwhile then moves the fingerprint from the
	// one kept, and the next caller lists again.
	key, newest, keyErr := listFingerprint(root, env, patterns)
	if keyErr == nil {
		if p := readMemo(memo, key); p != nil {
			return p, nil
		}
	}
	p, err := goList(ctx, root, env, patterns)
	if err != nil {
		return nil, err
	}
	if keyErr == nil && time.Since(newest) > trustAfter {
		// The memo only saves time: without it the next caller lists again.
		if writeMemo(memo, memoFile{Root: root, Key: key, Packages: p}) == nil {
			sweepMemos(memoDir)
		}
	}
	return p, nil
}

type memoFile struct {
	Root, Key string
	*Packages
}

// sweepMemos removes the memos of checkouts that are gone (a removed worktree, a test's module):
// the others are one per checkout and set of patterns, each replaced as its module changes.
func sweepMemos(dir string) {
	memos, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, file := range memos {
		b, err := os.ReadFile(file)
		var m memoFile
		if err != nil || json.Unmarshal(b, &m) != nil {
			continue
		}
		if _, err := os.Stat(m.Root); errors.Is(err, fs.ErrNotExist) {
			os.Remove(file)
		}
	}
}

func readMemo(file, key string) *Packages {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var m memoFile
	if json.Unmarshal(b, &m) != nil || m.Key != key || m.Packages == nil {
		return nil
	}
	return m.Packages
}

// writeMemo writes the memo whole or not at all: other processes read it meanwhile.
func writeMemo(file string, m memoFile) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return atomicfile.Write(file, b, 0o644)
}

func goList(ctx context.Context, root string, env, patterns []string) (*Packages, error) {
	goListRuns.Add(1)
	fields := "-json=ImportPath,Dir,Standard,Deps,GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedFiles"
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-deps", fields}, patterns...)...)
	cmd.Dir = root
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps %s: %w\n%s", strings.Join(patterns, " "), err, stderr.String())
	}
	p := &Packages{}
	inModule := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var pkg listedPackage
		if err := dec.Decode(&pkg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list's answer: %w", err)
		}
		rel, err := filepath.Rel(root, pkg.Dir)
		if pkg.Standard || err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue // the standard library, or a module from the module cache: go.sum pins it
		}
		inModule[pkg.ImportPath] = true
		lp := Package{ImportPath: pkg.ImportPath, Dir: filepath.ToSlash(rel), Files: pkg.files()}
		for _, dep := range pkg.Deps {
			if inModule[dep] { // -deps lists a package after all it imports
				lp.Deps = append(lp.Deps, dep)
			}
		}
		p.List = append(p.List, lp)
	}
	return p, nil
}

// listedPackage is a package as go list -json tells it.
type listedPackage struct {
	ImportPath, Dir string
	Standard        bool
	Deps            []string

	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles, SwigFiles, SwigCXXFiles,
	SysoFiles, EmbedFiles []string
}

// files are the files the package is compiled from, Go files first and embedded files last: the
// order the synth's hash has always had.
func (p *listedPackage) files() []string {
	return slices.Concat(p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles,
		p.SFiles, p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles)
}

// listFingerprint is a hash of everything go list's answer for patterns in root depends on, and
// the newest mtime among them:
//   - every folder of the module go list could look into, with its mtime: adding, removing or
//     renaming any file in it (a Go file, or one an //go:embed pattern matches) moves it;
//   - every Go file's path, size and mtime: its build constraints, package clause and imports
//     decide what is listed;
//   - go.mod, go.sum, go.work (in the module or above it) and vendor/modules.txt;
//   - the go command and its settings (WriteToolchain), and what env adds to them.
//
// The walk skips what go skips in a pattern (folders starting with . or _, other modules) and
// node_modules and cdk.out, which hold no Go package. It does not skip testdata: go leaves it
// out of ./... but a pattern can name a package in it (localrt's echofn).
func listFingerprint(root string, env, patterns []string) (string, time.Time, error) {
	h := sha256.New()
	// v2: the format of the memo, which a memo of another format does not match.
	fmt.Fprintf(h, "v2 root %s\npatterns %q\n", root, patterns)
	if len(env) > 0 {
		fmt.Fprintf(h, "list env %q\n", env)
	}
	if err := WriteToolchain(h); err != nil {
		return "", time.Time{}, err
	}
	var newest time.Time
	note := func(kind, rel string, info fs.FileInfo) {
		fmt.Fprintf(h, "%s %s %d %d\n", kind, filepath.ToSlash(rel), info.Size(), info.ModTime().UnixNano())
		if info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	err := filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, file)
		name := d.Name()
		if d.IsDir() {
			if file != root {
				if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "node_modules" || name == "cdk.out" {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(file, "go.mod")); err == nil {
					return filepath.SkipDir // another module: not in this one's patterns
				}
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			note("dir", rel, info)
			return nil
		}
		if !strings.HasSuffix(name, ".go") && !slices.Contains([]string{"go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt"}, name) {
			return nil
		}
		info, err := os.Stat(file) // a symlink's target: what go reads
		if err != nil {
			return err
		}
		note("file", rel, info)
		return nil
	})
	if err != nil {
		return "", time.Time{}, err
	}
	// go finds a workspace file in any folder above the module too.
	for d := filepath.Dir(root); ; d = filepath.Dir(d) {
		if info, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			note("file", filepath.Join(d, "go.work"), info)
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return hex.EncodeToString(h.Sum(nil)), newest, nil
}

// WriteToolchain writes into h what, beyond the module's files, decides what the go command
// lists and builds: which go command runs, and its settings.
//
// The go command is the one on PATH (what exec.Command("go") runs), named by its path, size and
// mtime: that is exact and costs a stat, where `go env GOVERSION` or `go env GOROOT` (to read
// its VERSION file) would be the subprocess this saves, runtime.Version is the Go that compiled
// this program, not the go on PATH, and GOVERSION is seldom set in the environment. A go
// that switches to another toolchain does so by go.mod or go.work (which the callers hash) and
// GOTOOLCHAIN, and a toolchain of a given version in the module cache does not change.
//
// Its settings are every GO* and CGO_* variable of the environment (GOOS, GOARCH, GOFLAGS,
// CGO_ENABLED, GOEXPERIMENT, GOWORK, GOTOOLCHAIN, GOROOT...: more than change go list's answer,
// which costs only a needless run when one differs), CC and CXX, and the file `go env -w`
// writes them to.
func WriteToolchain(h io.Writer) error {
	gocmd, err := exec.LookPath("go")
	if err == nil {
		gocmd, err = filepath.EvalSymlinks(gocmd)
	}
	var info fs.FileInfo
	if err == nil {
		info, err = os.Stat(gocmd)
	}
	if err != nil {
		return fmt.Errorf("finding the go command: %w", err)
	}
	fmt.Fprintf(h, "go command %s %d %d\n", gocmd, info.Size(), info.ModTime().UnixNano())
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "CGO_") || strings.HasPrefix(kv, "CC=") || strings.HasPrefix(kv, "CXX=") {
			env = append(env, kv)
		}
	}
	slices.Sort(env)
	fmt.Fprintf(h, "env %q\n", env)
	envFile := os.Getenv("GOENV")
	if envFile == "" {
		if dir, err := os.UserConfigDir(); err == nil {
			envFile = filepath.Join(dir, "go", "env")
		}
	}
	if b, err := os.ReadFile(envFile); err == nil && envFile != "off" { // GOENV=off: none
		fmt.Fprintf(h, "go env file %s %d\n", envFile, len(b))
		h.Write(b)
	}
	return nil
}

// HashFiles writes into h the name, size and content of each file (relative to root).
func HashFiles(h io.Writer, root string, files []string) error {
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
	}
	return nil
}
