package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
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

// waitLine waits up to 10 s for a line in the file at path (the shell creates the file before
// it writes to it), and returns it.
func waitLine(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 10 s", path)
		}
	}
}

// The command starts while the moto_server is still starting; a test binary that asks for it
// where localtest.MotoEnv says gets its URL once it is up. withmoto exits with the command's
// status, and the moto_server is stopped when the command ends.
func TestTheCommandStartsAtOnceAndGetsTheMotoServerOnceItIsUp(t *testing.T) {
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
	dir := t.TempDir()
	up, stopped, seen, release := filepath.Join(dir, "up"), filepath.Join(dir, "stopped"), filepath.Join(dir, "seen"), filepath.Join(dir, "release")
	// This moto_server says its port once the test lets it (the file up).
	onPath(t, `trap 'touch `+stopped+`; exit 0' TERM
while [ ! -f `+up+` ]; do sleep 0.02; done
echo " * Running on `+moto.URL+`" >&2
while :; do sleep 0.05; done`)
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"sh", "-c", `echo "$` + localtest.MotoEnv + `" > ` + seen + `; while [ ! -f ` + release + ` ]; do sleep 0.02; done; exit 3`})
	}()
	at := waitLine(t, seen) // the command runs, moto_server not up yet
	asked := make(chan string, 1)
	go func() {
		url, err := localtest.AskMoto(at)
		if err != nil {
			url = err.Error()
		}
		asked <- url
	}()
	select {
	case got := <-asked:
		t.Fatalf("asked before moto_server was up, the answer came at once: %q", got)
	case <-time.After(200 * time.Millisecond):
	}
	if err := os.WriteFile(up, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := <-asked; got != moto.URL {
		t.Errorf("asked at %s (%s), the command got %q, want the moto_server's %s", localtest.MotoEnv, at, got, moto.URL)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if c := <-code; c != 3 {
		t.Errorf("withmoto exited %d, want the command's 3", c)
	}
	if _, err := os.Stat(stopped); err != nil {
		t.Errorf("the moto_server was not stopped when the command ended: %v", err)
	}
}

// When the moto_server cannot start, the command still runs, and a test binary that asks for it
// hears why (and starts its own, or says why it cannot). A command that cannot start is withmoto's
// exit status 1.
func TestWithoutAMotoServerTheCommandRunsAndAskingSaysWhy(t *testing.T) {
	onPath(t, `echo "OSError: [Errno 98] Address already in use" >&2; exit 1`)
	seen := filepath.Join(t.TempDir(), "seen")
	if code := run([]string{"sh", "-c", `echo "$` + localtest.MotoEnv + `" > ` + seen}); code != 0 {
		t.Errorf("withmoto exited %d, want the command's 0", code)
	}
	if code := run([]string{"no-such-command-here"}); code != 1 {
		t.Errorf("withmoto exited %d for a command that cannot start, want 1", code)
	}
	// The address is gone with withmoto; a second run that keeps it open is asked.
	release := filepath.Join(t.TempDir(), "release")
	done := make(chan int)
	go func() {
		done <- run([]string{"sh", "-c", `echo "$` + localtest.MotoEnv + `" > ` + seen + `.2; while [ ! -f ` + release + ` ]; do sleep 0.02; done`})
	}()
	defer func() { os.WriteFile(release, nil, 0o644); <-done }()
	if url, err := localtest.AskMoto(waitLine(t, seen+".2")); err == nil || !strings.Contains(err.Error(), "exited while starting") {
		t.Errorf("asking for a moto_server that could not start: %q, %v; want why", url, err)
	}
}
