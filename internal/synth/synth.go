// Package synth runs `cdk synth` for a stage and refactor step, so the tools read the same
// templates the user deploys.
package synth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Options says what to synthesize where.
type Options struct {
	// Root is the repository (the folder with cdk.json); default: found from the working directory.
	Root string
	// Stage is -c stage; default dev.
	Stage string
	// Step is -c step; nil synthesizes the final state.
	Step *int
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
		stage = "dev"
	}
	args := []string{"synth", "--quiet", "--output", opts.OutDir, "-c", "stage=" + stage}
	what := "final state"
	if opts.Step != nil {
		args = append(args, "-c", "step="+strconv.Itoa(*opts.Step))
		what = fmt.Sprintf("step %d", *opts.Step)
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
	fmt.Fprintf(log, "synthesized %s in %.1fs\n", what, time.Since(start).Seconds())
	return nil
}

// Env is the environment for the CDK CLI and the Go app: the pinned Node 22 first on PATH, and
// jsii told to use it.
func Env(root string) []string {
	bin := filepath.Join(root, "node_modules", ".bin")
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "JSII_NODE=") {
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
