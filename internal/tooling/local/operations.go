package local

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// CloudWatch on the local system: the metrics the services record and the functions print, the
// templates' alarms evaluated every minute of the clock with their actions published to SNS
// (and so to the alarm topics' email subscriptions, in the outbox), and the dashboards.

// topics publishes an alarm's notification through the system's SNS.
type topics struct{ s *System }

func (t topics) Publish(ctx context.Context, topicArn, subject string, messages map[string]string) error {
	if t.s.sns == nil {
		return fmt.Errorf("SNS is not running")
	}
	return t.s.sns.Publish(ctx, topicArn, subject, messages)
}

// runLoops starts what the system does every minute of its clock: CloudWatch's alarm
// evaluation, and the queues' metrics as SQS reports them.
func (s *System) runLoops() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.loops.Go(func() { s.cloudwatch.Run(ctx) })
	client := sqs.NewFromConfig(localstate.Config(s.opts.Region, s.emu.Endpoint))
	s.loops.Go(func() {
		for {
			// Each minute of the clock, but not more often than 5 times a second of wall time:
			// the emulator has one core.
			if err := s.clock.Sleep(ctx, max(time.Minute, time.Duration(float64(200*time.Millisecond)*s.clock.Scale()))); err != nil {
				return
			}
			sctx, cancelSample := context.WithTimeout(ctx, 5*time.Second)
			if err := s.sqs.Sample(sctx, client, s.engine.QueueURLs()); err != nil && ctx.Err() == nil {
				fmt.Fprintln(s.opts.Log, "cloudwatch:", err)
			}
			cancelSample()
		}
	})
}

// Clock is the system's AWS time.
func (s *System) Clock() *clock.Clock { return s.clock }

// CloudWatch is the system's CloudWatch: its metrics, alarms and dashboards.
func (s *System) CloudWatch() *cloudwatch.Service { return s.cloudwatch }

// Outbox lists the emails SNS sent to the email subscriptions, oldest first.
func (s *System) Outbox() []sns.Mail { return s.sns.Outbox() }

// AlarmsReport is every alarm's state, each state change with the notifications it sent, and
// the outbox: what `wildrydes alarms` prints.
func (s *System) AlarmsReport() admin.AlarmsReport {
	return admin.AlarmsReport{Alarms: s.cloudwatch.Alarms(), Changes: s.cloudwatch.History(), Outbox: s.sns.Outbox(),
		Clock: s.clock.String(), Now: s.clock.Now()}
}
