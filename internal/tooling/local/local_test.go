package local_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
)

const rideBody = `{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`

// env is every step of stage "test", synthesized once with the real CLI (cached across runs
// while the app's sources do not change), so each test runs the templates users deploy.
var env *localtest.Env

func TestMain(m *testing.M) {
	env = localtest.Setup()
	os.Exit(env.Run(m))
}

// final is the system at the final step that the package's tests share.
func final(t *testing.T) *local.System {
	t.Helper()
	return env.Shared(t, localtest.At(design.FinalStep))
}

// state is what the running system tells the other commands.
func state(t testing.TB, sys *local.System) local.State {
	t.Helper()
	st, err := sys.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
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
	// unstorable is the queue of the rides no retry can store.
	unstorable string
}

func observe(t testing.TB, sys *local.System) observer {
	st := state(t, sys)
	cfg := st.Config()
	// SQS through the proxy, as the functions and the dlq command reach it.
	viaProxy := func(o *sqs.Options) { o.BaseEndpoint = aws.String(st.SQS) }
	return observer{sns: sns.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg, viaProxy), table: st.Tables["RideRecordTable"], queue: st.Queues["PutRideRecordSnsDLQ"], unstorable: st.UnstorableQueueUrl}
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

// purge empties the dead-letter and unstorable queues: what a test leaves there must not count for
// the next one.
func (o observer) purge(t testing.TB) {
	for _, q := range []string{o.queue, o.unstorable} {
		if q == "" {
			continue
		}
		if _, err := o.sqs.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(q)}); err != nil {
			t.Errorf("emptying %s: %v", q, err)
		}
	}
}

func (o observer) queueDepth(t testing.TB) int { return o.depth(t, o.queue) }

// depth is how many messages the queue at url holds, visible or not.
func (o observer) depth(t testing.TB, url string) int {
	t.Helper()
	out, err := o.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatalf("reading the queue %s: %v", url, err)
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

// The package's systems share one moto_server, each in an AWS account of its own: one sees none
// of another's resources, and the ARNs moto makes name the account the system's own ARNs name.
func TestSystemsOnOneMotoServerAreAccountsOfTheirOwn(t *testing.T) {
	t.Parallel() // on a system of its own: beside the other tests that start one
	busy, empty := state(t, final(t)), state(t, env.Start(t, localtest.Options{}))
	tables := func(st local.State) []string {
		out, err := dynamodb.NewFromConfig(st.Config()).ListTables(context.Background(), &dynamodb.ListTablesInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.TableNames
	}
	if got := tables(empty); len(got) != 0 {
		t.Errorf("a system with nothing deployed sees tables %v", got)
	}
	if got := tables(busy); len(got) == 0 {
		t.Error("the final system sees no table")
	}
	stacks, err := cloudformation.NewFromConfig(busy.CloudFormationConfig()).DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{})
	if err != nil || len(stacks.Stacks) == 0 {
		t.Fatalf("DescribeStacks: %v", err)
	}
	account := strings.Split(aws.ToString(stacks.Stacks[0].StackId), ":")[4]
	topics, err := sns.NewFromConfig(busy.Config()).ListTopics(context.Background(), &sns.ListTopicsInput{})
	if err != nil || len(topics.Topics) == 0 {
		t.Fatalf("ListTopics: %d topics, %v", len(topics.Topics), err)
	}
	for _, topic := range topics.Topics {
		if got := strings.Split(aws.ToString(topic.TopicArn), ":")[4]; got != account {
			t.Errorf("topic %s is in account %s, the stacks in %s", aws.ToString(topic.TopicArn), got, account)
		}
	}
}
