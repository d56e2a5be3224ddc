package cloudwatch

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/clock"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// Topics is where an alarm's actions publish: SNS, which delivers to the topic's subscriptions.
// messages is SNS's message structure: "default", and the text for other protocols ("email").
type Topics interface {
	Publish(ctx context.Context, topicArn, subject string, messages map[string]string) error
}

// Options configure the local CloudWatch.
type Options struct {
	Clock *clock.Clock
	// Region and Account name the alarms' ARNs and notifications.
	Region, Account string
	// Topics receives the notifications of the alarms' actions.
	Topics Topics
	// Log gets a line for each state change.
	Log io.Writer
}

// Service is CloudWatch on the local system: the metrics (Store), the alarms of the deployed
// templates, evaluated every minute of the clock as CloudWatch evaluates them and their actions
// run, and the dashboards.
type Service struct {
	Store *Store
	opts  Options

	started time.Time // the clock's time when the service started

	mu         sync.Mutex
	alarms     map[string]*alarm // by name
	dashboards map[string]string // name -> body
	history    []Transition
}

type alarm struct {
	name, arn string
	rule      *rule
	state     string
	reason    string
	since     time.Time
	values    []float64
}

// New is a local CloudWatch with no alarm.
func New(opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &Service{Store: NewStore(opts.Clock), opts: opts, started: opts.Clock.Now(), alarms: map[string]*alarm{}, dashboards: map[string]string{}}
}

// ARN is the alarm name's ARN.
func (s *Service) ARN(name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.opts.Region, s.opts.Account, name)
}

// PutAlarm creates the alarm, in INSUFFICIENT_DATA until its first evaluation, or updates it
// keeping its state, as PutMetricAlarm does; an error says why the local CloudWatch cannot
// evaluate it. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
func (s *Service) PutAlarm(name string, r model.AlarmRule) error {
	compiled, err := compile(r)
	if err != nil {
		return fmt.Errorf("alarm %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.alarms[name]; a != nil {
		a.rule = compiled
		return nil
	}
	s.alarms[name] = &alarm{name: name, arn: s.ARN(name), rule: compiled, state: StateInsufficientData,
		reason: "Unchecked: Initial alarm creation", since: s.opts.Clock.Now()}
	return nil
}

// DeleteAlarm deletes the alarm; its history stays.
func (s *Service) DeleteAlarm(name string) {
	s.mu.Lock()
	delete(s.alarms, name)
	s.mu.Unlock()
}

// Span is how much of d's time range has data: its range, but no longer than the service has
// run (and at least 15 minutes, so that a new system's graphs have room).
func (s *Service) Span(d *Dashboard) time.Duration {
	return min(d.Range(), max(15*time.Minute, s.opts.Clock.Since(s.started)))
}

// PutDashboard creates or replaces a dashboard; body is its JSON (DashboardBody).
func (s *Service) PutDashboard(name, body string) {
	s.mu.Lock()
	s.dashboards[name] = body
	s.mu.Unlock()
}

// DeleteDashboard deletes a dashboard.
func (s *Service) DeleteDashboard(name string) {
	s.mu.Lock()
	delete(s.dashboards, name)
	s.mu.Unlock()
}

// Dashboards are the dashboards' bodies by name.
func (s *Service) Dashboards() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.dashboards)
}

// AlarmStatus is an alarm as DescribeAlarms tells it.
type AlarmStatus struct {
	Name, Arn, Description string
	State, Reason          string
	// Since is when the alarm entered State (the local clock's time).
	Since time.Time
	// Values are its values in the periods of the last evaluation, the most recent first.
	Values []float64
	model.AlarmRule
}

// Alarms lists the alarms by name.
func (s *Service) Alarms() []AlarmStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AlarmStatus
	for _, name := range slices.Sorted(maps.Keys(s.alarms)) {
		a := s.alarms[name]
		out = append(out, AlarmStatus{Name: a.name, Arn: a.arn, Description: a.rule.Description, State: a.state,
			Reason: a.reason, Since: a.since, Values: slices.Clone(a.values), AlarmRule: a.rule.AlarmRule})
	}
	return out
}

// Transition is one change of an alarm's state, with the notifications its actions sent.
type Transition struct {
	Time               time.Time
	Alarm, Arn         string
	OldState, NewState string
	Reason             string
	Notifications      []Notification
}

// Notification is what an action published: the SNS message CloudWatch sends to a topic.
type Notification struct {
	TopicArn, Subject, Message string
	// Error says why it could not be published; empty when it was.
	Error string `json:",omitempty"`
}

// keptChanges bounds the history: an alarm that flaps under a fast clock must not grow it
// without end.
const keptChanges = 1000

// History lists the state changes since the system started (the latest keptChanges), oldest
// first.
func (s *Service) History() []Transition {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.history)
}

// Evaluate evaluates every alarm now, and runs the actions of those whose state changed.
func (s *Service) Evaluate(ctx context.Context) {
	now := s.opts.Clock.Now()
	s.mu.Lock()
	var changed []Transition
	var changedAlarms []*alarm
	for _, name := range slices.Sorted(maps.Keys(s.alarms)) {
		a := s.alarms[name]
		ev := a.rule.evaluate(s.Store, now, a.state)
		a.values = ev.Values
		if ev.State == a.state {
			continue
		}
		changed = append(changed, Transition{Time: now, Alarm: a.name, Arn: a.arn, OldState: a.state, NewState: ev.State, Reason: ev.Reason})
		changedAlarms = append(changedAlarms, a)
		a.state, a.reason, a.since = ev.State, ev.Reason, now
	}
	s.mu.Unlock()
	for i, t := range changed {
		fmt.Fprintf(s.opts.Log, "cloudwatch: alarm %s %s -> %s: %s\n", t.Alarm, t.OldState, t.NewState, t.Reason)
		changed[i].Notifications = s.act(ctx, changedAlarms[i], t)
	}
	if len(changed) > 0 {
		s.mu.Lock()
		s.history = append(s.history, changed...)
		if len(s.history) > keptChanges {
			s.history = slices.Delete(s.history, 0, len(s.history)-keptChanges)
		}
		s.mu.Unlock()
	}
}

// act runs the actions of the alarm's new state: each SNS topic gets CloudWatch's notification.
// Actions on anything but a topic (Auto Scaling, EC2, Lambda) are not modelled and are logged.
func (s *Service) act(ctx context.Context, a *alarm, t Transition) []Notification {
	actions := map[string][]any{StateAlarm: a.rule.Actions, StateOK: a.rule.OKActions,
		StateInsufficientData: a.rule.InsufficientDataActions}[t.NewState]
	var out []Notification
	for _, action := range actions {
		arn := fmt.Sprint(action)
		if !strings.HasPrefix(arn, "arn:aws:sns:") {
			fmt.Fprintf(s.opts.Log, "cloudwatch: alarm %s: action %s is not an SNS topic; the local system runs only SNS actions\n", a.name, arn)
			continue
		}
		subject, messages := s.notification(a, t)
		n := Notification{TopicArn: arn, Subject: subject, Message: messages["default"]}
		if s.opts.Topics == nil {
			n.Error = "no SNS service"
		} else if err := s.opts.Topics.Publish(ctx, arn, subject, messages); err != nil {
			n.Error = err.Error()
			fmt.Fprintf(s.opts.Log, "cloudwatch: alarm %s: publishing to %s: %v\n", a.name, arn, err)
		}
		out = append(out, n)
	}
	return out
}

// Run evaluates the alarms every minute of the clock (a minute is shorter when the clock is
// scaled), as CloudWatch does, until ctx ends.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html
func (s *Service) Run(ctx context.Context) {
	for {
		now := s.opts.Clock.Now()
		next := now.Truncate(time.Minute).Add(time.Minute)
		if err := s.opts.Clock.Sleep(ctx, next.Sub(now)); err != nil {
			return
		}
		s.Evaluate(ctx)
	}
}
