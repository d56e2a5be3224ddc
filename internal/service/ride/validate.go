package ride

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MaxBodyBytes is the largest ride request or ride record accepted. A ride is about 200 bytes;
// the limit keeps a hostile body from costing memory and DynamoDB write units.
const MaxBodyBytes = 10240

// ValidationError says what is wrong with a ride request or a ride record. Its message names the
// field and the problem and is safe to show to the caller: of the caller's input it repeats only
// numbers and field names, the latter quoted and cut short when they are not plain identifiers.
type ValidationError struct {
	// Field is the JSON path of the offending value, such as "PickupLocation.Latitude", or "body"
	// when the body as a whole is wrong.
	Field   string
	Problem string
}

func (e *ValidationError) Error() string { return e.Field + " " + e.Problem }

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// ParseRideRequest validates the body of POST /ride, {"PickupLocation":{"Latitude":..,"Longitude":..}},
// and returns the pickup location, its coordinates normalised to CoordinateDecimals decimal places
// (NormalizeCoordinate), so the ride the rider is told about is the ride stored. Other top-level
// fields are ignored: the body comes from a web page we do not version with the API. Every error
// is a *ValidationError.
func ParseRideRequest(body []byte) (Location, error) {
	fields, err := parseBody(body)
	if err != nil {
		return Location{}, err
	}
	raw, ok := fields["PickupLocation"]
	if !ok {
		return Location{}, invalid("PickupLocation", "is missing")
	}
	return parseLocation("PickupLocation", raw, false)
}

// ParseRideRecord validates a ride for storage. A ride record is exactly a ride: field names are
// matched case-sensitively and any other field, at any level, is rejected, so what is stored is what
// was published; its values follow the rules of Validate, so every ride it accepts can be stored.
// Every error is a *ValidationError.
func ParseRideRecord(body []byte) (Ride, error) {
	fields, err := parseBody(body)
	if err != nil {
		return Ride{}, err
	}
	if err := rejectUnknown("", fields, "RideId", "Unicorn", "RequestTime", "PickupLocation"); err != nil {
		return Ride{}, err
	}
	var r Ride
	raw, ok := fields["RideId"]
	if r.RideID, err = parseString("RideId", raw, ok); err != nil {
		return Ride{}, err
	}
	// uuid.Parse also accepts the urn:uuid:, braced and 32-digit forms and upper case; the table is
	// keyed by the string, so only one spelling of an ID may get in.
	if err := checkRideID(r.RideID); err != nil {
		return Ride{}, err
	}
	raw, ok = fields["Unicorn"]
	if r.Unicorn, err = parseUnicorn("Unicorn", raw, ok); err != nil {
		return Ride{}, err
	}
	raw, ok = fields["RequestTime"]
	if r.RequestTime, err = parseString("RequestTime", raw, ok); err != nil {
		return Ride{}, err
	}
	if err := checkRequestTime(r.RequestTime); err != nil {
		return Ride{}, err
	}
	raw, ok = fields["PickupLocation"]
	if !ok {
		return Ride{}, invalid("PickupLocation", "is missing")
	}
	if r.PickupLocation, err = parseLocation("PickupLocation", raw, true); err != nil {
		return Ride{}, err
	}
	return r, nil
}

// parseBody checks the size and syntax of a body and returns the fields of its top-level object.
func parseBody(body []byte) (map[string]json.RawMessage, error) {
	if len(body) > MaxBodyBytes {
		return nil, invalid("body", "is %d bytes, over the %d-byte limit", len(body), MaxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("body", "is empty")
	}
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v) // only for the message: where and what the syntax error is
		return nil, invalid("body", "is not valid JSON: %v", err)
	}
	if k := kind(body); k != "an object" {
		return nil, invalid("body", "must be a JSON object, got %s", k)
	}
	return objectFields("", body)
}

// objectFields splits a valid JSON object into its fields. Unlike decoding into a map it rejects a
// repeated name: parsers disagree on which copy wins, so such a body means two different rides.
func objectFields(path string, raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, invalid(pathOr(path), "is not valid JSON: %v", err)
	}
	fields := make(map[string]json.RawMessage, 4)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(pathOr(path), "is not valid JSON: %v", err)
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, invalid(join(path, name), "is not valid JSON: %v", err)
		}
		if _, dup := fields[name]; dup {
			return nil, invalid(join(path, name), "appears more than once")
		}
		fields[name] = value
	}
	return fields, nil
}

// parseLocation reads a pickup location. A ride request's (record false) may carry other fields,
// and its coordinates are normalised to a coordinate's precision; a ride record's (record true) may
// not, and a coordinate more precise than that is refused: a record is stored as it was sent.
func parseLocation(path string, raw json.RawMessage, record bool) (Location, error) {
	if k := kind(raw); k != "an object" {
		return Location{}, invalid(path, "must be an object, got %s", k)
	}
	fields, err := objectFields(path, raw)
	if err != nil {
		return Location{}, err
	}
	if record {
		if err := rejectUnknown(path, fields, "Latitude", "Longitude"); err != nil {
			return Location{}, err
		}
	}
	var loc Location
	raw, ok := fields["Latitude"]
	if loc.Latitude, err = parseCoordinate(path+".Latitude", raw, ok, MaxLatitude, record); err != nil {
		return Location{}, err
	}
	raw, ok = fields["Longitude"]
	if loc.Longitude, err = parseCoordinate(path+".Longitude", raw, ok, MaxLongitude, record); err != nil {
		return Location{}, err
	}
	return loc, nil
}

// parseCoordinate reads a JSON number strictly: "42.3" (a string) is not a latitude.
func parseCoordinate(path string, raw json.RawMessage, present bool, limit float64, record bool) (float64, error) {
	if !present {
		return 0, invalid(path, "is missing")
	}
	if k := kind(raw); k != "a number" {
		return 0, invalid(path, "must be a number, got %s", k)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	// JSON cannot spell NaN or Infinity, but 1e999 overflows to Inf (1e-400 underflows to 0).
	if err != nil {
		return 0, invalid(path, "must be a finite number")
	}
	if !record {
		if err := checkRange(path, f, limit); err != nil {
			return 0, err
		}
		return NormalizeCoordinate(f), nil
	}
	if err := checkRange(path, f, limit); err != nil {
		return 0, err
	}
	// The decimal sent, not the float it parses to: -71.05290000000000000000000000000000000001 is
	// the float -71.0529, but it is not what the caller asked to store.
	if decimalPlaces(string(raw)) > CoordinateDecimals {
		text := string(raw)
		if len(text) > 32 {
			text = text[:32] + "..."
		}
		return 0, invalid(path, "is %s, more precise than a coordinate's %d decimal places", text, CoordinateDecimals)
	}
	return f + 0, nil // + 0: -0 is stored as 0
}

// decimalPlaces is how many decimal places the JSON number text has, trailing zeros aside:
// 42.3525 has 4, 4.2e1 none, 1e-200 has 200.
func decimalPlaces(text string) int {
	mantissa, exp, _ := strings.Cut(strings.ToLower(text), "e")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(mantissa, "-"), ".")
	frac = strings.TrimRight(frac, "0")
	if strings.Trim(intPart, "0") == "" && frac == "" {
		return 0 // zero, whatever its exponent
	}
	e := 0
	if exp != "" {
		n, err := strconv.Atoi(exp)
		switch {
		case err != nil && strings.HasPrefix(exp, "-"): // an exponent beyond an int
			return math.MaxInt
		case err != nil:
			return 0
		}
		e = n
	}
	if e < 0 && len(frac) > math.MaxInt+e {
		return math.MaxInt
	}
	return max(len(frac)-e, 0)
}

func parseUnicorn(path string, raw json.RawMessage, present bool) (Unicorn, error) {
	if !present {
		return Unicorn{}, invalid(path, "is missing")
	}
	if k := kind(raw); k != "an object" {
		return Unicorn{}, invalid(path, "must be an object, got %s", k)
	}
	fields, err := objectFields(path, raw)
	if err != nil {
		return Unicorn{}, err
	}
	if err := rejectUnknown(path, fields, "Name", "Color"); err != nil {
		return Unicorn{}, err
	}
	var u Unicorn
	raw, ok := fields["Name"]
	if u.Name, err = parseString(path+".Name", raw, ok); err != nil {
		return Unicorn{}, err
	}
	raw, ok = fields["Color"]
	if u.Color, err = parseString(path+".Color", raw, ok); err != nil {
		return Unicorn{}, err
	}
	return u, checkUnicorn(path, u)
}

// parseString reads a required, non-blank JSON string.
func parseString(path string, raw json.RawMessage, present bool) (string, error) {
	if !present {
		return "", invalid(path, "is missing")
	}
	if k := kind(raw); k != "a string" {
		return "", invalid(path, "must be a string, got %s", k)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(path, "is not a valid JSON string")
	}
	if strings.TrimSpace(s) == "" {
		return "", invalid(path, "must not be empty")
	}
	return s, nil
}

// rejectUnknown reports the first (alphabetically, so the message is stable) field not in allowed.
func rejectUnknown(path string, fields map[string]json.RawMessage, allowed ...string) error {
	var unknown []string
	for name := range fields {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return invalid(join(path, unknown[0]), "is not a field of a ride record (allowed: %s)", strings.Join(allowed, ", "))
}

// kind names the JSON type of a valid JSON value, with its article, for error messages.
func kind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// join appends a caller-chosen field name to a path. A name that is not a plain identifier is
// quoted in ASCII and cut short, so a message never carries control characters or a whole body.
func join(path, name string) string {
	plain := name != "" && len(name) <= 64
	for _, c := range name {
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			plain = false
			break
		}
	}
	if !plain {
		if r := []rune(name); len(r) > 64 {
			name = string(r[:64]) + "..."
		}
		name = strconv.QuoteToASCII(name)
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

func pathOr(path string) string {
	if path == "" {
		return "body"
	}
	return path
}
