package stepdiff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/atomicfile"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// cdkDiff is runCDKDiff, kept in the synth cache (synth.CacheFile("diffs")) by a hash of all it
// depends on: the assembly's manifest and templates, the template before, the stack and the CLI's
// lock file (its version). The same two templates diff the same, so a second run of `wildrydes
// steps`, of a rollout's plan or of the tests starts no Node process for a diff already made.
func cdkDiff(ctx context.Context, root, assembly, before, stack string) (string, bool, error) {
	key, err := diffKey(root, assembly, before, stack)
	if err != nil {
		return runCDKDiff(ctx, root, assembly, before, stack)
	}
	path := synth.CacheFile(filepath.Join("diffs", key+".json"))
	var kept struct {
		Output  string
		Changed bool
	}
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &kept) == nil {
		return kept.Output, kept.Changed, nil
	}
	out, changed, err := runCDKDiff(ctx, root, assembly, before, stack)
	if err != nil {
		return out, changed, err
	}
	kept.Output, kept.Changed = out, changed
	if b, err := json.Marshal(kept); err == nil {
		_ = atomicfile.Write(path, b, 0o644) // another process's identical answer may win
	}
	return out, changed, nil
}

// diffKey hashes what a diff's answer depends on; an error (a file that cannot be read) means the
// diff is not cached.
func diffKey(root, assembly, before, stack string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "stack=%s\n", stack)
	templates, err := filepath.Glob(filepath.Join(assembly, "*.json"))
	if err != nil {
		return "", err
	}
	files := append([]string{before, filepath.Join(root, "package-lock.json")}, templates...)
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\n", filepath.Base(f))
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
