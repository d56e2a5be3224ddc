package ddbproxy

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
)

// Throughput is what a table may consume, as its template sets it.
type Throughput struct {
	// OnDemand is BillingMode PAY_PER_REQUEST; Read and Write are then not used.
	OnDemand bool
	// Read and Write are the provisioned capacity units per second.
	Read, Write float64
}

// DynamoDB's documented figures for the throughput a table gets.
const (
	// burstSeconds: "DynamoDB currently retains up to 5 minutes (300 seconds) of unused read and
	// write capacity" for bursts
	// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html).
	burstSeconds = 300
	// A new on-demand table "will be able to sustain up to 4,000 writes per second and 12,000
	// reads per second"
	// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html).
	// It then scales to double its previous peak, which no local load reaches: not modelled.
	onDemandWrites = 4000
	onDemandReads  = 12000
)

// table is one table's buckets. Read units are counted in halves (an eventually consistent read
// of up to 4 KB is half a unit). The buckets start full: the burst capacity of a table that has
// been idle for five minutes, as the workshop's table was before its load test.
type table struct {
	name, arn  string
	throughput Throughput
	read       *rate.Limiter // half read units
	write      *rate.Limiter // write units

	throttledReads, throttledWrites int64
	consumedReads, consumedWrites   float64
}

func newTable(name, arn string, t Throughput) *table {
	tb := &table{name: name, arn: arn, throughput: t}
	if t.OnDemand {
		// On-demand has no burst bucket: its initial throughput, per second.
		tb.read = rate.NewLimiter(rate.Limit(2*onDemandReads), 2*onDemandReads)
		tb.write = rate.NewLimiter(rate.Limit(onDemandWrites), onDemandWrites)
		return tb
	}
	tb.read = rate.NewLimiter(rate.Limit(2*t.Read), int(2*t.Read*burstSeconds))
	tb.write = rate.NewLimiter(rate.Limit(t.Write), int(t.Write*burstSeconds))
	return tb
}

// TableState is a table's throughput now: what the console shows and the tests read.
type TableState struct {
	Name       string
	Throughput Throughput
	// ReadUnitsLeft and WriteUnitsLeft are the capacity units the table may consume at once
	// now: its burst capacity left (provisioned), or a second of its throughput (on-demand);
	// negative while a read consumed more than was left.
	ReadUnitsLeft, WriteUnitsLeft float64
	// ReadUnitsMax and WriteUnitsMax are what a full bucket holds.
	ReadUnitsMax, WriteUnitsMax float64
	// ThrottledReads and ThrottledWrites count the throttled requests' items since the table was
	// created (ReadThrottleEvents, WriteThrottleEvents).
	ThrottledReads, ThrottledWrites int64
	// ConsumedReadUnits and ConsumedWriteUnits since the table was created.
	ConsumedReadUnits, ConsumedWriteUnits float64
}

func (tb *table) state(now time.Time) TableState {
	return TableState{Name: tb.name, Throughput: tb.throughput,
		ReadUnitsLeft: tb.read.TokensAt(now) / 2, WriteUnitsLeft: tb.write.TokensAt(now),
		ReadUnitsMax: float64(tb.read.Burst()) / 2, WriteUnitsMax: float64(tb.write.Burst()),
		ThrottledReads: tb.throttledReads, ThrottledWrites: tb.throttledWrites,
		ConsumedReadUnits: tb.consumedReads, ConsumedWriteUnits: tb.consumedWrites}
}

// meter enforces every table's throughput and records what DynamoDB records of it.
type meter struct {
	metrics Metrics
	mu      sync.Mutex
	tables  map[string]*table // by table name
}

// Metrics is where the proxy records the table metrics CloudWatch gets from DynamoDB
// (*cloudwatch.Store is one).
type Metrics interface {
	Put(m cloudwatch.Metric, value float64, unit string)
}

// SetThroughput enforces t on the table from now on (nothing without limits): a new table, or a table whose billing mode
// or capacity an update changed (its buckets start again). arn names it in a throttled answer.
func (p *Proxy) SetThroughput(name, arn string, t Throughput) {
	m := p.meter
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tables[name] = newTable(name, arn, t)
}

// RemoveTable stops metering a deleted table.
func (p *Proxy) RemoveTable(name string) {
	m := p.meter
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tables, name)
}

// Tables is every metered table's throughput now, by name; none without limits.
func (p *Proxy) Tables() map[string]TableState {
	m := p.meter
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	out := make(map[string]TableState, len(m.tables))
	for name, tb := range m.tables {
		out[name] = tb.state(now)
	}
	return out
}

// take consumes what c costs, or says which table throttles it. A read is charged its least
// (half or one unit per item); settle charges the rest once the answer says the items' size.
func (m *meter) take(c cost) (throttledBy *table) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for _, ch := range c.charges {
		tb := m.tables[ch.table]
		if tb == nil {
			continue
		}
		if tb.bucket(ch.write).TokensAt(now) < ch.amount(tb) {
			return m.throttle(c, tb, now)
		}
	}
	for _, ch := range c.charges {
		if tb := m.tables[ch.table]; tb != nil {
			tb.bucket(ch.write).AllowN(now, int(ch.amount(tb)))
			m.consumed(tb, ch.write, ch.units)
		}
	}
	return nil
}

// settle charges reads what the answer's items consumed beyond what take charged: the bucket may
// go below zero, and later requests wait for it to refill, as DynamoDB's do.
func (m *meter) settle(table string, extra float64) {
	if extra <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if tb := m.tables[table]; tb != nil {
		tb.read.ReserveN(time.Now(), int(2*extra))
		m.consumed(tb, false, extra)
	}
}

func (tb *table) bucket(write bool) *rate.Limiter {
	if write {
		return tb.write
	}
	return tb.read
}

// amount is what a charge takes from its bucket (reads in half units).
func (ch charge) amount(tb *table) float64 {
	if ch.write {
		return ch.units
	}
	return 2 * ch.units
}

// throttle counts a throttled request, once per item as WriteThrottleEvents and
// ReadThrottleEvents count, and once as ThrottledRequests
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html).
func (m *meter) throttle(c cost, tb *table, now time.Time) *table {
	var reads, writes int
	for _, ch := range c.charges {
		if ch.table != tb.name {
			continue
		}
		if ch.write {
			writes += ch.items
		} else {
			reads += ch.items
		}
	}
	tb.throttledReads += int64(reads)
	tb.throttledWrites += int64(writes)
	if m.metrics != nil {
		dims := map[string]string{"TableName": tb.name}
		if writes > 0 {
			m.metrics.Put(cloudwatch.Metric{Namespace: namespace, Name: "WriteThrottleEvents", Dimensions: dims}, float64(writes), "Count")
		}
		if reads > 0 {
			m.metrics.Put(cloudwatch.Metric{Namespace: namespace, Name: "ReadThrottleEvents", Dimensions: dims}, float64(reads), "Count")
		}
		m.metrics.Put(cloudwatch.Metric{Namespace: namespace, Name: "ThrottledRequests",
			Dimensions: map[string]string{"TableName": tb.name, "Operation": c.operation}}, 1, "Count")
	}
	return tb
}

// consumed records ConsumedReadCapacityUnits or ConsumedWriteCapacityUnits.
func (m *meter) consumed(tb *table, write bool, units float64) {
	name := "ConsumedReadCapacityUnits"
	if write {
		name = "ConsumedWriteCapacityUnits"
		tb.consumedWrites += units
	} else {
		tb.consumedReads += units
	}
	if m.metrics != nil {
		m.metrics.Put(cloudwatch.Metric{Namespace: namespace, Name: name, Dimensions: map[string]string{"TableName": tb.name}}, units, "Count")
	}
}

// namespace is DynamoDB's in CloudWatch.
const namespace = "AWS/DynamoDB"

// throttled answers a throttled request as DynamoDB does: HTTP 400 with the error type the SDKs
// retry as a throttle
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html), its
// message, and the reason and table
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html).
// An on-demand table over its throughput answers ThrottlingException with the message DynamoDB
// gives then.
func throttled(w http.ResponseWriter, tb *table, write bool) {
	op := "Read"
	if write {
		op = "Write"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	if tb.throughput.OnDemand {
		fmt.Fprint(w, `{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"}`)
		return
	}
	fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",`+
		`"message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",`+
		`"ThrottlingReasons":[{"reason":"Table%sProvisionedThroughputExceeded","resource":%q}]}`, op, tb.arn)
}
