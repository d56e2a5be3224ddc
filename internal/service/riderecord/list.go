package riderecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// DeadLetter is one message of the dead-letter queue or of the unstorable queue.
type DeadLetter struct {
	MessageID     string
	ReceiptHandle string
	Body          string
	// Rides are the valid rides in the body; Problems say why the rest of it is not a ride.
	Rides    []ride.Ride
	Problems []string
	// The attributes the dead-lettering set: Lambda's (ErrorCode is then a number) or
	// PutRideRecordSns's and the re-drive's own (ErrorCode InvalidRide, Conflict or Unstorable).
	ErrorCode    string
	ErrorMessage string
	RequestID    string
}

// Reason says why the message is in its queue: its ErrorCode and ErrorMessage, or what is wrong
// with its body when it has no such attributes (a message sent by hand, or by SNS's redrive policy).
func (l DeadLetter) Reason() string {
	switch {
	case l.ErrorCode != "" && l.ErrorMessage != "":
		return l.ErrorCode + ": " + l.ErrorMessage
	case l.ErrorCode != "" || l.ErrorMessage != "":
		return l.ErrorCode + l.ErrorMessage
	case len(l.Problems) > 0:
		return strings.Join(l.Problems, "; ")
	default:
		return "no reason given"
	}
}

// Listing is both queues' messages, each with why it is there.
type Listing struct {
	// DeadLetters wait for the table: re-drive them once the cause is fixed.
	DeadLetters []DeadLetter
	// Unstorable can never be stored as they are (the unstorable queue; empty without one).
	Unstorable []DeadLetter `json:",omitempty"`
}

// List returns up to max messages of the dead-letter queue (max <= 0: all) without changing the
// queue. Receiving a message is the only way to read it, and a received message that stayed
// visible would come back on the next receive, so List hides what it received for the duration of
// the listing and then sets every listed message's visibility back to 0. The side effect is a
// higher ApproximateReceiveCount, which a dead-letter queue (no redrive policy of its own) ignores.
func (d *Redriver) List(ctx context.Context, max int) ([]DeadLetter, error) {
	return d.list(ctx, d.QueueURL, max)
}

// ListQueues lists both queues as List lists the dead-letter queue, up to max messages each.
func (d *Redriver) ListQueues(ctx context.Context, max int) (Listing, error) {
	var l Listing
	var err error
	if l.DeadLetters, err = d.list(ctx, d.QueueURL, max); err != nil || d.UnstorableURL == "" {
		return l, err
	}
	l.Unstorable, err = d.list(ctx, d.UnstorableURL, max)
	return l, err
}

func (d *Redriver) list(ctx context.Context, url string, max int) ([]DeadLetter, error) {
	var letters []DeadLetter
	err, releaseErr := d.sweep(ctx, url, max, func(m sqstypes.Message) bool {
		letters = append(letters, readLetter(m))
		return true
	})
	err = errors.Join(err, releaseErr)
	if errors.Is(err, errOutOfTime) {
		err = fmt.Errorf("listed %d messages and %w", len(letters), err)
	}
	if err != nil {
		return letters, fmt.Errorf("list %s: %w", url, err)
	}
	return letters, nil
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
