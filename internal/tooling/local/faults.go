package local

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// tableFault sits between the functions and the emulator's DynamoDB. While it is on, every
// DynamoDB call fails as an unavailable service does (HTTP 503, which the SDK retries), so rides
// are accepted, retried, dead-lettered, and re-driven after recovery: the demo and test of the
// dead-letter path.
type tableFault struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	until time.Time // zero: off
	// Rejected counts the calls refused while the fault was on.
	rejected int64
}

func newTableFault(emulator string) (*tableFault, error) {
	target, err := url.Parse(emulator)
	if err != nil {
		return nil, fmt.Errorf("emulator endpoint %q: %w", emulator, err)
	}
	return &tableFault{proxy: httputil.NewSingleHostReverseProxy(target)}, nil
}

// set turns the fault on for d (d <= 0 turns it off; a very long d means until turned off).
func (f *tableFault) set(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d <= 0 {
		f.until = time.Time{}
		return
	}
	f.until = time.Now().Add(d)
}

func (f *tableFault) active() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.until.IsZero() && time.Now().Before(f.until)
}

func (f *tableFault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.active() {
		f.mu.Lock()
		f.rejected++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"the ride table is unavailable (local fault switch)"}`)
		return
	}
	f.proxy.ServeHTTP(w, r)
}
