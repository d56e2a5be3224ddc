package riderecord

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/apiresponse"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

// HTTPHandler is PutRideRecord / PutRideRecordHttp: POST /record with the ride JSON.
type HTTPHandler struct {
	Recorder *Recorder
	// Logger gets one line per request; nil means slog.Default().
	Logger *slog.Logger
}

// Handle answers every outcome with a response; a Go error would reach the caller as a bare 500.
func (h *HTTPHandler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := orDefault(h.Logger).With("request_id", req.RequestContext.RequestID)

	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			log.WarnContext(ctx, "ride record rejected", "outcome", "invalid_ride", "status", http.StatusBadRequest, "error", "body is not valid base64")
			return apiresponse.Error(http.StatusBadRequest, "body is not valid base64"), nil
		}
	}
	r, err := ride.ParseRideRecord(body)
	if err != nil { // always a *ride.ValidationError, written for the caller
		log.WarnContext(ctx, "ride record rejected", "outcome", "invalid_ride", "status", http.StatusBadRequest, "error", err.Error())
		return apiresponse.Error(http.StatusBadRequest, err.Error()), nil
	}
	log = log.With("ride_id", r.RideID)

	switch err := h.Recorder.PutRide(ctx, r); {
	case errors.Is(err, ErrConflict):
		log.WarnContext(ctx, "ride record rejected", "outcome", "conflict", "status", http.StatusConflict, "error", err.Error())
		return apiresponse.Error(http.StatusConflict, "ride "+r.RideID+" already recorded with different content"), nil
	case errors.Is(err, ErrUnstorable):
		// No retry can store it: the caller's request is at fault, not the service.
		log.WarnContext(ctx, "ride record rejected", "outcome", "unstorable", "status", http.StatusBadRequest, "error", err.Error())
		return apiresponse.Error(http.StatusBadRequest, err.Error()), nil
	case err != nil:
		log.ErrorContext(ctx, "ride record failed", "outcome", "store_unavailable", "status", http.StatusServiceUnavailable, "error", err.Error())
		return apiresponse.Error(http.StatusServiceUnavailable, "ride record store unavailable"), nil
	}
	log.InfoContext(ctx, "ride recorded", "outcome", "stored", "status", http.StatusCreated)
	return apiresponse.JSON(http.StatusCreated, []byte(`{"success": true}`)), nil
}

func orDefault(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
