package riderecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
)

// Redriver lists the dead-letter queue and puts its rides into the table; what can never be
// stored it moves to the unstorable queue, when there is one.
type Redriver struct {
	Queue    Queue
	QueueURL string
	// UnstorableURL is the queue for messages no retry can store; "" keeps them in the dead-letter
	// queue (and its alarm in ALARM until someone deletes them).
	UnstorableURL string
	Recorder      *Recorder
	// Metrics gets RidesRedriven for each ride stored from the queue and RidesSetAside for each
	// message moved; nil means none.
	Metrics *metrics.Emitter
	// Logger gets one line per message; nil means slog.Default().
	Logger *slog.Logger
}

// Report is the outcome of a re-drive. The counts are of messages: Stored ones had every ride
// stored and were deleted; Unstorable ones can never be stored and were moved to the unstorable
// queue (SetAside says why); Failed ones are still in the dead-letter queue, and Failures say why.
// Unfinished says why the run stopped before the queue was done.
type Report struct {
	Received   int
	Stored     int
	Failed     int
	Unstorable int       `json:",omitempty"`
	Failures   []Failure `json:",omitempty"`
	SetAside   []Failure `json:",omitempty"`
	Unfinished string    `json:",omitempty"`
}

// Failure is why a message is not stored; RideID is empty when no valid ride was found. Code is
// the ErrorCode of a reason no retry can fix (InvalidRide, Conflict, Unstorable), else empty.
type Failure struct {
	MessageID string `json:"MessageId"`
	RideID    string `json:"RideId,omitempty"`
	Code      string `json:",omitempty"`
	Reason    string
}

// Redrive stores the rides of every message in the dead-letter queue. A message is deleted once
// every ride in it is stored (the same ride stored before counts). A message that can never be
// stored (not a ride, a different ride under a stored RideId, a ride the table refuses) is moved,
// with its reason, to the unstorable queue when there is one, so it no longer holds the
// dead-letter queue's alarm. Any other message stays in the queue, visible again when the run
// ends, and the report says why. Each message is tried once per run, so messages that keep failing
// cannot keep a run going, and the run stops in time to answer before the function's timeout. The
// error is for the queue itself failing.
func (d *Redriver) Redrive(ctx context.Context) (Report, error) {
	log := orDefault(d.Logger)
	var rep Report
	err, releaseErr := d.sweep(ctx, d.QueueURL, 0, func(m sqstypes.Message) bool {
		rep.Received++
		id := aws.ToString(m.MessageId)
		failures, rideIDs := d.redriveMessage(ctx, m)
		switch {
		case len(failures) == 0:
			failures = d.remove(ctx, m, "rides stored")
			if len(failures) == 0 {
				rep.Stored++
				for _, rideID := range rideIDs {
					d.Metrics.Emit(metrics.Line{RideID: rideID, Values: []metrics.Value{metrics.One(design.MetricRidesRedriven)}})
				}
				log.InfoContext(ctx, "dead letter re-driven", "message_id", id, "ride_id", rideIDs, "outcome", "stored")
				return false
			}
		case d.UnstorableURL != "" && permanent(failures):
			moveFailures := d.setAside(ctx, m, failures)
			if len(moveFailures) == 0 {
				rep.Unstorable++
				rep.SetAside = append(rep.SetAside, failures...)
				d.Metrics.Emit(metrics.Line{RideID: strings.Join(rideIDs, ","), Values: []metrics.Value{metrics.One(design.MetricRidesSetAside)},
					Dimensions: map[string]string{design.DimensionReason: failures[0].Code}})
				log.WarnContext(ctx, "dead letter set aside as unstorable", "message_id", id, "ride_id", rideIDs, "outcome", "unstorable", "reason", failures[0].Reason)
				return false
			}
			failures = moveFailures
		}
		rep.Failed++
		rep.Failures = append(rep.Failures, failures...)
		log.WarnContext(ctx, "dead letter kept", "message_id", id, "ride_id", rideIDs, "outcome", "failed", "reason", failures[0].Reason)
		return true
	})
	if releaseErr != nil {
		log.WarnContext(ctx, "dead letters stay hidden until their visibility timeout", "error", releaseErr.Error())
	}
	if errors.Is(err, errOutOfTime) {
		rep.Unfinished, err = err.Error(), nil
	}
	log.InfoContext(ctx, "re-drive finished", "received", rep.Received, "stored", rep.Stored, "unstorable", rep.Unstorable, "failed", rep.Failed)
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
		failures = append(failures, Failure{MessageID: id, Code: ErrorCodeInvalidRide, Reason: p})
	}
	rideIDs := make([]string, 0, len(rides))
	for _, r := range rides {
		rideIDs = append(rideIDs, r.RideID)
		if err := d.Recorder.PutRide(ctx, r); err != nil {
			failures = append(failures, Failure{MessageID: id, RideID: r.RideID, Code: permanentCode(err), Reason: err.Error()})
		}
	}
	return failures, rideIDs
}

// permanentCode is the ErrorCode of a put error no retry can fix, "" for a transient one.
func permanentCode(err error) string {
	switch {
	case errors.Is(err, ErrConflict):
		return ErrorCodeConflict
	case errors.Is(err, ErrUnstorable):
		return ErrorCodeUnstorable
	}
	return ""
}

// permanent reports whether no retry can fix any of the failures.
func permanent(failures []Failure) bool {
	for _, f := range failures {
		if f.Code == "" {
			return false
		}
	}
	return len(failures) > 0
}

// setAside sends the message to the unstorable queue, as it is, with the first failure's code and
// every failure's reason, and deletes it from the dead-letter queue.
func (d *Redriver) setAside(ctx context.Context, m sqstypes.Message, failures []Failure) []Failure {
	reasons := make([]string, len(failures))
	for i, f := range failures {
		reasons[i] = f.Reason
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		"ErrorCode":    stringAttribute(failures[0].Code),
		"ErrorMessage": stringAttribute(strings.Join(reasons, "; ")),
	}
	if rid, ok := m.MessageAttributes["RequestID"]; ok && aws.ToString(rid.StringValue) != "" {
		attrs["RequestID"] = rid
	}
	_, err := d.Queue.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.UnstorableURL), MessageBody: m.Body, MessageAttributes: attrs})
	if err != nil {
		return []Failure{{MessageID: aws.ToString(m.MessageId), Reason: "can never be stored (" + failures[0].Reason + "), but could not be moved to the unstorable queue: " + err.Error()}}
	}
	return d.remove(ctx, m, "moved to the unstorable queue")
}

// remove deletes a message whose rides are stored or moved; done says which, for the failure.
func (d *Redriver) remove(ctx context.Context, m sqstypes.Message, done string) []Failure {
	_, err := d.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(d.QueueURL), ReceiptHandle: m.ReceiptHandle})
	if err != nil {
		// Stored: the next run stores them again harmlessly and deletes. Moved: the unstorable
		// queue holds a copy, the next run moves another.
		return []Failure{{MessageID: aws.ToString(m.MessageId), Reason: done + ", but the message could not be deleted: " + err.Error()}}
	}
	return nil
}

// RedriveHandler is the on-demand RedriveDeadLetters function; its input is ignored.
type RedriveHandler struct {
	Redriver *Redriver
}

func (h RedriveHandler) Handle(ctx context.Context, _ json.RawMessage) (Report, error) {
	return h.Redriver.Redrive(ctx)
}
