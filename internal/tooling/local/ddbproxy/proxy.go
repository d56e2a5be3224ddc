// Package ddbproxy sits between the functions and the emulator's DynamoDB: the one place where
// the local system answers for DynamoDB what the emulator would not: each table's throughput
// (provisioned capacity with its burst, or on-demand's), throttled requests answered as DynamoDB
// answers them and counted in its CloudWatch metrics, and the table fault.
package ddbproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/loopback"
)

// Proxy forwards DynamoDB calls to the emulator on its own loopback listener. While the fault is
// on, every call on the faulted table fails as an unavailable service does (HTTP 503, which the
// SDK retries), so rides are accepted, retried, dead-lettered, and re-driven after recovery: the
// demo and test of the dead-letter path. Other tables (RequestRide's idempotency keys) stay up.
type Proxy struct {
	srv   *loopback.Server
	proxy *httputil.ReverseProxy
	meter *meter // nil: no throughput limits
	mu    sync.Mutex
	until time.Time // zero: off
	table string    // the table the fault is on
	// rejected counts the calls refused while the fault was on.
	rejected int64
}

// Options configure the proxy.
type Options struct {
	// Limits enforces each table's throughput (SetThroughput); off, every call goes through.
	Limits bool
	// Metrics, if set, records the tables' AWS/DynamoDB metrics.
	Metrics Metrics
}

// Start serves a proxy to the emulator at endpoint on a free loopback port.
func Start(endpoint string, opts Options) (*Proxy, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("emulator endpoint %q: %w", endpoint, err)
	}
	p := &Proxy{proxy: httputil.NewSingleHostReverseProxy(target), meter: &meter{metrics: opts.Metrics, tables: map[string]*table{}}}
	if !opts.Limits {
		p.meter = nil
	} else {
		p.proxy.ModifyResponse = p.settleRead
	}
	if p.srv, err = loopback.Serve("DynamoDB proxy", 0, p); err != nil {
		return nil, err
	}
	return p, nil
}

// URL is the proxy's endpoint: what the functions get as AWS_ENDPOINT_URL_DYNAMODB.
func (p *Proxy) URL() string { return p.srv.URL }

// Shutdown stops the listener.
func (p *Proxy) Shutdown(ctx context.Context) {
	if p != nil {
		p.srv.Shutdown(ctx)
	}
}

// SetUnavailable turns the fault on table on for d (d <= 0 turns it off; a very long d means
// until turned off).
func (p *Proxy) SetUnavailable(table string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d <= 0 {
		p.until = time.Time{}
		return
	}
	p.until, p.table = time.Now().Add(d), table
}

// Fault reports until when the table is unavailable (zero: it is available) and how many calls
// the fault has refused so far.
func (p *Proxy) Fault() (until time.Time, refused int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Now().Before(p.until) {
		until = p.until
	}
	return until, p.rejected
}

// refuse counts a call on the faulted table when the fault is on, and says so.
func (p *Proxy) refuse(r *http.Request) bool {
	p.mu.Lock()
	on, table := !p.until.IsZero() && time.Now().Before(p.until), p.table
	p.mu.Unlock()
	if !on || !slices.Contains(tablesOf(r), table) {
		return false
	}
	p.mu.Lock()
	p.rejected++
	p.mu.Unlock()
	return true
}

// tablesOf reads the tables a DynamoDB call names: its TableName, or the keys of a batch's
// RequestItems (the JSON 1.0 protocol's bodies). The body stays readable for the emulator.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
func tablesOf(r *http.Request) []string {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	var call struct {
		TableName    string
		RequestItems map[string]json.RawMessage
	}
	if json.Unmarshal(body, &call) != nil {
		return nil
	}
	return append(slices.Sorted(maps.Keys(call.RequestItems)), call.TableName)
}

// maxBody is the largest call the proxy reads to find its table: DynamoDB's request limit is 16 MB
// (a BatchWriteItem of 25 items of 400 KB).
const maxBody = 16 << 20

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.refuse(r) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"the ride table is unavailable (local fault switch)"}`)
		return
	}
	if p.meter == nil {
		p.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c, metered := costOf(r.Header.Get("X-Amz-Target"), body)
	if !metered {
		p.proxy.ServeHTTP(w, r)
		return
	}
	if tb := p.meter.take(c); tb != nil {
		throttled(w, tb, c.charges[0].write)
		return
	}
	if len(c.consistent) > 0 { // a read: settled by the size of its answer (settleRead)
		r = r.WithContext(context.WithValue(r.Context(), readKey{}, c))
	}
	p.proxy.ServeHTTP(w, r)
}

// readKey carries a read's cost from the request to its answer.
type readKey struct{}

// settleRead charges a read what the items of its answer consumed beyond what take charged.
func (p *Proxy) settleRead(resp *http.Response) error {
	c, ok := resp.Request.Context().Value(readKey{}).(cost)
	if !ok || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	for table, extra := range readUnits(c, body) {
		p.meter.settle(table, extra)
	}
	return nil
}
