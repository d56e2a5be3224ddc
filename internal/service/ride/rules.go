package ride

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The rules every stored ride follows, chosen so that DynamoDB can store every ride they accept.
// DynamoDB refuses a number with more than 38 significant digits or a non-zero magnitude below
// 1E-130 (a ValidationException), and an item over 400 KB:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
const (
	// MaxLatitude and MaxLongitude bound a coordinate: latitude in [-90, 90], longitude in
	// [-180, 180].
	MaxLatitude  = 90
	MaxLongitude = 180
	// CoordinateDecimals is a coordinate's precision: 7 decimal places, about 1 cm on the ground.
	// A non-zero coordinate is then at least 1E-7 in magnitude and has at most 10 significant
	// digits, well inside what DynamoDB stores.
	CoordinateDecimals = 7
	// MaxTextLength bounds each string of a ride but its ID (Unicorn.Name, Unicorn.Color,
	// RequestTime), in characters: a ride's JSON is then under 2 KB, within MaxBodyBytes and far
	// within DynamoDB's 400 KB item.
	MaxTextLength = 64
)

// NormalizeCoordinate rounds a coordinate to CoordinateDecimals decimal places (half to even on its
// exact binary value), with -0 as 0: 1e-200 becomes 0, 42.35250004 becomes 42.3525.
func NormalizeCoordinate(f float64) float64 {
	n, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', CoordinateDecimals, 64), 64)
	return n + 0
}

// Validate checks a ride assembled in code (RequestRide's, with a unicorn from a fleet service)
// against the rules ParseRideRecord applies to a ride record: a ride it accepts is a ride the
// ride-record service accepts and DynamoDB stores. Every error is a *ValidationError.
func Validate(r Ride) error {
	if err := checkRideID(r.RideID); err != nil {
		return err
	}
	if err := checkUnicorn("Unicorn", r.Unicorn); err != nil {
		return err
	}
	if err := checkRequestTime(r.RequestTime); err != nil {
		return err
	}
	if err := checkCoordinate("PickupLocation.Latitude", r.PickupLocation.Latitude, MaxLatitude); err != nil {
		return err
	}
	return checkCoordinate("PickupLocation.Longitude", r.PickupLocation.Longitude, MaxLongitude)
}

func checkRideID(id string) error {
	// uuid.Parse also accepts the urn:uuid:, braced and 32-digit forms and upper case; the table is
	// keyed by the string, so only one spelling of an ID may get in.
	if strings.TrimSpace(id) == "" {
		return invalid("RideId", "must not be empty")
	}
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return invalid("RideId", "must be a UUID in canonical lower-case form (8-4-4-4-12 hex digits)")
	}
	return nil
}

func checkUnicorn(path string, u Unicorn) error {
	if err := checkText(path+".Name", u.Name); err != nil {
		return err
	}
	return checkText(path+".Color", u.Color)
}

func checkRequestTime(s string) error {
	if err := checkText("RequestTime", s); err != nil {
		return err
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return invalid("RequestTime", "must be an RFC 3339 time such as 2026-11-22T10:00:00.123Z")
	}
	return nil
}

// checkText accepts a string that is not blank and at most MaxTextLength characters.
func checkText(path, s string) error {
	if strings.TrimSpace(s) == "" {
		return invalid(path, "must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxTextLength {
		return invalid(path, "is %d characters, over the %d-character limit", n, MaxTextLength)
	}
	return nil
}

// checkRange accepts a finite number in [-limit, limit].
func checkRange(path string, f, limit float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return invalid(path, "must be a finite number")
	}
	if f < -limit || f > limit {
		return invalid(path, "is %s, outside [%g, %g]", strconv.FormatFloat(f, 'g', -1, 64), -limit, limit)
	}
	return nil
}

// checkCoordinate is checkRange and no more precision than CoordinateDecimals decimal places.
func checkCoordinate(path string, f, limit float64) error {
	if err := checkRange(path, f, limit); err != nil {
		return err
	}
	if NormalizeCoordinate(f) != f {
		return invalid(path, "is %s, more precise than a coordinate's %d decimal places",
			strconv.FormatFloat(f, 'g', -1, 64), CoordinateDecimals)
	}
	return nil
}
