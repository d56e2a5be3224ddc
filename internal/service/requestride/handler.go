// Package requestride is the RequestRide function: it takes POST /ride from the HTTP API, chooses a
// unicorn, hands the ride to the ride-record service and answers 201 with the ride.
package requestride

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/apiresponse"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/metrics"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// Handler answers POST /ride.
type Handler struct {
	Unicorns UnicornSource
	Handoff  Handoff
	// Idempotency remembers the ride booked under each Idempotency-Key; nil means the header is
	// ignored.
	Idempotency IdempotencyStore
	// Metrics gets RidesBooked or RidesReplayed and RidesHandedOff for each 201; nil means none.
	Metrics *metrics.Emitter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger gets one line per request; nil means slog.Default().
	Logger *slog.Logger
}

// Handle never returns a Go error: API Gateway would turn it into a bare 500, so every outcome,
// including the caller's mistakes and a failing dependency, is a response with a JSON body.
//
// With an Idempotency-Key (and an IdempotencyStore), the ride is recorded under the key before it
// is handed off: a retry within IdempotencyWindow finds it and hands the same ride off again, which
// the put path stores once (it is idempotent by RideId), and answers it; so a crash between the
// two wedges nothing. The same key with another request is a 422.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := h.logger().With("request_id", req.RequestContext.RequestID)

	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			log.WarnContext(ctx, "ride request rejected", "outcome", "invalid_request", "status", http.StatusBadRequest, "error", "body is not valid base64")
			return apiresponse.Error(http.StatusBadRequest, "body is not valid base64"), nil
		}
	}
	loc, err := ride.ParseRideRequest(body)
	if err != nil { // always a *ride.ValidationError, written for the caller
		log.WarnContext(ctx, "ride request rejected", "outcome", "invalid_request", "status", http.StatusBadRequest, "error", err.Error())
		return apiresponse.Error(http.StatusBadRequest, err.Error()), nil
	}
	var key string
	keyed := false
	if h.Idempotency != nil {
		var problem string
		if key, keyed, problem = idempotencyKey(req); problem != "" {
			log.WarnContext(ctx, "ride request rejected", "outcome", "invalid_request", "status", http.StatusBadRequest, "error", problem)
			return apiresponse.Error(http.StatusBadRequest, problem), nil
		}
	}

	unicorn, err := h.Unicorns.Unicorn(ctx)
	if err != nil {
		log.ErrorContext(ctx, "ride request failed", "outcome", "unicorn_unavailable", "status", http.StatusBadGateway, "error", err.Error())
		return apiresponse.Error(http.StatusBadGateway, "unicorn service unavailable: "+publicReason(err)), nil
	}

	now := h.now()
	r := ride.NewRide(uuid.NewString(), unicorn, now, loc)
	requestLog := log
	log = log.With("ride_id", r.RideID)
	if err := ride.Validate(r); err != nil {
		// A 201 is a promise the ride gets stored: a ride the record rules refuse (a fleet
		// service's unicorn with an empty or huge name) is not booked.
		log.ErrorContext(ctx, "ride request failed", "outcome", "unstorable_ride", "status", http.StatusBadGateway, "error", err.Error())
		return apiresponse.Error(http.StatusBadGateway, "ride cannot be stored: "+err.Error()), nil
	}

	booked, outcome := design.MetricRidesBooked, "created"
	if keyed {
		hash := requestHash(loc)
		existing, err := h.Idempotency.Remember(ctx, key, Booking{RequestHash: hash, Ride: r, ExpiresAt: now.Add(IdempotencyWindow)})
		switch {
		case err != nil:
			log.ErrorContext(ctx, "ride request failed", "outcome", "idempotency_unavailable", "status", http.StatusBadGateway, "error", err.Error())
			return apiresponse.Error(http.StatusBadGateway, "ride could not be booked: idempotency store unavailable"), nil
		case existing != nil && existing.RequestHash != hash:
			requestLog.WarnContext(ctx, "ride request rejected", "outcome", "idempotency_key_reused", "status", http.StatusUnprocessableEntity,
				"ride_id", existing.Ride.RideID)
			return apiresponse.Error(http.StatusUnprocessableEntity, IdempotencyHeader+" was already used for a different ride request "+
				"in the last 24 hours; send a new key for a new ride"), nil
		case existing != nil:
			r, booked, outcome = existing.Ride, design.MetricRidesReplayed, "replayed"
			log = requestLog.With("ride_id", r.RideID, "replayed", true)
		}
	}

	if err := h.Handoff.HandOff(ctx, r); err != nil {
		// The ride ID stays out of the body: the rider must not believe in a ride nobody recorded.
		log.ErrorContext(ctx, "ride request failed", "outcome", "record_failed", "status", http.StatusBadGateway, "error", err.Error())
		return apiresponse.Error(http.StatusBadGateway, "ride could not be recorded: "+publicReason(err)), nil
	}

	out, err := json.Marshal(r)
	if err != nil {
		log.ErrorContext(ctx, "ride request failed", "outcome", "error", "status", http.StatusInternalServerError, "error", err.Error())
		return apiresponse.Error(http.StatusInternalServerError, "internal error"), nil
	}
	h.Metrics.Emit(metrics.Line{RideID: r.RideID, Values: []metrics.Value{metrics.One(booked), metrics.One(design.MetricRidesHandedOff)},
		Dimensions: map[string]string{design.DimensionPath: h.Handoff.Path()}})
	log.InfoContext(ctx, "ride requested", "outcome", outcome, "status", http.StatusCreated, "unicorn", r.Unicorn.Name)
	return apiresponse.JSON(http.StatusCreated, out), nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
