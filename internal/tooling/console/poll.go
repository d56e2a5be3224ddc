package console

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// poll reads the tables' items and the queues' messages from the emulator, and each alarm's
// state from the local CloudWatch.
func (l *live) poll(ctx context.Context) error {
	st, err := l.sys.State()
	if err != nil {
		return err
	}
	top := l.topology()
	counts := map[string]int{}
	var firstErr error
	for _, n := range top.Nodes {
		var count int
		var err error
		switch n.Kind {
		case "table":
			count, err = l.items(ctx, st.Tables[n.LogicalID])
		case "queue":
			count, err = l.messages(ctx, st.Queues[n.LogicalID])
		default:
			continue
		}
		if err != nil {
			firstErr = cmpErr(firstErr, fmt.Errorf("%s: %w", n.Label, err))
			continue
		}
		counts[n.ID] = count
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, c := range counts {
		c := c
		f := l.figures[id]
		n, _ := l.top.node(id)
		if n.Kind == "table" && (f.Items == nil || *f.Items != c) {
			f.Items = &c
			l.version++
		}
		if n.Kind == "queue" && (f.Messages == nil || *f.Messages != c) {
			f.Messages = &c
			l.version++
		}
	}
	l.alarms(st)
	return firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// items is the table's item count. A Scan, even of the count alone, would keep the emulator's
// one core busy under load and slow the functions' writes; its DescribeTable counts live (AWS
// refreshes ItemCount only every few hours, which is why the console is for the local system).
func (l *live) items(ctx context.Context, table string) (int, error) {
	if table == "" {
		return 0, fmt.Errorf("not deployed")
	}
	out, err := l.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return 0, err
	}
	return int(aws.ToInt64(out.Table.ItemCount)), nil
}

// messages counts a queue's messages, the ones a reader holds included.
func (l *live) messages(ctx context.Context, queue string) (int, error) {
	if queue == "" {
		return 0, fmt.Errorf("not deployed")
	}
	out, err := l.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, err
	}
	a, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	b, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return a + b, nil
}

// AlarmView is an alarm as the console lists it.
type AlarmView struct {
	Node string // its node's ID
	cloudwatch.AlarmStatus
}

// keptChanges is how many of the latest alarm state changes and emails a snapshot carries.
const keptChanges = 8

// alarms sets each alarm node's state from the local CloudWatch, which evaluates the
// templates' alarms as CloudWatch does, and keeps the latest state changes and emails. The
// caller holds l.mu.
func (l *live) alarms(st localstate.State) {
	cw := l.sys.CloudWatch()
	byName := map[string]cloudwatch.AlarmStatus{}
	for _, a := range cw.Alarms() {
		byName[a.Name] = a
	}
	var views []AlarmView
	for _, n := range l.top.Nodes {
		a, ok := byName[st.Stacks[n.Stack].Physical[n.LogicalID]]
		if n.Kind != "alarm" || !ok {
			continue
		}
		views = append(views, AlarmView{Node: n.ID, AlarmStatus: a})
		if f := l.figures[n.ID]; f.State != a.State {
			f.State = a.State
			l.version++
		}
	}
	changes := lastN(cw.History(), keptChanges)
	outbox := lastN(l.sys.Outbox(), keptChanges)
	if len(changes) != len(l.changes) || len(outbox) != len(l.outbox) ||
		(len(changes) > 0 && !changes[0].Time.Equal(l.changes[0].Time)) || (len(outbox) > 0 && !outbox[0].Time.Equal(l.outbox[0].Time)) {
		l.version++
	}
	l.alarmViews, l.changes, l.outbox = views, changes, outbox
}

// lastN is the last n of list, newest first.
func lastN[T any](list []T, n int) []T {
	out := slices.Clone(list[max(0, len(list)-n):])
	slices.Reverse(out)
	return out
}
