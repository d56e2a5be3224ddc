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

	"github.com/wildrydes/wild-rydes-cdk/internal/service/apiresponse"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// Handler answers POST /ride.
type Handler struct {
	Unicorns UnicornSource
	Handoff  Handoff
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger gets one line per request; nil means slog.Default().
	Logger *slog.Logger
}

// Handle never returns a Go error: API Gateway would turn it into a bare 500, so every outcome,
// including the caller's mistakes and a failing dependency, is a response with a JSON body.
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

	unicorn, err := h.Unicorns.Unicorn(ctx)
	if err != nil {
		log.ErrorContext(ctx, "ride request failed", "outcome", "unicorn_unavailable", "status", http.StatusBadGateway, "error", err.Error())
		return apiresponse.Error(http.StatusBadGateway, "unicorn service unavailable: "+publicReason(err)), nil
	}

	r := ride.NewRide(uuid.NewString(), unicorn, h.now(), loc)
	log = log.With("ride_id", r.RideID)
	if err := ride.Validate(r); err != nil {
		// A 201 is a promise the ride gets stored: a ride the record rules refuse (a fleet
		// service's unicorn with an empty or huge name) is not booked.
		log.ErrorContext(ctx, "ride request failed", "outcome", "unstorable_ride", "status", http.StatusBadGateway, "error", err.Error())
		return apiresponse.Error(http.StatusBadGateway, "ride cannot be stored: "+err.Error()), nil
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
	log.InfoContext(ctx, "ride requested", "outcome", "created", "status", http.StatusCreated, "unicorn", r.Unicorn.Name)
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
