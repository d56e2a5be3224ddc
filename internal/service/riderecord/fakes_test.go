package riderecord

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// fakeStore is a rides table with DynamoDB's conditional-put semantics for the one condition
// DynamoDBStore uses. Errors come wrapped in a smithy.OperationError, as the SDK's do.
type fakeStore struct {
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
	puts  []*dynamodb.PutItemInput
	// err fails every put when set; failRide fails only the puts of that RideId.
	err      error
	failRide string
	// noOldItem is a store that ignores ReturnValuesOnConditionCheckFailure.
	noOldItem bool
}

func newStore() *fakeStore {
	return &fakeStore{items: map[string]map[string]types.AttributeValue{}}
}

func (s *fakeStore) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts = append(s.puts, in)
	key := in.Item["RideId"].(*types.AttributeValueMemberS).Value
	if s.err != nil || key == s.failRide {
		err := s.err
		if err == nil {
			err = &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
		}
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: err}
	}
	if bad := invalidNumber(in.Item); bad != "" {
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: &smithy.GenericAPIError{
			Code: "ValidationException", Message: "One or more parameter values were invalid: the number " + bad + " is outside DynamoDB's range or precision"}}
	}
	if aws.ToString(in.ConditionExpression) != "attribute_not_exists(RideId)" {
		return nil, fmt.Errorf("fake store: unexpected condition %q", aws.ToString(in.ConditionExpression))
	}
	if old, exists := s.items[key]; exists {
		ccf := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		if in.ReturnValuesOnConditionCheckFailure == types.ReturnValuesOnConditionCheckFailureAllOld && !s.noOldItem {
			ccf.Item = old
		}
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: ccf}
	}
	s.items[key] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

// invalidNumber is the first number of item that DynamoDB refuses: more than 38 significant digits,
// or a non-zero magnitude outside [1E-130, 9.9999999999999999999999999999999999999E+125].
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
func invalidNumber(item map[string]types.AttributeValue) string {
	for _, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberN:
			f, err := strconv.ParseFloat(v.Value, 64)
			mantissa := strings.SplitN(strings.ToLower(v.Value), "e", 2)[0]
			digits := strings.Trim(strings.NewReplacer("-", "", "+", "", ".", "").Replace(mantissa), "0")
			if err != nil || len(digits) > 38 || f != 0 && (math.Abs(f) < 1e-130 || math.Abs(f) >= 1e126) {
				return v.Value
			}
		case *types.AttributeValueMemberM:
			if bad := invalidNumber(v.Value); bad != "" {
				return bad
			}
		}
	}
	return ""
}

func (s *fakeStore) item(id string) map[string]types.AttributeValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items[id]
}

func (s *fakeStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

func (s *fakeStore) putCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.puts)
}

// fakeQueue is SQS: messages, each in the queue its URL names (dlqURL unless sent elsewhere), are
// hidden by a receive with a visibility timeout until their visibility is set back to 0, and only
// the latest receipt handle of a message works.
type fakeQueue struct {
	mu     sync.Mutex
	msgs   []*fakeMessage
	nextID int
	// sendErr fails SendMessage; receiveErr fails ReceiveMessage; deleteErr fails DeleteMessage.
	sendErr, receiveErr, deleteErr error
	// ignoreVisibility is a queue whose visibility timeouts expire at once: every receive returns
	// the same messages.
	ignoreVisibility bool
	// shortPollMisses is SQS's short poll sampling a subset of its servers: a receive with
	// WaitTimeSeconds 0 finds nothing although messages wait.
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
	shortPollMisses bool
	// staleCount, when set, is what GetQueueAttributes says waits in every queue: approximate
	// counts that lag behind the queue.
	staleCount string
	// visibilityDelay is how long each ChangeMessageVisibility takes (an SQS call's round trip).
	visibilityDelay time.Duration
	receives        int
	waits           []int32 // each receive's WaitTimeSeconds
	hides           []int32 // each receive's VisibilityTimeout
}

type fakeMessage struct {
	id, body, handle string
	url              string // the queue it is in
	attrs            map[string]sqstypes.MessageAttributeValue
	hidden           bool
	received         int
}

func (q *fakeQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if q.sendErr != nil {
		return nil, q.sendErr
	}
	for name, v := range in.MessageAttributes {
		if aws.ToString(v.StringValue) == "" {
			return nil, fmt.Errorf("fake SQS: attribute %s has an empty value", name)
		}
	}
	id := q.addTo(aws.ToString(in.QueueUrl), aws.ToString(in.MessageBody), in.MessageAttributes)
	return &sqs.SendMessageOutput{MessageId: aws.String(id)}, nil
}

// add puts a message in the dead-letter queue as if sent, and returns its ID.
func (q *fakeQueue) add(body string, attrs map[string]sqstypes.MessageAttributeValue) string {
	return q.addTo(dlqURL, body, attrs)
}

func (q *fakeQueue) addTo(url, body string, attrs map[string]sqstypes.MessageAttributeValue) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.nextID++
	id := fmt.Sprintf("msg-%d", q.nextID)
	q.msgs = append(q.msgs, &fakeMessage{id: id, url: url, body: body, attrs: attrs})
	return id
}

func (q *fakeQueue) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.receiveErr != nil {
		return nil, q.receiveErr
	}
	visible, hidden := 0, 0
	for _, m := range q.msgs {
		switch {
		case m.url != aws.ToString(in.QueueUrl):
		case m.hidden && !q.ignoreVisibility:
			hidden++
		default:
			visible++
		}
	}
	attrs := map[string]string{"ApproximateNumberOfMessages": strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(hidden), "ApproximateNumberOfMessagesDelayed": "0"}
	if q.staleCount != "" {
		attrs["ApproximateNumberOfMessages"] = q.staleCount
	}
	return &sqs.GetQueueAttributesOutput{Attributes: attrs}, nil
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.receives++
	q.waits = append(q.waits, in.WaitTimeSeconds)
	q.hides = append(q.hides, in.VisibilityTimeout)
	if q.receives > 1000 {
		return nil, errors.New("fake SQS: over 1000 receives, the caller is looping")
	}
	if q.receiveErr != nil {
		return nil, q.receiveErr
	}
	out := &sqs.ReceiveMessageOutput{}
	if q.shortPollMisses && in.WaitTimeSeconds == 0 {
		return out, nil
	}
	for _, m := range q.msgs {
		if len(out.Messages) == int(in.MaxNumberOfMessages) {
			break
		}
		if m.url != aws.ToString(in.QueueUrl) || m.hidden && !q.ignoreVisibility {
			continue
		}
		m.received++
		m.handle = fmt.Sprintf("%s#%d", m.id, m.received)
		m.hidden = in.VisibilityTimeout > 0
		msg := sqstypes.Message{MessageId: aws.String(m.id), ReceiptHandle: aws.String(m.handle), Body: aws.String(m.body)}
		if slices.Contains(in.MessageAttributeNames, "All") {
			msg.MessageAttributes = m.attrs
		}
		out.Messages = append(out.Messages, msg)
	}
	return out, nil
}

func (q *fakeQueue) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleteErr != nil {
		return nil, q.deleteErr
	}
	for i, m := range q.msgs {
		if m.handle != "" && m.handle == aws.ToString(in.ReceiptHandle) && m.url == aws.ToString(in.QueueUrl) {
			q.msgs = slices.Delete(q.msgs, i, i+1)
			return &sqs.DeleteMessageOutput{}, nil
		}
	}
	return nil, fmt.Errorf("fake SQS: receipt handle %s is not the latest of any message", aws.ToString(in.ReceiptHandle))
}

func (q *fakeQueue) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	select {
	case <-time.After(q.visibilityDelay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range q.msgs {
		if m.handle != "" && m.handle == aws.ToString(in.ReceiptHandle) && m.url == aws.ToString(in.QueueUrl) {
			m.hidden = in.VisibilityTimeout > 0
			return &sqs.ChangeMessageVisibilityOutput{}, nil
		}
	}
	return nil, fmt.Errorf("fake SQS: receipt handle %s is not the latest of any message", aws.ToString(in.ReceiptHandle))
}

// in returns a copy of the messages in the queue at url.
func (q *fakeQueue) in(url string) []fakeMessage {
	var out []fakeMessage
	for _, m := range q.messages() {
		if m.url == url {
			out = append(out, m)
		}
	}
	return out
}

// messages returns a copy of every queue's messages.
func (q *fakeQueue) messages() []fakeMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]fakeMessage, len(q.msgs))
	for i, m := range q.msgs {
		out[i] = *m
	}
	return out
}
