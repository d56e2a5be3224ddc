package ride

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewRideFormatsTheRequestTimeInUTCWithMilliseconds(t *testing.T) {
	boston := time.FixedZone("EST", -5*3600)
	now := time.Date(2026, 11, 22, 5, 0, 0, 123456789, boston)
	r := NewRide("id", Unicorn{Name: "Shadowfax", Color: "White"}, now, Location{Latitude: 1, Longitude: 2})
	if r.RequestTime != "2026-11-22T10:00:00.123Z" {
		t.Errorf("RequestTime = %q, want 2026-11-22T10:00:00.123Z", r.RequestTime)
	}
	if r.RideID != "id" || r.Unicorn.Name != "Shadowfax" || r.PickupLocation.Longitude != 2 {
		t.Errorf("NewRide lost a field: %+v", r)
	}
}

func TestPickReturnsTheFleetMemberTheChooserNames(t *testing.T) {
	for i, want := range fleet {
		if got := Pick(func(int) int { return i }); got != want {
			t.Errorf("Pick(%d) = %+v, want %+v", i, got, want)
		}
	}
	if got := Pick(func(int) int { return 7 }); got != fleet[0] {
		t.Errorf("an out-of-range choice gave %+v, want the first unicorn", got)
	}
	random := Pick(nil)
	if !isFleet(random) {
		t.Errorf("Pick(nil) = %+v, not a fleet member", random)
	}
}

func TestTheFleetIsTheOriginalFleetServicesUnicorns(t *testing.T) {
	if want := [...]Unicorn{{"Bucephalus", "Golden"}, {"Shadowfax", "White"}, {"Rocinante", "Yellow"}}; fleet != want {
		t.Errorf("the fleet is %v, want the original fleet service's %v", fleet, want)
	}
}

func isFleet(u Unicorn) bool {
	for _, f := range fleet {
		if f == u {
			return true
		}
	}
	return false
}

func TestParseRideRequestAcceptsTheWorkshopBodyAndTheEdgesOfTheMap(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Location
	}{
		{"the workshop body is accepted", `{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`, Location{42.3525, -71.0529}},
		{"the poles and the antimeridian are accepted", `{"PickupLocation":{"Latitude":-90,"Longitude":180}}`, Location{-90, 180}},
		{"exponent notation is accepted", `{"PickupLocation":{"Latitude":4.2e1,"Longitude":-1E2}}`, Location{42, -100}},
		{"extra top-level fields from the web page are ignored", `{"PickupLocation":{"Latitude":1,"Longitude":2},"Client":"web"}`, Location{1, 2}},
		{"surrounding white space is accepted", " \n{\"PickupLocation\":{\"Latitude\":1,\"Longitude\":2}}\n", Location{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRideRequest([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseRideRequest: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The full tables of bad bodies run through the handlers (internal/service/requestride, internal/service/riderecord),
// which is what a caller sees; here only the contract the handlers rely on is checked.
func TestEveryParseErrorIsAValidationErrorNamingTheField(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) error
		body  string
		field string
		want  string
	}{
		{"a body one byte over the limit is too large", request, `{"PickupLocation":{"Latitude":1,"Longitude":2}}` + strings.Repeat(" ", MaxBodyBytes), "body", "over the 10240-byte limit"},
		{"a latitude that overflows to infinity is not finite", request, `{"PickupLocation":{"Latitude":1e999,"Longitude":2}}`, "PickupLocation.Latitude", "finite"},
		{"a repeated field is ambiguous", request, `{"PickupLocation":{"Latitude":1,"Latitude":2,"Longitude":2}}`, "PickupLocation.Latitude", "more than once"},
		{"an unknown field with control characters is quoted", record, `{"a\u0000b":1}`, `"a\x00b"`, "not a field"},
		{"an upper-case ride ID is not canonical", record, `{"RideId":"3F1C6A5E-8B2D-4C9A-9E7F-0A1B2C3D4E5F"}`, "RideId", "canonical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse([]byte(tt.body))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
			}
			if ve.Field != tt.field || !strings.Contains(ve.Error(), tt.want) {
				t.Errorf("error %q (field %q), want field %q and a message containing %q", ve, ve.Field, tt.field, tt.want)
			}
		})
	}
}

func request(b []byte) error { _, err := ParseRideRequest(b); return err }
func record(b []byte) error  { _, err := ParseRideRecord(b); return err }

func TestParseRideRecordAcceptsAPublishedRide(t *testing.T) {
	want := NewRide("3f1c6a5e-8b2d-4c9a-9e7f-0a1b2c3d4e5f", Unicorn{Name: "Rocinante", Color: "Yellow"},
		time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC), Location{Latitude: 42.3525, Longitude: -71.0529})
	body := `{"RideId":"3f1c6a5e-8b2d-4c9a-9e7f-0a1b2c3d4e5f","Unicorn":{"Name":"Rocinante","Color":"Yellow"},` +
		`"RequestTime":"2026-11-22T10:00:00.123Z","PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`
	got, err := ParseRideRecord([]byte(body))
	if err != nil {
		t.Fatalf("ParseRideRecord: %v", err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func BenchmarkParseRideRecord(b *testing.B) {
	body := []byte(`{"RideId":"3f1c6a5e-8b2d-4c9a-9e7f-0a1b2c3d4e5f","Unicorn":{"Name":"Rocinante","Color":"Yellow"},` +
		`"RequestTime":"2026-11-22T10:00:00.123Z","PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRideRecord(body); err != nil {
			b.Fatal(err)
		}
	}
}
