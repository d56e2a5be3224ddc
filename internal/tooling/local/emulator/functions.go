package emulator

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
)

// Functions is the functions' own way to the emulator (their AWS_ENDPOINT_URL: SSM, and what no
// other front of the local system serves), on a listener of its own, with the parameter store
// fault: while it is on, every SSM call a
// function makes fails as an unavailable service's does (HTTP 500 InternalServerError, which the
// SDK retries, then gives up on), while the deploy engine, which resolves SSM-typed parameters,
// still reaches SSM. It is how a test shows what a function does when SSM fails under it (the
// rollout guard's answer during a rollback).
type Functions struct {
	srv   *loopback.Server
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	until time.Time // zero: off
}

// ServeFunctions serves the functions' way to the emulator on a free loopback port.
func (e *Emulator) ServeFunctions() (*Functions, error) {
	target, err := url.Parse(e.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("emulator endpoint %q: %w", e.Endpoint, err)
	}
	f := &Functions{proxy: httputil.NewSingleHostReverseProxy(target)}
	if f.srv, err = loopback.Serve("functions' emulator", 0, f); err != nil {
		return nil, err
	}
	return f, nil
}

// URL is what the functions get as AWS_ENDPOINT_URL.
func (f *Functions) URL() string { return f.srv.URL }

// Shutdown stops the listener.
func (f *Functions) Shutdown(ctx context.Context) {
	if f != nil {
		f.srv.Shutdown(ctx)
	}
}

// SetSSMUnavailable turns the parameter store fault on for d (d <= 0 turns it off).
func (f *Functions) SetSSMUnavailable(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.until = time.Time{}
	if d > 0 {
		f.until = time.Now().Add(d)
	}
}

func (f *Functions) ssmUnavailable() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Now().Before(f.until)
}

func (f *Functions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// SSM speaks JSON 1.1: its operation is the X-Amz-Target header, AmazonSSM.<Action>.
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.") && f.ssmUnavailable() {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"__type":"InternalServerError","message":"the parameter store is unavailable (local fault switch)"}`)
		return
	}
	f.proxy.ServeHTTP(w, r)
}
