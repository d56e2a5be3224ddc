// Package setup tests the Makefile's set-up of the Python tools, as a newcomer's machine meets it.
package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeTools runs `make -s tools` at the repository root with PATH and a venv of the test's own.
func makeTools(t *testing.T, path, venv string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("make", "-s", "tools", "VENV="+venv)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), append([]string{"PATH=" + path}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// withoutTools is PATH less every directory holding moto_server or cfn-lint, plus a directory with
// the real python3 (pyenv's shims hold python3 and the tools together).
func withoutTools(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skip("no python3 on this machine:", err)
	}
	bin := t.TempDir()
	if err := os.Symlink(strings.TrimSpace(string(out)), filepath.Join(bin, "python3")); err != nil {
		t.Fatal(err)
	}
	dirs := []string{bin}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		_, moto := os.Stat(filepath.Join(dir, "moto_server"))
		_, lint := os.Stat(filepath.Join(dir, "cfn-lint"))
		if moto != nil && lint != nil {
			dirs = append(dirs, dir)
		}
	}
	return strings.Join(dirs, string(os.PathListSeparator))
}

func TestToolsMissingTakeTheVenvAndWithoutTheIndexStopWithOneLine(t *testing.T) {
	// GIVEN a PATH without moto_server and cfn-lint, and no Python package index to reach
	path := withoutTools(t)
	venv := filepath.Join(t.TempDir(), ".venv")

	// WHEN the Makefile sets up its tools
	out, err := makeTools(t, path, venv, "PIP_INDEX_URL=http://127.0.0.1:9/simple", "PIP_FIND_LINKS=", "PIP_NO_INDEX=")

	// THEN it made the project's virtual environment, tried to install there, and stopped with
	// one line naming the command to run
	if err == nil {
		t.Fatalf("make tools succeeded without an index:\n%s", out)
	}
	if testing.Verbose() {
		t.Log(out)
	}
	if _, err := os.Stat(filepath.Join(venv, "bin", "python3")); err != nil {
		t.Errorf("no virtual environment at %s: %v", venv, err)
	}
	if _, err := os.Stat(filepath.Join(venv, "pip.log")); err != nil {
		t.Errorf("pip was not run in the virtual environment: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := "run pip install 'moto[server]==5.2.1' 'cfn-lint==1.51.0'"
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("make tools printed %d lines:\n%s\nwant one line saying %q", len(lines), out, want)
	}
}

func TestToolsOnPathAreUsed(t *testing.T) {
	for _, tool := range []string{"moto_server", "cfn-lint"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH here", tool)
		}
	}
	venv := filepath.Join(t.TempDir(), ".venv")
	out, err := makeTools(t, os.Getenv("PATH"), venv)
	if err != nil || out != "" {
		t.Errorf("make tools with both on PATH: %v, printed %q; want success and silence", err, out)
	}
	if _, err := os.Stat(venv); err == nil {
		t.Errorf("it made %s although both tools are on PATH", venv)
	}
}
