package emulator

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMoto puts a moto_server on PATH that runs script (sh), with $PORT_LINE its start-up line.
func fakeMoto(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "moto_server"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// The emulator is the server that says, on its start-up line, which port it bound; requests reach
// it through the front.
func TestStartUsesThePortMotoSaysItBoundAndLoadsEachServiceFirst(t *testing.T) {
	var mu sync.Mutex
	var calls []string // the AWS calls moto got
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch form, _ := url.ParseQuery(string(body)); {
		case r.Header.Get("X-Amz-Target") != "": // the JSON protocol's SSM, DynamoDB, SQS
			mu.Lock()
			calls = append(calls, r.Header.Get("X-Amz-Target"))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			io.WriteString(w, "{}")
		case form.Get("Action") != "": // SNS's query protocol
			mu.Lock()
			calls = append(calls, "SNS."+form.Get("Action"))
			mu.Unlock()
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<ListTopicsResponse><ListTopicsResult><Topics/></ListTopicsResult></ListTopicsResponse>`)
		default:
			io.WriteString(w, "moto at "+r.URL.Path)
		}
	}))
	defer moto.Close()
	port := moto.URL[strings.LastIndex(moto.URL, ":")+1:]
	// As moto_server -p 0 does: werkzeug's lines on stderr, then it serves until stopped.
	fakeMoto(t, `echo "WARNING: This is a development server." >&2
echo " * Running on http://127.0.0.1:`+port+`" >&2
exec sleep 60`)
	var log bytes.Buffer
	e, err := Start(context.Background(), &log, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Endpoint == moto.URL || !strings.HasPrefix(e.Endpoint, "http://127.0.0.1:") {
		t.Errorf("endpoint %s: want the emulator's own front, not moto's %s", e.Endpoint, moto.URL)
	}
	resp, err := http.Get(e.Endpoint + "/moto-api/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "moto at /moto-api/" {
		t.Errorf("through the front: %q", body)
	}
	if !strings.Contains(log.String(), "moto_server (pid") {
		t.Errorf("the log does not say which moto_server runs: %q", log.String())
	}
	// Before Start returns, one call to each service the local system uses has loaded it.
	mu.Lock()
	defer mu.Unlock()
	want := "AmazonSSM.DescribeParameters DynamoDB_20120810.ListTables SNS.ListTopics AmazonSQS.ListQueues"
	if got := strings.Join(calls, " "); got != want {
		t.Errorf("moto got, before the system could use it: %s; want %s", got, want)
	}
}

func TestStartSaysWhenMotoCannotStart(t *testing.T) {
	fakeMoto(t, `echo "OSError: [Errno 98] Address already in use" >&2; exit 1`)
	if _, err := Start(context.Background(), io.Discard, 0); err == nil || !strings.Contains(err.Error(), "exited while starting") {
		t.Errorf("Start = %v, want moto_server's early exit", err)
	}
}

func TestStartEndsWithItsContextWhileMotoSaysNothing(t *testing.T) {
	fakeMoto(t, `exec sleep 60`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Start(ctx, io.Discard, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start = %v, want the context's end", err)
	}
}

// A Front makes every request in its account, and leaves the moto_server behind it running.
func TestAFrontMakesEachRequestInItsAccount(t *testing.T) {
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "account "+r.Header.Get("x-moto-account-id"))
	}))
	defer moto.Close()
	for _, account := range []string{"111122223333", ""} {
		e, err := Front(moto.URL, account)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, e.Endpoint+"/", nil)
		req.Header.Set("x-moto-account-id", "999999999999") // a caller cannot choose another
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "account " + account
		if account == "" {
			want = "account 999999999999" // no account: the front passes the request as it came
		}
		if string(body) != want {
			t.Errorf("Front(%q): moto got %q, want %q", account, body, want)
		}
		e.Close()
	}
	if resp, err := http.Get(moto.URL); err != nil {
		t.Errorf("closing the fronts stopped the moto_server behind them: %v", err)
	} else {
		resp.Body.Close()
	}
}

// The Python that runs a moto_server script: the one its first line names, directly or through
// env, or the one of the script a pyenv shim stands for; none for a script of another language.
func TestPythonOfAMotoServerScript(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	venvPython := write("python3.11", "")
	real := write("real_moto_server", "#!"+venvPython+"\n# -*- coding: utf-8 -*-\nfrom moto.server import main\n")
	// pyenv on PATH answers `pyenv which moto_server` with the real script; python3 is on PATH.
	write("pyenv", "#!/bin/sh\n[ \"$1 $2\" = \"which moto_server\" ] && echo "+real+"\n")
	onPath := write("python3", "")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	shims := filepath.Join(dir, "shims")
	if err := os.Mkdir(shims, 0o755); err != nil {
		t.Fatal(err)
	}
	shim := filepath.Join(shims, "moto_server")
	if err := os.WriteFile(shim, []byte("#!/usr/bin/env bash\nset -e\nprogram=\"${0##*/}\"\nexec \"/root/.pyenv/libexec/pyenv\" exec \"$program\" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, script, want string }{
		{"a virtual environment's script", real, venvPython},
		{"a script run through env", write("env_moto_server", "#!/usr/bin/env python3\nfrom moto.server import main\n"), onPath},
		{"a pyenv shim", shim, venvPython},
		{"a shell script", write("sh_moto_server", "#!/bin/sh\nexec sleep 60\n"), ""},
		{"a binary", write("bin_moto_server", "\x7fELF\x02\x01\x01"), ""},
		{"no file", filepath.Join(dir, "missing"), ""},
	} {
		if got := pythonOf(c.script); got != c.want {
			t.Errorf("%s: pythonOf = %q, want %q", c.what, got, c.want)
		}
	}
	cmd := motoCommand(real, "-p", "0")
	if want := []string{venvPython, "-c", motoLauncher, real, "-p", "0"}; !slices.Equal(cmd.Args, want) {
		t.Errorf("motoCommand runs %q, want the launcher under the script's Python", cmd.Args)
	}
}

// Where the Python cannot import moto, the launcher runs the moto_server script itself, with its
// arguments.
func TestTheLauncherRunsMotoServerItselfWhenItsPythonHasNoMoto(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	script := filepath.Join(t.TempDir(), "moto_server")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"moto_server $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// -S: without the site packages, where moto would be.
	out, err := exec.Command(python, "-S", "-c", motoLauncher, script, "-H", "127.0.0.1", "-p", "0").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "moto_server -H 127.0.0.1 -p 0" {
		t.Errorf("the launcher without moto: %v, %q; want the script run with its arguments", err, out)
	}
}
