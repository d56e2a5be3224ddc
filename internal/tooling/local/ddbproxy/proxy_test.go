package ddbproxy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/ddbproxy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

const (
	tableName = "rides"
	tableARN  = "arn:aws:dynamodb:us-east-1:000000000000:table/rides"
	// aRide is a ride as PutRideRecord writes it: well under 1 KB, one write unit.
	aRide = `{"TableName":"rides","Item":{"RideId":{"S":"0d4f1b7e-7a6f-4f8e-9a55-5e3c6e1b2a10"},` +
		`"Unicorn":{"M":{"Name":{"S":"Bucephalus"},"Color":{"S":"Golden"}}},"RequestTime":{"S":"2026-12-05T10:00:00.000Z"},` +
		`"PickupLocation":{"M":{"Latitude":{"N":"42.3525"},"Longitude":{"N":"-71.0529"}}}}}`
)

// emulator stands in for the emulator's DynamoDB: it answers every call, counting them, and a
// GetItem with item.
type emulator struct {
	calls atomic.Int64
	item  string
}

func (e *emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.calls.Add(1)
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetItem") {
		fmt.Fprintf(w, `{"Item":%s}`, e.item)
		return
	}
	fmt.Fprint(w, `{}`)
}

// proxyTo starts a proxy with limits in front of upstream, with a table of throughput t.
func proxyTo(t *testing.T, upstream http.Handler, tp ddbproxy.Throughput, metrics ddbproxy.Metrics) *ddbproxy.Proxy {
	t.Helper()
	srv := httptest.NewServer(upstream)
	t.Cleanup(srv.Close)
	p, err := ddbproxy.Start(srv.URL, ddbproxy.Options{Limits: true, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	p.SetThroughput(tableName, tableARN, tp)
	return p
}

// call sends one DynamoDB request as the SDK would.
func call(t *testing.T, p *ddbproxy.Proxy, operation, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.URL(), strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+operation)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestABurstSpendsTheTablesBurstCapacityThenItsWritesAreThrottled(t *testing.T) {
	upstream := &emulator{}
	p := proxyTo(t, upstream, ddbproxy.Throughput{Read: 1, Write: 1}, nil)
	start := time.Now()
	accepted := 0
	var status int
	var body string
	for {
		if status, body = call(t, p, "PutItem", aRide); status != http.StatusOK {
			break
		}
		accepted++
		if accepted > 1000 {
			t.Fatal("a table of 1 write unit took 1,000 writes at once")
		}
	}
	// Five minutes of unused capacity, and what refilled at 1 unit/s while the burst went on.
	if most := 300 + int(time.Since(start).Seconds()) + 1; accepted < 300 || accepted > most {
		t.Errorf("%d writes accepted before the first throttle, want the 300 units of burst capacity (at most %d)", accepted, most)
	}
	want := `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",` +
		`"message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",` +
		`"ThrottlingReasons":[{"reason":"TableWriteProvisionedThroughputExceeded","resource":"` + tableARN + `"}]}`
	if status != http.StatusBadRequest || body != want {
		t.Errorf("the throttled write was answered %d %s,\nwant 400 %s", status, body, want)
	}
	if n := upstream.calls.Load(); n != int64(accepted) {
		t.Errorf("the emulator got %d writes, want only the %d accepted", n, accepted)
	}
	if st := p.Tables()[tableName]; st.ThrottledWrites != 1 || st.WriteUnitsLeft >= 1 {
		t.Errorf("after the burst: %d throttled writes and %.2f units left, want 1 and less than a unit", st.ThrottledWrites, st.WriteUnitsLeft)
	}
}

func TestTheRealSDKRetriesAThrottledWriteAndGivesUpAsOnAWS(t *testing.T) {
	upstream := &emulator{}
	p := proxyTo(t, upstream, ddbproxy.Throughput{Read: 1, Write: 1}, nil)
	for i := 0; i < 300; i++ { // spend the burst capacity
		call(t, p, "PutItem", aRide)
	}
	before := upstream.calls.Load()
	client := dynamodb.NewFromConfig(localstate.Config("us-east-1", p.URL()), func(o *dynamodb.Options) {
		// The standard retryer (3 attempts) without its back-off, so the test does not wait.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(tableName),
		Item: map[string]types.AttributeValue{"RideId": &types.AttributeValueMemberS{Value: "r-1"}}})
	var throttled *types.ProvisionedThroughputExceededException
	if !errors.As(err, &throttled) {
		t.Fatalf("PutItem answered %v, want a ProvisionedThroughputExceededException", err)
	}
	if len(throttled.ThrottlingReasons) != 1 || aws.ToString(throttled.ThrottlingReasons[0].Resource) != tableARN {
		t.Errorf("the SDK read the throttling reasons %+v, want the table's", throttled.ThrottlingReasons)
	}
	if got := p.Tables()[tableName].ThrottledWrites; got != 3 {
		t.Errorf("%d throttled writes, want the SDK's 3 attempts", got)
	}
	if upstream.calls.Load() != before {
		t.Error("a throttled write reached the emulator")
	}
}

func TestThrottledWritesAndConsumedUnitsAreTheTablesCloudWatchMetrics(t *testing.T) {
	store := cloudwatch.NewStore(clock.Real())
	p := proxyTo(t, &emulator{}, ddbproxy.Throughput{Read: 1, Write: 1}, store)
	big := strings.Replace(aRide, `"Bucephalus"`, `"`+strings.Repeat("B", 2500)+`"`, 1) // 3 write units
	call(t, p, "PutItem", big)
	for i := 0; i < 300; i++ {
		call(t, p, "PutItem", aRide)
	}
	dims := map[string]string{"TableName": tableName}
	sum := func(name string) float64 {
		now := store.Now()
		stats, err := store.Statistics(cloudwatch.Metric{Namespace: "AWS/DynamoDB", Name: name, Dimensions: dims}, "Sum", now.Add(-time.Minute), now.Add(time.Minute), 2*time.Minute)
		if err != nil || len(stats) != 1 {
			t.Fatalf("%s: %v %v", name, stats, err)
		}
		return stats[0].Value
	}
	if got := sum("ConsumedWriteCapacityUnits"); got != 300 {
		t.Errorf("ConsumedWriteCapacityUnits = %v, want 300: the 2.5 KB ride's 3 units and 297 rides of one", got)
	}
	if got := sum("WriteThrottleEvents"); got != 3 {
		t.Errorf("WriteThrottleEvents = %v, want the 3 writes past the burst", got)
	}
}

func TestAReadIsChargedBySizeAndConsistency(t *testing.T) {
	upstream := &emulator{item: `{"RideId":{"S":"r-1"},"Blob":{"S":"` + strings.Repeat("x", 9000) + `"}}`}
	p := proxyTo(t, upstream, ddbproxy.Throughput{Read: 5, Write: 1}, nil)
	call(t, p, "GetItem", `{"TableName":"rides","Key":{"RideId":{"S":"r-1"}}}`)
	call(t, p, "GetItem", `{"TableName":"rides","Key":{"RideId":{"S":"r-1"}},"ConsistentRead":true}`)
	// A 9 KB item is three 4 KB units: 1.5 read units eventually consistent, 3 strongly.
	if got := p.Tables()[tableName].ConsumedReadUnits; got != 4.5 {
		t.Errorf("two reads of a 9 KB item consumed %v read units, want 1.5 + 3", got)
	}
}

func TestAnOnDemandTableTakesItsDocumentedInitialThroughputAtOnce(t *testing.T) {
	p := proxyTo(t, &emulator{}, ddbproxy.Throughput{OnDemand: true}, nil)
	st := p.Tables()[tableName]
	if st.WriteUnitsMax != 4000 || st.ReadUnitsMax != 12000 {
		t.Errorf("a new on-demand table takes %v writes and %v reads at once, want 4,000 and 12,000", st.WriteUnitsMax, st.ReadUnitsMax)
	}
	if status, _ := call(t, p, "PutItem", aRide); status != http.StatusOK {
		t.Errorf("a write to an on-demand table was answered %d", status)
	}
}

func TestWithoutLimitsEveryWriteGoesThrough(t *testing.T) {
	srv := httptest.NewServer(&emulator{})
	t.Cleanup(srv.Close)
	p, err := ddbproxy.Start(srv.URL, ddbproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	p.SetThroughput(tableName, tableARN, ddbproxy.Throughput{Read: 1, Write: 1})
	for i := 0; i < 400; i++ {
		if status, body := call(t, p, "PutItem", aRide); status != http.StatusOK {
			t.Fatalf("write %d without limits was answered %d %s", i+1, status, body)
		}
	}
}
