package cloudwatch

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
)

type published struct {
	topic, subject string
	messages       map[string]string
}

type fakeTopics struct {
	mu  sync.Mutex
	got []published
}

func (f *fakeTopics) Publish(_ context.Context, topic, subject string, messages map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, published{topic, subject, messages})
	return nil
}

// untilMinute waits until the clock is past the next minute.
func untilMinute(c *clock.Clock, minutes int) {
	next := c.Now().Truncate(time.Minute).Add(time.Duration(minutes) * time.Minute)
	time.Sleep(c.Wall(next.Sub(c.Now())) + time.Millisecond)
}

func TestAStateChangePublishesCloudWatchsNotificationToTheActionsTopics(t *testing.T) {
	c := clock.Scaled(6000) // a minute lasts 10 ms
	topics := &fakeTopics{}
	cw := New(Options{Clock: c, Region: "us-east-1", Account: "123456789012", Topics: topics})
	const topic = "arn:aws:sns:us-east-1:123456789012:alarms"
	rule := errorsAlarm()
	rule.Description = "PutRideRecordSns failed to store a ride"
	rule.Actions, rule.OKActions = []any{topic}, []any{topic}
	if err := cw.PutAlarm("wild-rydes-test-ErrorsAlarm-ABC", rule); err != nil {
		t.Fatal(err)
	}
	if st := cw.Alarms()[0]; st.State != StateInsufficientData {
		t.Errorf("a new alarm is %s, want INSUFFICIENT_DATA until its first evaluation", st.State)
	}
	cw.Store.Put(lambdaErrors, 1, "Count")
	untilMinute(c, 1)
	cw.Evaluate(context.Background())

	if len(topics.got) != 1 {
		t.Fatalf("published %d notifications, want the ALARM one: %+v", len(topics.got), topics.got)
	}
	n := topics.got[0]
	if n.topic != topic || n.subject != `ALARM: "wild-rydes-test-ErrorsAlarm-ABC" in US East (N. Virginia)` {
		t.Errorf("published to %s with subject %q", n.topic, n.subject)
	}
	var payload events.CloudWatchAlarmSNSPayload
	if err := json.Unmarshal([]byte(n.messages["default"]), &payload); err != nil {
		t.Fatalf("the message is not CloudWatch's JSON: %v\n%s", err, n.messages["default"])
	}
	if payload.NewStateValue != "ALARM" || payload.OldStateValue != "INSUFFICIENT_DATA" || payload.AlarmName != "wild-rydes-test-ErrorsAlarm-ABC" ||
		payload.AlarmARN != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:wild-rydes-test-ErrorsAlarm-ABC" ||
		payload.AlarmDescription != rule.Description || payload.AWSAccountID != "123456789012" ||
		payload.Trigger.MetricName != "Errors" || payload.Trigger.Namespace != "AWS/Lambda" || payload.Trigger.Statistic != "SUM" ||
		len(payload.Trigger.Dimensions) != 1 || payload.Trigger.Dimensions[0].Value != "f" || payload.Trigger.Period != 300 ||
		!strings.HasPrefix(payload.NewStateReason, "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (") {
		t.Errorf("the notification says %+v", payload)
	}
	if !strings.Contains(n.messages["email"], `has entered the ALARM state, because "Threshold Crossed`) ||
		!strings.Contains(n.messages["email"], "PutRideRecordSns failed to store a ride") {
		t.Errorf("the email reads:\n%s", n.messages["email"])
	}

	untilMinute(c, 18) // the error leaves the evaluation range
	cw.Evaluate(context.Background())
	if len(topics.got) != 2 || !strings.HasPrefix(topics.got[1].subject, "OK: ") {
		t.Fatalf("after the errors stopped: %+v, want an OK notification", topics.got)
	}
	h := cw.History()
	if len(h) != 2 || h[0].NewState != StateAlarm || h[1].OldState != StateAlarm || h[1].NewState != StateOK || len(h[1].Notifications) != 1 {
		t.Errorf("history %+v, want INSUFFICIENT_DATA -> ALARM -> OK, each with its notification", h)
	}
	untilMinute(c, 1)
	cw.Evaluate(context.Background())
	if len(topics.got) != 2 {
		t.Errorf("an alarm that stays OK notified again: %+v", topics.got[2:])
	}
}
