package cloudwatch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	localsns "github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

const operator = "ops@example.com"

var cdkHash = regexp.MustCompile(`[0-9A-F]{8}$`)

// operations is a running local system as its operator sees it: the alarms' states and the
// outbox of the address subscribed to the alarm topics.
type operations struct {
	t      *testing.T
	sys    *local.System
	alarms map[string]string // the alarm's logical ID without its hash -> its name
}

func (o *operations) state(alarm string) cloudwatch.AlarmStatus {
	for _, a := range o.sys.CloudWatch().Alarms() {
		if a.Name == o.alarms[alarm] {
			return a
		}
	}
	o.t.Fatalf("no alarm %s among %v", alarm, o.alarms)
	return cloudwatch.AlarmStatus{}
}

// until waits for every alarm named to be in state.
func (o *operations) until(state string, d time.Duration, alarms ...string) {
	o.t.Helper()
	deadline := time.Now().Add(d)
	for _, a := range alarms {
		for o.state(a).State != state {
			if time.Now().After(deadline) {
				s := o.state(a)
				o.t.Fatalf("after %s, alarm %s is %s, want %s (%s; values %v)", d, a, s.State, state, s.Reason, s.Values)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// mailed says whether the operator got the notification of the alarm's move to state after
// since.
func (o *operations) mailed(alarm, state string, since time.Time) (localsns.Mail, bool) {
	for _, m := range o.sys.Outbox() {
		if m.To == operator && !m.Time.Before(since) && strings.HasPrefix(m.Subject, state+": ") &&
			strings.Contains(m.Body, fmt.Sprintf("Alarm %q", o.alarms[alarm])) &&
			strings.Contains(m.Body, "has entered the "+state+" state") {
			return m, true
		}
	}
	return localsns.Mail{}, false
}

func (o *operations) wantMail(alarm, state string, since time.Time) {
	o.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := o.mailed(alarm, state, since); ok {
			return
		}
		if time.Now().After(deadline) {
			var got []string
			for _, m := range o.sys.Outbox() {
				got = append(got, m.To+": "+m.Subject)
			}
			o.t.Fatalf("no %s email for %s in the outbox since %s; it holds %q", state, alarm, since.Format(time.TimeOnly), got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOnTheLocalSystemAnOutageSendsTheAlarmsToAlarmAndBackAndTheOperatorReadsEachChange(t *testing.T) {
	env := localtest.Load(t)
	sys := env.Start(t, localtest.Options{Path: []design.Step{design.FinalStep}})
	st, err := sys.State()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := &operations{t: t, sys: sys, alarms: map[string]string{}}
	names := map[string]bool{}
	for _, a := range sys.CloudWatch().Alarms() {
		names[a.Name] = true
	}
	for _, stack := range st.Stacks {
		for logical, physical := range stack.Physical {
			if names[physical] { // CDK's logical ID: the construct's ID and a hash of its path
				o.alarms[cdkHash.ReplaceAllString(logical, "")] = physical
			}
		}
	}
	const dlq, errs, notStored = "DeadLetterQueueAlarm", "PutRideRecordSnsErrorsAlarm", "RidesNotStoredAlarm"

	// The operator subscribes to both stacks' alarm topics, as on AWS: through SNS's API.
	snsClient := sns.NewFromConfig(st.Config(), func(o *sns.Options) { o.BaseEndpoint = aws.String(st.SNS) })
	for name, stack := range st.Stacks {
		topic := stack.Outputs["AlarmTopicArn"]
		if topic == "" {
			t.Fatalf("stack %s has no AlarmTopicArn output", name)
		}
		if _, err := snsClient.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("email"), Endpoint: aws.String(operator)}); err != nil {
			t.Fatal(err)
		}
	}
	book := func(n int) {
		t.Helper()
		for range n {
			resp, err := http.Post(st.ApiUrl+"/ride", "application/json", strings.NewReader(`{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("POST /ride answered %d, want 201", resp.StatusCode)
			}
		}
	}

	t.Run("with no traffic every alarm is OK", func(t *testing.T) {
		o.t = t
		for alarm := range o.alarms {
			o.until(cloudwatch.StateOK, 5*time.Second, alarm)
		}
	})

	t.Run("the table unavailable under traffic sends the dead-letter and errors alarms to ALARM, and mails the operator", func(t *testing.T) {
		o.t = t
		since := sys.Outbox()[len(sys.Outbox())-1].Time
		sys.SetTableUnavailable(time.Hour)
		book(5)
		o.until(cloudwatch.StateAlarm, 30*time.Second, errs, dlq)
		o.wantMail(errs, cloudwatch.StateAlarm, since)
		o.wantMail(dlq, cloudwatch.StateAlarm, since)
		if m, _ := o.mailed(dlq, cloudwatch.StateAlarm, since); !strings.Contains(m.Body, "Rides are waiting in the dead-letter queue") {
			t.Errorf("the email does not say what the alarm means:\n%s", m.Body)
		}
		// The alarms fire on the first dead letter; each ride's retries end on their own time.
		// None is lost: all five reach the queue.
		queue := sqs.NewFromConfig(st.Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(st.SQS) })
		var held int
		for deadline := time.Now().Add(30 * time.Second); held < 5 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			out, err := queue.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(st.DeadLetterQueueUrl),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
			if err != nil {
				t.Fatal(err)
			}
			held, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
		}
		if held != 5 {
			t.Fatalf("the dead-letter queue holds %d rides, want the 5 the table refused", held)
		}
	})

	t.Run("restored and re-driven, each returns to OK and mails the operator that too", func(t *testing.T) {
		o.t = t
		since := sys.Clock().Now()
		sys.SetTableUnavailable(0)
		redriver := &riderecord.Redriver{QueueURL: st.DeadLetterQueueUrl, Logger: slog.New(slog.DiscardHandler),
			Queue: sqs.NewFromConfig(st.Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(st.SQS) }),
			Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{TableName: st.RideTable,
				Client: dynamodb.NewFromConfig(st.Config(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(st.DynamoDB) })}}}
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		report, err := redriver.Redrive(rctx)
		if err != nil || report.Failed > 0 || report.Stored < 5 {
			t.Fatalf("re-drive: %+v, %v; want the 5 rides stored", report, err)
		}
		// The errors alarm returns to OK once its last error has left its evaluation range (three
		// 5-minute periods): fifteen minutes of AWS time in which nothing fails and nothing is
		// sent, skipped on the system's clock rather than waited out. The queue's alarm still
		// needs a sample of the emptied queue, taken after the skip.
		sys.Clock().Advance(15 * time.Minute)
		o.until(cloudwatch.StateOK, 30*time.Second, dlq, errs)
		o.wantMail(dlq, cloudwatch.StateOK, since)
		o.wantMail(errs, cloudwatch.StateOK, since)
	})

	t.Run("the metrics are kept as CloudWatch keeps them: the pipeline's, Lambda's, the API's and the queue's", func(t *testing.T) {
		book(2) // stored at once, now that the table is back
		have := map[string]bool{}
		for deadline := time.Now().Add(5 * time.Second); !have["WildRydes RidesStored Stage="+localtest.Stage] && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			for _, m := range sys.CloudWatch().Store.Metrics("") {
				for dim, v := range m.Dimensions {
					have[fmt.Sprintf("%s %s %s=%s", m.Namespace, m.Name, dim, v)] = true
				}
			}
		}
		dlqName := st.DeadLetterQueueUrl[strings.LastIndex(st.DeadLetterQueueUrl, "/")+1:]
		var fn string
		for name, stack := range st.Stacks {
			if strings.HasPrefix(name, design.StackName(design.WildRydes, localtest.Stage)) {
				fn = stack.Physical["RequestRide"]
			}
		}
		for _, want := range []string{
			"WildRydes RidesHandedOff Stage=" + localtest.Stage, "WildRydes RidesStored Stage=" + localtest.Stage,
			"WildRydes DeliveryLatency Stage=" + localtest.Stage,
			"AWS/Lambda Invocations FunctionName=" + fn, "AWS/Lambda Errors FunctionName=" + fn,
			"AWS/SQS NumberOfMessagesSent QueueName=" + dlqName, "AWS/SQS ApproximateNumberOfMessagesVisible QueueName=" + dlqName,
			"AWS/SQS ApproximateAgeOfOldestMessage QueueName=" + dlqName,
		} {
			if !have[want] {
				t.Errorf("no datapoint of %s", want)
			}
		}
		api := false
		for k := range have {
			api = api || strings.HasPrefix(k, "AWS/ApiGateway 5xx ApiId=")
		}
		if !api {
			t.Error("no datapoint of AWS/ApiGateway 5xx by ApiId")
		}
	})

	t.Run("with the subscription removed while RequestRide answers 201, the booked-but-not-stored alarm fires", func(t *testing.T) {
		o.t = t
		o.until(cloudwatch.StateOK, 30*time.Second, notStored)
		rr, err := env.Steps.Stack(design.RideRecord, design.FinalStep)
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.New(rr)
		if err != nil {
			t.Fatal(err)
		}
		var sub string
		for _, s := range m.Stacks[0].Subscriptions {
			if s.Function != nil {
				sub = st.Stacks[rr.Name].Physical[s.LogicalID]
			}
		}
		if _, err := snsClient.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(sub)}); err != nil {
			t.Fatalf("unsubscribing PutRideRecordSns (%s): %v", sub, err)
		}
		since := sys.Clock().Now()
		deadline := time.Now().Add(30 * time.Second)
		for o.state(notStored).State != cloudwatch.StateAlarm {
			if time.Now().After(deadline) {
				s := o.state(notStored)
				t.Fatalf("after 30 s of rides booked and not stored, the alarm is %s (%s; values %v)", s.State, s.Reason, s.Values)
			}
			book(1) // every ride answered 201
			time.Sleep(100 * time.Millisecond)
		}
		o.wantMail(notStored, cloudwatch.StateAlarm, since)
	})
}

func TestTheLocalCloudWatchEvaluatesEveryAlarmOfEveryStep(t *testing.T) {
	env := localtest.Load(t)
	cw := cloudwatch.New(cloudwatch.Options{})
	alarms := 0
	for _, step := range design.Steps() {
		asm, err := env.Steps.Assembly(step)
		if err != nil {
			t.Fatal(err)
		}
		sys, err := model.FromAssemblies(asm)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sys.Stacks {
			for _, a := range st.Alarms {
				alarms++
				if err := cw.PutAlarm(a.ID(), a.AlarmRule); err != nil {
					t.Errorf("step %d: %v", step, err)
				}
			}
		}
	}
	if alarms == 0 {
		t.Fatal("no alarm in any step's templates")
	}
}
