package riderecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// Queue is the part of the SQS client the Redriver uses on the dead-letter queue.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Redriver lists the dead-letter queue and puts its rides into the table.
type Redriver struct {
	Queue    Queue
	QueueURL string
	Recorder *Recorder
	// Logger gets one line per message; nil means slog.Default().
	Logger *slog.Logger
}

// DeadLetter is one message of the dead-letter queue.
type DeadLetter struct {
	MessageID     string
	ReceiptHandle string
	Body          string
	// Rides are the valid rides in the body; Problems say why the rest of it is not a ride.
	Rides    []ride.Ride
	Problems []string
	// The attributes the dead-lettering set: Lambda's (ErrorCode is then a number) or
	// PutRideRecordSns's own (ErrorCode InvalidRide or Conflict).
	ErrorCode    string
	ErrorMessage string
	RequestID    string
}

// Report is the outcome of a re-drive. The counts are of messages: Stored ones had every ride
// stored and were deleted; Failed ones are still in the queue, and Failures say why.
type Report struct {
	Received int
	Stored   int
	Failed   int
	Failures []Failure `json:",omitempty"`
}

// Failure is why a message stays in the queue; RideID is empty when no valid ride was found.
type Failure struct {
	MessageID string `json:"MessageId"`
	RideID    string `json:"RideId,omitempty"`
	Reason    string
}

// While a run works through the queue it keeps the messages it received invisible, so the next
// receive returns other messages instead of the same ones again; ones it leaves in the queue are made
// visible again as soon as the run ends.
const workingVisibility = 30 // seconds

// List returns up to max messages (max <= 0: all) without changing the queue. Receiving a message is
// the only way to read it, and a received message that stayed visible would come back on the next
// receive, so List hides what it received for the duration of the listing (30 s at most) and then
// sets every listed message's visibility back to 0. The side effect is a higher
// ApproximateReceiveCount, which a dead-letter queue (no redrive policy of its own) ignores.
func (d *Redriver) List(ctx context.Context, max int) ([]DeadLetter, error) {
	var letters []DeadLetter
	index := map[string]int{} // message ID → position in letters
	var err error
	for ctx.Err() == nil && (max <= 0 || len(letters) < max) {
		n := int32(10)
		if max > 0 {
			n = int32(min(10, max-len(letters)))
		}
		var out *sqs.ReceiveMessageOutput
		if out, err = d.receive(ctx, n); err != nil {
			break
		}
		fresh := 0
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if i, seen := index[id]; seen {
				letters[i].ReceiptHandle = aws.ToString(m.ReceiptHandle) // only the latest handle works
				continue
			}
			fresh++
			index[id] = len(letters)
			letters = append(letters, readLetter(m))
		}
		if fresh == 0 { // empty, or only messages already listed
			break
		}
	}
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("listing interrupted: %w", ctx.Err())
	}
	var handles []string
	for _, l := range letters {
		handles = append(handles, l.ReceiptHandle)
	}
	return letters, errors.Join(err, d.release(ctx, handles))
}

// Redrive stores the rides of every message in the queue. A message is deleted only once every ride
// in it is stored (the same ride stored before counts); any other message stays in the queue, visible
// again when the run ends, and the report says why. Each message is tried once per run, so messages
// that keep failing cannot keep a run going. The error is for the queue itself failing.
func (d *Redriver) Redrive(ctx context.Context) (Report, error) {
	log := orDefault(d.Logger)
	var rep Report
	seen := map[string]bool{}
	var kept []string             // IDs of messages left in the queue, in order
	latest := map[string]string{} // their latest receipt handles
	var err error
	for {
		if err = ctx.Err(); err != nil {
			err = fmt.Errorf("re-drive interrupted: %w", err)
			break
		}
		var out *sqs.ReceiveMessageOutput
		if out, err = d.receive(ctx, 10); err != nil {
			break
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
			seen[id] = true
			fresh++
			rep.Received++
			failures, rideIDs := d.redriveMessage(ctx, m)
			if len(failures) == 0 {
				if _, derr := d.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(d.QueueURL), ReceiptHandle: aws.String(handle)}); derr != nil {
					// The rides are stored; the next run stores them again harmlessly and deletes.
					failures = []Failure{{MessageID: id, Reason: "rides stored, but the message could not be deleted: " + derr.Error()}}
				}
			}
			if len(failures) == 0 {
				rep.Stored++
				log.InfoContext(ctx, "dead letter re-driven", "message_id", id, "ride_id", rideIDs, "outcome", "stored")
				continue
			}
			rep.Failed++
			rep.Failures = append(rep.Failures, failures...)
			kept = append(kept, id)
			latest[id] = handle
			log.WarnContext(ctx, "dead letter kept", "message_id", id, "ride_id", rideIDs, "outcome", "failed", "reason", failures[0].Reason)
		}
		if fresh == 0 { // empty, or only messages this run already tried
			break
		}
	}
	handles := make([]string, 0, len(kept))
	for _, id := range kept {
		handles = append(handles, latest[id])
	}
	if rerr := d.release(ctx, handles); rerr != nil {
		log.WarnContext(ctx, "dead letters stay hidden until their visibility timeout", "error", rerr.Error())
	}
	log.InfoContext(ctx, "re-drive finished", "received", rep.Received, "stored", rep.Stored, "failed", rep.Failed)
	if err != nil {
		return rep, fmt.Errorf("re-drive %s: %w", d.QueueURL, err)
	}
	return rep, nil
}

// redriveMessage stores what can be stored of one message and says what could not.
func (d *Redriver) redriveMessage(ctx context.Context, m sqstypes.Message) ([]Failure, []string) {
	id := aws.ToString(m.MessageId)
	rides, problems := ridesIn(aws.ToString(m.Body))
	var failures []Failure
	for _, p := range problems {
		failures = append(failures, Failure{MessageID: id, Reason: p})
	}
	rideIDs := make([]string, 0, len(rides))
	for _, r := range rides {
		rideIDs = append(rideIDs, r.RideID)
		if err := d.Recorder.PutRide(ctx, r); err != nil {
			failures = append(failures, Failure{MessageID: id, RideID: r.RideID, Reason: err.Error()})
		}
	}
	return failures, rideIDs
}

func (d *Redriver) receive(ctx context.Context, n int32) (*sqs.ReceiveMessageOutput, error) {
	out, err := d.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:              aws.String(d.QueueURL),
		MaxNumberOfMessages:   n,
		WaitTimeSeconds:       0,
		MessageAttributeNames: []string{"All"},
		VisibilityTimeout:     workingVisibility,
	})
	if err != nil {
		return nil, fmt.Errorf("receive from dead-letter queue: %w", err)
	}
	return out, nil
}

// release makes messages visible again. It runs even when ctx has just expired (a Lambda near its
// deadline): otherwise they would stay hidden for the rest of the visibility timeout.
func (d *Redriver) release(ctx context.Context, handles []string) error {
	if len(handles) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var errs []error
	for _, h := range handles {
		_, err := d.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(d.QueueURL), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("make %d of %d dead letters visible again: %w", len(errs), len(handles), errors.Join(errs...))
	}
	return nil
}

func readLetter(m sqstypes.Message) DeadLetter {
	body := aws.ToString(m.Body)
	rides, problems := ridesIn(body)
	attr := func(name string) string { return aws.ToString(m.MessageAttributes[name].StringValue) }
	return DeadLetter{
		MessageID:     aws.ToString(m.MessageId),
		ReceiptHandle: aws.ToString(m.ReceiptHandle),
		Body:          body,
		Rides:         rides,
		Problems:      problems,
		ErrorCode:     attr("ErrorCode"),
		ErrorMessage:  attr("ErrorMessage"),
		RequestID:     attr("RequestID"),
	}
}

// ridesIn reads the rides of a dead letter: an SNS event (what Lambda and PutRideRecordSns put
// there), an SNS notification (what the subscription's redrive policy puts there when SNS cannot
// deliver), or a bare ride (what a person may send by hand). problems say what is not a valid ride.
func ridesIn(body string) (rides []ride.Ride, problems []string) {
	var probe struct {
		Records   json.RawMessage `json:"Records"`
		Type      string          `json:"Type"`
		MessageID string          `json:"MessageId"`
		Message   *string         `json:"Message"`
	}
	err := json.Unmarshal([]byte(body), &probe)
	if err == nil && probe.Type == "Notification" && probe.Message != nil {
		r, err := ride.ParseRideRecord([]byte(*probe.Message))
		if err != nil {
			return nil, []string{fmt.Sprintf("SNS notification %s: %v", probe.MessageID, err)}
		}
		return []ride.Ride{r}, nil
	}
	if err != nil || probe.Records == nil {
		r, err := ride.ParseRideRecord([]byte(body))
		if err != nil {
			return nil, []string{"body is neither an SNS event nor a valid ride: " + err.Error()}
		}
		return []ride.Ride{r}, nil
	}
	var ev events.SNSEvent
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return nil, []string{"body is not a valid SNS event: " + err.Error()}
	}
	if len(ev.Records) == 0 {
		return nil, []string{"SNS event has no records"}
	}
	for i, rec := range ev.Records {
		r, err := ride.ParseRideRecord([]byte(rec.SNS.Message))
		if err != nil {
			problems = append(problems, fmt.Sprintf("record %d (SNS message %s): %v", i, rec.SNS.MessageID, err))
			continue
		}
		rides = append(rides, r)
	}
	return rides, problems
}

// RedriveHandler is the on-demand RedriveDeadLetters function; its input is ignored.
type RedriveHandler struct {
	Redriver *Redriver
}

func (h RedriveHandler) Handle(ctx context.Context, _ json.RawMessage) (Report, error) {
	return h.Redriver.Redrive(ctx)
}
