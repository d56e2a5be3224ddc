package requestride

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
)

func TestTheRideARiderIsToldAboutIsTheRideHandedOffAndARecordTheStoreAccepts(t *testing.T) {
	tests := []struct {
		name     string
		location string
		want     ride.Location
	}{
		{"a latitude below DynamoDB's smallest number is booked at 0", `{"Latitude":1e-200,"Longitude":-71.05}`, ride.Location{Latitude: 0, Longitude: -71.05}},
		{"a negative one is booked at 0", `{"Latitude":-1e-200,"Longitude":-71.05}`, ride.Location{Latitude: 0, Longitude: -71.05}},
		{"a location finer than a centimetre is rounded to 7 decimal places", `{"Latitude":42.352500049,"Longitude":-71.05290000001}`, ride.Location{Latitude: 42.3525, Longitude: -71.0529}},
		{"forty significant digits are rounded", `{"Latitude":1.234567890123456789012345678901234567891,"Longitude":2}`, ride.Location{Latitude: 1.2345679, Longitude: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakeSNS{}
			resp := handle(t, newHandler(pub), post(`{"PickupLocation":`+tt.location+`}`))
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("status = %d, want 201; body %s", resp.StatusCode, resp.Body)
			}
			var told ride.Ride
			if err := json.Unmarshal([]byte(resp.Body), &told); err != nil {
				t.Fatal(err)
			}
			if told.PickupLocation != tt.want {
				t.Errorf("the rider was told %+v, want %+v", told.PickupLocation, tt.want)
			}
			pubs := pub.published()
			if len(pubs) != 1 || *pubs[0].Message != resp.Body {
				t.Fatalf("published %d messages; want the 201 body exactly", len(pubs))
			}
			stored, err := ride.ParseRideRecord([]byte(*pubs[0].Message))
			if err != nil {
				t.Fatalf("the ride handed off is not a valid ride record, so it could never be stored: %v", err)
			}
			if stored != told {
				t.Errorf("the record stores %+v, the rider was told %+v", stored, told)
			}
		})
	}
}

func TestAnUnstorableRideFromTheFleetIs502NeverA201(t *testing.T) {
	tests := []struct {
		name    string
		unicorn string
		want    string
	}{
		{"a unicorn name over 64 characters", `{"Name":"` + strings.Repeat("B", 65) + `","Color":"Golden"}`,
			"ride cannot be stored: Unicorn.Name is 65 characters, over the 64-character limit"},
		{"a unicorn color of 60 KB", `{"Name":"Bucephalus","Color":"` + strings.Repeat("g", 60000) + `"}`,
			"ride cannot be stored: Unicorn.Color is 60000 characters, over the 64-character limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, tt.unicorn) }))
			defer srv.Close()
			pub := &fakeSNS{}
			h := newHandler(pub)
			h.Unicorns = HTTPUnicornSource{URL: srv.URL}
			resp := handle(t, h, post(workshopReq))
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status = %d, want 502; body %.200s", resp.StatusCode, resp.Body)
			}
			if msg := errorMessage(t, resp.Body); msg != tt.want {
				t.Errorf("error = %q, want %q", msg, tt.want)
			}
			if n := len(pub.published()); n != 0 {
				t.Errorf("published %d unstorable rides", n)
			}
		})
	}
}
