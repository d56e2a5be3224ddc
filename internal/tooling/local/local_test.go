package local_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

const rideBody = `{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`

var (
	root  string
	steps *synth.Steps // every step of stage "test"
)

// TestMain synthesizes every step once with the real CLI (cached across runs while the app's
// sources do not change), so each test starts a system from the templates users deploy.
func TestMain(m *testing.M) {
	var err error
	if root, err = synth.Root(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if steps, err = synth.Synthesize(context.Background(), synth.Options{Root: root, Stage: "test", Log: os.Stderr}); err == nil {
		_, err = steps.All()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// system starts a local system with the stacks of step and stops it when the test ends.
func system(t *testing.T, step design.Step) *local.System {
	t.Helper()
	var logs bytes.Buffer
	var mu sync.Mutex
	sys, err := local.Start(context.Background(), local.Options{Root: root, Log: lockedWriter{&mu, &logs},
		RetryDelays: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}, Concurrency: 32})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sys.Close()
		if t.Failed() {
			mu.Lock()
			t.Logf("local system log:\n%s", tail(logs.String(), 60))
			mu.Unlock()
		}
	})
	if err := sys.DeploySteps(context.Background(), steps, []design.Step{step}, nil); err != nil {
		t.Fatal(err)
	}
	return sys
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func post(t testing.TB, url, body string) response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, b, resp.Header}
}

// observer reads the emulator directly, past the fault switch: what is really stored.
type observer struct {
	sns   *sns.Client
	ddb   *dynamodb.Client
	sqs   *sqs.Client
	table string
	queue string
}

func observe(sys *local.System) observer {
	st := sys.State()
	cfg := aws.Config{Region: st.Region, Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""), BaseEndpoint: aws.String(st.Endpoint)}
	return observer{sns: sns.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), table: st.Tables["RideRecordTable"], queue: st.Queues["PutRideRecordSnsDLQ"]}
}

// rides scans the whole table.
func (o observer) rides(t testing.TB) []ride.Ride {
	t.Helper()
	var out []ride.Ride
	var start map[string]ddbtypes.AttributeValue
	for {
		page, err := o.ddb.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(o.table), ExclusiveStartKey: start})
		if err != nil {
			t.Fatalf("scanning %s: %v", o.table, err)
		}
		for _, item := range page.Items {
			r, err := riderecord.RideFromItem(item)
			if err != nil {
				t.Fatalf("item %v is not a ride: %v", item, err)
			}
			out = append(out, r)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		start = page.LastEvaluatedKey
	}
}

func (o observer) queueDepth(t testing.TB) int {
	t.Helper()
	out, err := o.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(o.queue),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatalf("reading the dead-letter queue: %v", err)
	}
	var n int
	for _, v := range out.Attributes {
		var x int
		fmt.Sscan(v, &x)
		n += x
	}
	return n
}

func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
