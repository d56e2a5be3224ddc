package localtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/emulator"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
)

// MotoEnv names, for the test binaries of a run, the address where they ask for the run's
// moto_server (ServeMoto's): `make test` starts one for all of them
// (go run ./internal/tooling/local/localtest/withmoto).
const MotoEnv = "WILDRYDES_TEST_MOTO"

// SharedMoto is a moto_server starting in the background for a test run, and the loopback address
// (Addr, for MotoEnv) that answers a GET with its URL once it is up, or 503 and why it could not
// start. The run's command starts at once: go test builds its binaries and runs the packages that
// need no local system while moto_server starts (about 2.5 s, its services loaded), and only a
// test binary that starts a system waits for it.
type SharedMoto struct {
	Addr   string
	srv    *loopback.Server
	cancel context.CancelFunc
	up     chan struct{} // closed once moto and err are set
	moto   *emulator.Moto
	err    error
}

// ServeMoto starts a moto_server in the background and serves its address.
func ServeMoto() (*SharedMoto, error) {
	l, err := loopback.Listen("test run's moto_server address", 0)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &SharedMoto{cancel: cancel, up: make(chan struct{})}
	go func() {
		defer close(s.up)
		s.moto, s.err = emulator.StartMoto(ctx)
	}()
	s.srv = loopback.ServeOn(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.up:
		case <-r.Context().Done():
			return
		}
		if s.err != nil {
			http.Error(w, s.err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, s.moto.URL)
	}))
	s.Addr = s.srv.URL
	return s, nil
}

// Close stops the moto_server (once it is up, or its start) and the address.
func (s *SharedMoto) Close() {
	s.cancel()
	<-s.up
	s.moto.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}

// AskMoto is, as a test binary asks it, the URL of the moto_server the address at serves (a
// SharedMoto's), once it is up.
func AskMoto(at string) (string, error) {
	client := http.Client{Timeout: 3 * time.Minute} // StartMoto gives up within two minutes
	resp, err := client.Get(at)
	if err != nil {
		return "", fmt.Errorf("asking %s for the run's moto_server: %w", at, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("asking %s for the run's moto_server: %w", at, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the run's moto_server did not start: %s", strings.TrimSpace(string(body)))
	}
	if u, err := url.Parse(string(body)); err != nil || u.Scheme != "http" || !loopback.IsLoopbackHost(u.Host) {
		return "", fmt.Errorf("%s answers %.100q, not the URL of a moto_server on this machine", at, body)
	}
	return string(body), nil
}

// moto is the moto_server of this test binary's systems: the run's, else one it started, which
// the last Env holding it stops.
var moto struct {
	mu    sync.Mutex
	url   string
	own   *emulator.Moto
	users int
}

// acquireMoto is the URL of the test binary's moto_server: the run's, else one it starts on first
// use (also when the run's could not start: the reason is logged, and this one says its own).
func acquireMoto() (string, error) {
	moto.mu.Lock()
	defer moto.mu.Unlock()
	if moto.url == "" {
		if at := os.Getenv(MotoEnv); at != "" {
			url, err := AskMoto(at)
			if err == nil {
				moto.url = url
			} else {
				fmt.Fprintf(os.Stderr, "localtest: %v; this test binary starts its own\n", err)
			}
		}
		if moto.url == "" {
			m, err := emulator.StartMoto(context.Background())
			if err != nil {
				return "", err
			}
			moto.own, moto.url = m, m.URL
		}
	}
	moto.users++
	return moto.url, nil
}

// MotoURL is the test binary's moto_server (the run's, else one it starts), held until t ends:
// for a test that speaks to moto itself, not through a local system.
func MotoURL(t testing.TB) string {
	t.Helper()
	url, err := acquireMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(releaseMoto)
	return url
}

func releaseMoto() {
	moto.mu.Lock()
	defer moto.mu.Unlock()
	if moto.users--; moto.users == 0 && moto.own != nil {
		moto.own.Close()
		moto.own, moto.url = nil, ""
	}
}
