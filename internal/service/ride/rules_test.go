package ride

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

const rideID = "3f1c6a5e-8b2d-4c9a-9e7f-0a1b2c3d4e5f"

func validRide() Ride {
	return NewRide(rideID, Unicorn{Name: "Rocinante", Color: "Yellow"},
		time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC), Location{Latitude: 42.3525, Longitude: -71.0529})
}

func TestARideRequestsCoordinatesAreNormalisedToTheCoordinatePrecision(t *testing.T) {
	tests := []struct {
		name string
		lat  string
		want float64
	}{
		{"a latitude below DynamoDB's smallest number becomes 0", "1e-200", 0},
		{"a negative one becomes 0, not -0", "-1e-200", 0},
		{"a number that underflows a float becomes 0", "1e-400", 0},
		{"an eighth decimal place is rounded away", "42.35250004", 42.3525},
		{"a coordinate's precision is kept", "42.3525001", 42.3525001},
		{"rounding to the edge of the map stays on the map", "89.99999999", 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := ParseRideRequest([]byte(`{"PickupLocation":{"Latitude":` + tt.lat + `,"Longitude":-71.05}}`))
			if err != nil {
				t.Fatalf("ParseRideRequest: %v", err)
			}
			if loc.Latitude != tt.want || math.Signbit(loc.Latitude) != math.Signbit(tt.want) {
				t.Errorf("latitude %s became %v, want %v", tt.lat, loc.Latitude, tt.want)
			}
			// The rider is told about this ride, and it is stored as it is: a ride record must accept it.
			r := validRide()
			r.PickupLocation = loc
			b, _ := json.Marshal(r)
			if _, err := ParseRideRecord(b); err != nil {
				t.Errorf("the ride of a normalised request is not a valid ride record: %v", err)
			}
		})
	}
}

func TestARideRecordThatDynamoDBCouldRefuseIsAValidationErrorNamingTheField(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r map[string]any)
		field string
		want  string
	}{
		{"a latitude below DynamoDB's smallest number is refused", func(r map[string]any) {
			r["PickupLocation"] = json.RawMessage(`{"Latitude":1e-200,"Longitude":-71.05}`)
		},
			"PickupLocation.Latitude", "is 1e-200, more precise than a coordinate's 7 decimal places"},
		{"a longitude with an eighth decimal place is refused", func(r map[string]any) {
			r["PickupLocation"] = json.RawMessage(`{"Latitude":1,"Longitude":-71.05290001}`)
		},
			"PickupLocation.Longitude", "more precise than a coordinate's 7 decimal places"},
		{"a longitude with 40 significant digits is refused", func(r map[string]any) {
			r["PickupLocation"] = json.RawMessage(`{"Latitude":1,"Longitude":1.234567890123456789012345678901234567891}`)
		}, "PickupLocation.Longitude", "more precise"},
		{"a longitude whose text is more precise than the float it parses to is refused", func(r map[string]any) {
			r["PickupLocation"] = json.RawMessage(`{"Latitude":1,"Longitude":-71.05290000000000000000000000000000000001}`)
		}, "PickupLocation.Longitude", "is -71.0529000000000000000000000000..., more precise"},
		{"a latitude with a tiny exponent is refused", func(r map[string]any) { r["PickupLocation"] = json.RawMessage(`{"Latitude":5E-8,"Longitude":1}`) },
			"PickupLocation.Latitude", "is 5E-8, more precise"},
		{"a unicorn name over 64 characters is refused", func(r map[string]any) {
			r["Unicorn"] = map[string]string{"Name": strings.Repeat("é", 65), "Color": "Golden"}
		},
			"Unicorn.Name", "is 65 characters, over the 64-character limit"},
		{"a unicorn color over 64 characters is refused", func(r map[string]any) {
			r["Unicorn"] = map[string]string{"Name": "Bucephalus", "Color": strings.Repeat("x", 1000)}
		},
			"Unicorn.Color", "is 1000 characters, over the 64-character limit"},
		{"a request time over 64 characters is refused", func(r map[string]any) { r["RequestTime"] = "2026-11-22T10:00:00." + strings.Repeat("1", 60) + "Z" },
			"RequestTime", "over the 64-character limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r map[string]any
			b, _ := json.Marshal(validRide())
			json.Unmarshal(b, &r)
			tt.edit(r)
			body, _ := json.Marshal(r)
			_, err := ParseRideRecord(body)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !strings.Contains(ve.Error(), tt.want) {
				t.Errorf("ParseRideRecord(%s) = %v, want a validation error of %s saying %q", body, err, tt.field, tt.want)
			}
		})
	}
}

func TestARideRecordAtTheLimitsIsAccepted(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *Ride)
	}{
		{"a coordinate with 7 decimal places", func(r *Ride) { r.PickupLocation.Latitude = -0.0000001 }},
		{"the corners of the map", func(r *Ride) { r.PickupLocation = Location{Latitude: -90, Longitude: 180} }},
		{"a unicorn name of 64 characters, some of them multi-byte", func(r *Ride) { r.Unicorn.Name = strings.Repeat("ü", 64) }},
		{"a request time with an offset", func(r *Ride) { r.RequestTime = "2026-11-22T05:00:00.123-05:00" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := validRide()
			tt.edit(&want)
			b, _ := json.Marshal(want)
			got, err := ParseRideRecord(b)
			if err != nil || got != want {
				t.Errorf("ParseRideRecord = %+v, %v; want %+v", got, err, want)
			}
			if err := Validate(want); err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
		})
	}
}

func TestACoordinatesTextIsReadForItsDecimalPlaces(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"42.3525", 4}, {"42.35250000", 4}, {"-71", 0}, {"4.2e1", 0}, {"4.25E1", 1}, {"1e-200", 200},
		{"1.5e-7", 8}, {"0e-99999999999999999999999", 0}, {"-0.0", 0}, {"1e-99999999999999999999999", math.MaxInt},
		{"12345e-3", 3}, {"1e+2", 0},
	}
	for _, tt := range tests {
		if got := decimalPlaces(tt.text); got != tt.want {
			t.Errorf("%s has %d decimal places, want %d", tt.text, got, tt.want)
		}
	}
	for _, text := range []string{"0e-99999999999999999999999", "42.35250000", "4.25E1"} {
		b := `{"RideId":"` + rideID + `","Unicorn":{"Name":"R","Color":"Y"},"RequestTime":"2026-11-22T10:00:00.123Z","PickupLocation":{"Latitude":` + text + `,"Longitude":1}}`
		if _, err := ParseRideRecord([]byte(b)); err != nil {
			t.Errorf("a ride record with latitude %s: %v, want it accepted", text, err)
		}
	}
}

func TestValidateAppliesTheRecordRulesToARideAssembledInCode(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *Ride)
		field string
	}{
		{"a unicorn from a fleet service with an empty name", func(r *Ride) { r.Unicorn.Name = "" }, "Unicorn.Name"},
		{"a unicorn with a huge name", func(r *Ride) { r.Unicorn.Name = strings.Repeat("x", 100000) }, "Unicorn.Name"},
		{"a unicorn with a blank color", func(r *Ride) { r.Unicorn.Color = " \t" }, "Unicorn.Color"},
		{"a ride ID that is not canonical", func(r *Ride) { r.RideID = strings.ToUpper(rideID) }, "RideId"},
		{"an empty ride ID", func(r *Ride) { r.RideID = "" }, "RideId"},
		{"a request time that is not RFC 3339", func(r *Ride) { r.RequestTime = "yesterday" }, "RequestTime"},
		{"a coordinate that was not normalised", func(r *Ride) { r.PickupLocation.Latitude = 1e-200 }, "PickupLocation.Latitude"},
		{"a longitude off the map", func(r *Ride) { r.PickupLocation.Longitude = 180.5 }, "PickupLocation.Longitude"},
		{"a coordinate that is not a number", func(r *Ride) { r.PickupLocation.Longitude = math.NaN() }, "PickupLocation.Longitude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRide()
			tt.edit(&r)
			var ve *ValidationError
			if err := Validate(r); !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("Validate = %v, want a validation error of %s", err, tt.field)
			}
		})
	}
	if err := Validate(validRide()); err != nil {
		t.Errorf("Validate(a valid ride) = %v", err)
	}
}

// dynamoDBNumber is DynamoDB's rule for a number: at most 38 significant digits, and 0 or a
// magnitude in [1E-130, 9.9999999999999999999999999999999999999E+125].
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
func dynamoDBNumber(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false
	}
	digits := strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(strings.SplitN(strings.ToLower(s), "e", 2)[0]), "0")
	digits = strings.TrimRight(digits, "0")
	return len(digits) <= 38 && (f == 0 || math.Abs(f) >= 1e-130 && math.Abs(f) < 1e126)
}

func FuzzEveryAcceptedRideRequestOrRecordIsARideDynamoDBStores(f *testing.F) {
	for _, seed := range []string{"42.3525", "1e-200", "-1e-200", "0.12345675", "89.99999999", "-0", "1e-7", "5e-8", "4.9e-324"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, lat string) {
		record := `{"RideId":"` + rideID + `","Unicorn":{"Name":"R","Color":"Y"},"RequestTime":"2026-11-22T10:00:00.123Z","PickupLocation":{"Latitude":` + lat + `,"Longitude":1}}`
		if r, err := ParseRideRecord([]byte(record)); err == nil {
			if err := Validate(r); err != nil {
				t.Fatalf("the record with latitude %s was accepted as %v, which Validate refuses: %v", lat, r.PickupLocation.Latitude, err)
			}
			if n := strconv.FormatFloat(r.PickupLocation.Latitude, 'f', -1, 64); !dynamoDBNumber(n) {
				t.Fatalf("the record with latitude %s was accepted as %s, which DynamoDB refuses", lat, n)
			}
		}
		loc, err := ParseRideRequest([]byte(`{"PickupLocation":{"Latitude":` + lat + `,"Longitude":1}}`))
		if err != nil {
			return
		}
		r := validRide()
		r.PickupLocation = loc
		if err := Validate(r); err != nil {
			t.Fatalf("latitude %s was accepted as %v, which the record rules refuse: %v", lat, loc.Latitude, err)
		}
		// What the put path stores is the shortest decimal of the float (attributevalue).
		if n := strconv.FormatFloat(loc.Latitude, 'f', -1, 64); !dynamoDBNumber(n) {
			t.Fatalf("latitude %s was accepted as %s, which DynamoDB refuses", lat, n)
		}
	})
}
