package requestride

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// IdempotencyHeader is the header by which a client makes a retry of POST /ride safe, the
// convention of payment and booking APIs. API Gateway's payload format 2.0 gives header names in
// lower case: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
const IdempotencyHeader = "Idempotency-Key"

// IdempotencyWindow is how long a key answers with the ride booked under it.
const IdempotencyWindow = design.IdempotencyWindow

// maxKeyLength bounds a key: 1 to 255 printable ASCII characters.
const maxKeyLength = 255

// Booking is the ride booked under an Idempotency-Key, with the request it answered.
type Booking struct {
	// RequestHash identifies the request (requestHash): a retry must ask for the same ride.
	RequestHash string
	Ride        ride.Ride
	// ExpiresAt ends the key's window; after it the key is free again.
	ExpiresAt time.Time
}

// IdempotencyStore remembers the ride booked under each key.
type IdempotencyStore interface {
	// Remember records b under key unless a booking that has not expired is recorded there; then
	// it records nothing and returns that booking. Two requests with the same key at once get
	// the same booking: one records it, the other is returned it.
	Remember(ctx context.Context, key string, b Booking) (existing *Booking, err error)
}

// idempotencyKey is the request's Idempotency-Key: ok is false without one; a key that is not 1
// to 255 printable ASCII characters is an error for the caller.
func idempotencyKey(req events.APIGatewayV2HTTPRequest) (key string, ok bool, problem string) {
	key, ok = req.Headers[strings.ToLower(IdempotencyHeader)]
	if !ok { // payload format 2.0 lower-cases header names; a hand-made event may not
		for name, v := range req.Headers {
			if strings.EqualFold(name, IdempotencyHeader) {
				key, ok = v, true
				break
			}
		}
	}
	if !ok {
		return "", false, ""
	}
	if key == "" || len(key) > maxKeyLength {
		got := "an empty value"
		if key != "" {
			got = strconv.Itoa(len(key)) + " bytes"
		}
		return "", true, IdempotencyHeader + " must be 1 to 255 printable ASCII characters, got " + got
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", true, IdempotencyHeader + " must be 1 to 255 printable ASCII characters"
		}
	}
	return key, true, ""
}

// requestHash identifies a ride request by what it asks for, the parsed and normalised pickup
// location, not by its bytes: a retry that spells the same request differently (white space,
// field order, 42.35250 for 42.3525) is the same request.
func requestHash(loc ride.Location) string {
	b, _ := json.Marshal(loc) // two finite floats always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
