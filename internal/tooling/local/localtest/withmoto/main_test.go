package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// onPath puts a moto_server on PATH that runs script (sh), and nothing else of the machine's.
func onPath(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "moto_server"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/usr/bin:/bin")
}

// The command gets the moto_server in WILDRYDES_TEST_MOTO, withmoto exits with its status, and
// the moto_server is stopped when it ends.
func TestTheCommandRunsWithTheMotoServerAndItsStatusIsWithmotos(t *testing.T) {
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// moto's answers to the calls that load each service: empty lists.
		if r.Header.Get("X-Amz-Target") != "" {
			io.WriteString(w, "{}")
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<ListTopicsResponse><ListTopicsResult><Topics/></ListTopicsResult></ListTopicsResponse>`)
	}))
	defer moto.Close()
	stopped := filepath.Join(t.TempDir(), "stopped")
	onPath(t, `trap 'touch `+stopped+`; exit 0' TERM
echo " * Running on `+moto.URL+`" >&2
while :; do sleep 0.05; done`)
	seen := filepath.Join(t.TempDir(), "seen")
	if code := run([]string{"sh", "-c", `echo "$WILDRYDES_TEST_MOTO" > ` + seen + `; exit 3`}); code != 3 {
		t.Errorf("withmoto exited %d, want the command's 3", code)
	}
	if got, _ := os.ReadFile(seen); strings.TrimSpace(string(got)) != moto.URL {
		t.Errorf("the command saw WILDRYDES_TEST_MOTO=%q, want %s", strings.TrimSpace(string(got)), moto.URL)
	}
	if _, err := os.Stat(stopped); err != nil {
		t.Errorf("the moto_server was not stopped when the command ended: %v", err)
	}
}

// Without a moto_server the command still runs, without WILDRYDES_TEST_MOTO: each test binary
// then starts its own, or says why it cannot.
func TestWithoutAMotoServerTheCommandRunsAlone(t *testing.T) {
	onPath(t, "exit 1")
	t.Setenv("WILDRYDES_TEST_MOTO", "")
	os.Unsetenv("WILDRYDES_TEST_MOTO")
	if code := run([]string{"sh", "-c", `test -z "$WILDRYDES_TEST_MOTO"`}); code != 0 {
		t.Errorf("withmoto exited %d: the command saw a WILDRYDES_TEST_MOTO", code)
	}
	if code := run([]string{"no-such-command-here"}); code != 1 {
		t.Errorf("withmoto exited %d for a command that cannot start, want 1", code)
	}
}
