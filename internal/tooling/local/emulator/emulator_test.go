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
	"path/filepath"
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
