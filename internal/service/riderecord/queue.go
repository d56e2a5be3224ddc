package riderecord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queue is the part of the SQS client the Redriver uses on the dead-letter and unstorable queues.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

const (
	// While a run works through a queue it keeps the messages it received invisible, so the next
	// receive returns other messages instead of the same ones again; ones it leaves in the queue
	// are made visible again as soon as the run ends. They are hidden until the run must have
	// ended (its context's deadline: the function's timeout), or for workingVisibility when it
	// has none (the CLI): a message that came back while the run still went on would end it
	// early, as if the queue held nothing new (a queue of a thousand messages in the emulator
	// takes longer than 30 s to sweep).
	workingVisibility = 15 * time.Minute
	// maxVisibility is SQS's longest visibility timeout, 12 hours
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
	maxVisibility = 12 * time.Hour
	// longPoll is every receive's wait. A short poll (WaitTimeSeconds 0) asks a subset of SQS's
	// servers and may answer empty while messages remain; a long poll asks all of them and answers
	// as soon as a message is there, so an empty long poll means an empty queue:
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
	longPoll = 1 // seconds
	// reserve is the time a run keeps before its context's deadline (the function's timeout) to
	// finish the message in hand and make the rest visible again.
	reserve = 15 * time.Second
)

// errOutOfTime stops a run that has only its reserve left; the report says so.
var errOutOfTime = errors.New("stopped before the function's timeout; run it again for the rest")

// sweep receives every message of the queue at url once (at most max, max <= 0: all) and calls
// visit with each; visit reports whether the message stays in the queue (hidden by this run until
// the end) or left it (deleted). The sweep ends after an empty long poll, or when the queue's
// counts say nothing is waiting but what this run holds (they are approximate, as the alarm's
// are: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html),
// or with errOutOfTime near ctx's deadline. Whatever it holds is made visible again; releaseErr
// says what could not be.
func (d *Redriver) sweep(ctx context.Context, url string, max int, visit func(sqstypes.Message) (stays bool)) (err, releaseErr error) {
	seen := map[string]bool{}
	var held []string             // IDs of the messages still in the queue, hidden by this run, in order
	latest := map[string]string{} // their latest receipt handles (only the latest one works)
	visited := 0
	err = func() error {
		if empty, err := d.drained(ctx, url, 0); err != nil || empty {
			return err
		}
		for max <= 0 || visited < max {
			if err := d.timeLeft(ctx); err != nil {
				return err
			}
			n := 10
			if max > 0 {
				n = min(n, max-visited)
			}
			out, err := d.receive(ctx, url, int32(n))
			if err != nil {
				return err
			}
			fresh := 0
			for _, m := range out.Messages {
				id, handle := aws.ToString(m.MessageId), aws.ToString(m.ReceiptHandle)
				if seen[id] {
					if _, ok := latest[id]; ok {
						latest[id] = handle
					}
					continue
				}
				if err := d.timeLeft(ctx); err != nil {
					held, latest[id] = append(held, id), handle // not looked at: back to the queue
					return err
				}
				seen[id] = true
				fresh++
				visited++
				if visit(m) {
					held, latest[id] = append(held, id), handle
				}
			}
			if fresh == 0 { // an empty long poll, or only messages this run already has
				return nil
			}
			if len(out.Messages) < n { // a partial batch: the queue may be empty now
				if empty, err := d.drained(ctx, url, len(held)); err != nil || empty {
					return err
				}
			}
		}
		return nil
	}()
	handles := make([]string, 0, len(held))
	for _, id := range held {
		handles = append(handles, latest[id])
	}
	return err, d.release(ctx, url, handles)
}

// timeLeft is errOutOfTime when ctx's deadline is less than reserve away, ctx's error when it is
// done, else nil.
func (d *Redriver) timeLeft(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < reserve {
		return errOutOfTime
	}
	return nil
}

func (d *Redriver) receive(ctx context.Context, url string, n int32) (*sqs.ReceiveMessageOutput, error) {
	out, err := d.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:              aws.String(url),
		MaxNumberOfMessages:   n,
		WaitTimeSeconds:       longPoll,
		MessageAttributeNames: []string{"All"},
		VisibilityTimeout:     hideFor(ctx),
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", url, err)
	}
	return out, nil
}

// hideFor is how long, in seconds, a receive hides its messages: until ctx's deadline, or
// workingVisibility without one; at least 30 s.
func hideFor(ctx context.Context) int32 {
	d := workingVisibility
	if deadline, ok := ctx.Deadline(); ok {
		d = time.Until(deadline)
	}
	return int32(min(max(d, 30*time.Second), maxVisibility) / time.Second)
}

// drained reports whether the queue's counts say no message waits in it (visible or delayed) and
// no more are hidden than the held this run hides itself.
func (d *Redriver) drained(ctx context.Context, url string, held int) (bool, error) {
	out, err := d.Queue.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed},
	})
	if err != nil {
		return false, fmt.Errorf("count the messages of %s: %w", url, err)
	}
	count := func(name sqstypes.QueueAttributeName) int {
		n, err := strconv.Atoi(out.Attributes[string(name)])
		if err != nil {
			return 1 << 30 // no count: not known to be empty, so the long poll decides
		}
		return n
	}
	return count(sqstypes.QueueAttributeNameApproximateNumberOfMessages) == 0 &&
		count(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed) == 0 &&
		count(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible) <= held, nil
}

// release makes messages visible again. It runs even when ctx has just expired (a Lambda near its
// deadline): otherwise they would stay hidden for the rest of the visibility timeout. Each call
// has releaseTimeout of its own, so a run that holds a thousand messages releases them all.
func (d *Redriver) release(ctx context.Context, url string, handles []string) error {
	if len(handles) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, h := range handles {
		callCtx, cancel := context.WithTimeout(ctx, releaseTimeout)
		_, err := d.Queue.ChangeMessageVisibility(callCtx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(url), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
		})
		cancel()
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("make %d of %d messages visible again: %w", len(errs), len(handles), errors.Join(errs...))
	}
	return nil
}

// releaseTimeout bounds each call that makes a message visible again.
var releaseTimeout = 5 * time.Second
