package riderecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// Error codes PutRideRecordSns and the re-drive give the messages no retry can store. Lambda's own
// dead-lettering after the retries are spent puts a number there instead.
const (
	ErrorCodeInvalidRide = design.ReasonInvalidRide
	ErrorCodeConflict    = design.ReasonConflict
	ErrorCodeUnstorable  = design.ReasonUnstorable
)

// DeadLetters is the part of the SQS client that sends poison messages to the dead-letter queue.
type DeadLetters interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SNSHandler is PutRideRecordSns: it stores the rides of an SNS event.
type SNSHandler struct {
	Recorder    *Recorder
	DeadLetters DeadLetters
	QueueURL    string
	// UnstorableURL is the queue for records no retry can store; "" means QueueURL. With a queue of
	// their own, the dead-letter queue (and its alarm) holds only rides that wait for the table.
	UnstorableURL string
	// Metrics gets RidesDeadLettered or RidesSetAside, by Reason, for each record sent to a queue;
	// nil means none.
	Metrics *metrics.Emitter
	// Logger gets one line per record; nil means slog.Default().
	Logger *slog.Logger
}

// Handle handles every record of the event, not only the first. A record that can never be stored
// (not a valid ride, a different ride under a stored RideId, a ride the table refuses) goes at once,
// with its reason, to the unstorable queue, or the dead-letter queue when there is none: retrying
// it would only delay it by the retries. A transient store failure makes Handle return an error
// once all records are done, so Lambda retries the whole event and finally dead-letters it; the
// rides already stored are stored again harmlessly, since PutRide is idempotent. A record whose
// sending fails is also an error: nothing is dropped silently.
func (h *SNSHandler) Handle(ctx context.Context, ev events.SNSEvent) error {
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	log := orDefault(h.Logger).With("request_id", requestID)

	var retry []error
	for _, rec := range ev.Records {
		rideID, outcome, err := h.handleRecord(ctx, rec, requestID)
		attrs := []any{"ride_id", rideID, "message_id", rec.SNS.MessageID, "outcome", outcome}
		switch {
		case outcome == "stored":
			log.InfoContext(ctx, "ride recorded", attrs...)
		case err != nil:
			retry = append(retry, err)
			log.ErrorContext(ctx, "ride not recorded", append(attrs, "error", err.Error())...)
		case h.UnstorableURL != "":
			log.WarnContext(ctx, "ride set aside as unstorable", attrs...)
		default:
			log.WarnContext(ctx, "ride dead-lettered", attrs...)
		}
	}
	if len(retry) > 0 {
		return fmt.Errorf("%d of %d SNS records neither stored nor dead-lettered: %w", len(retry), len(ev.Records), errors.Join(retry...))
	}
	return nil
}

// handleRecord stores or sets aside one record. err is set when the event must be retried.
func (h *SNSHandler) handleRecord(ctx context.Context, rec events.SNSEventRecord, requestID string) (rideID, outcome string, err error) {
	r, perr := ride.ParseRideRecord([]byte(rec.SNS.Message))
	if perr != nil {
		if err := h.setAside(ctx, rec, "", requestID, ErrorCodeInvalidRide, perr.Error()); err != nil {
			return "", "dead_letter_failed", err
		}
		return "", "invalid_ride", nil
	}
	code, outcome := "", ""
	switch err := h.Recorder.PutRide(ctx, r); {
	case errors.Is(err, ErrConflict):
		code, outcome, perr = ErrorCodeConflict, "conflict", err
	case errors.Is(err, ErrUnstorable):
		code, outcome, perr = ErrorCodeUnstorable, "unstorable", err
	case err != nil:
		return r.RideID, "store_failed", err
	default:
		return r.RideID, "stored", nil
	}
	if err := h.setAside(ctx, rec, r.RideID, requestID, code, perr.Error()); err != nil {
		return r.RideID, "dead_letter_failed", err
	}
	return r.RideID, outcome, nil
}

// setAside sends a record no retry can store to the unstorable queue, or the dead-letter queue
// when there is none, and counts it by its reason.
func (h *SNSHandler) setAside(ctx context.Context, rec events.SNSEventRecord, rideID, requestID, code, reason string) error {
	url, metric := h.QueueURL, design.MetricRidesDeadLettered
	if h.UnstorableURL != "" {
		url, metric = h.UnstorableURL, design.MetricRidesSetAside
	}
	if err := h.deadLetter(ctx, url, rec, requestID, code, reason); err != nil {
		return err
	}
	h.Metrics.Emit(metrics.Line{RideID: rideID, Values: []metrics.Value{metrics.One(metric)},
		Dimensions: map[string]string{design.DimensionReason: code}})
	return nil
}

// deadLetter sends one record to the queue at url in the shape Lambda's own dead-lettering uses:
// an SNS event, here holding only that record, with the RequestID, ErrorCode and ErrorMessage
// attributes.
func (h *SNSHandler) deadLetter(ctx context.Context, url string, rec events.SNSEventRecord, requestID, code, reason string) error {
	body, err := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{rec}})
	if err != nil {
		return fmt.Errorf("encode dead letter for SNS message %s: %w", rec.SNS.MessageID, err)
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		"ErrorCode":    stringAttribute(code),
		"ErrorMessage": stringAttribute(reason),
	}
	// SQS refuses an empty attribute value, so outside Lambda (no request ID) the attribute is left out.
	if requestID != "" {
		attrs["RequestID"] = stringAttribute(requestID)
	}
	_, err = h.DeadLetters.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(url),
		MessageBody:       aws.String(string(body)),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("dead-letter SNS message %s (%s): %w", rec.SNS.MessageID, code, err)
	}
	return nil
}

func stringAttribute(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}
