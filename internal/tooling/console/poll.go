package console

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// poll reads the tables' items and the queues' messages from the emulator, and sets each
// alarm's state from its rule in the template.
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
	for _, e := range l.top.Edges {
		if e.Label != "alarm" {
			continue
		}
		alarm, _ := l.top.node(e.To)
		if c, ok := counts[e.From]; ok && alarm.Comparison != "" {
			state := "OK"
			if alarm.alarmed(float64(c)) {
				state = "ALARM"
			}
			if f := l.figures[e.To]; f.State != state {
				f.State = state
				l.version++
			}
		}
	}
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
