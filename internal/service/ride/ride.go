// Package ride is the Wild Rydes domain: a ride, the unicorn fleet, and the validation of a ride
// request and of a ride record. It knows nothing of Lambda or AWS.
//
// A 201 is a promise: every ride the system accepts can be stored. So a coordinate is a finite
// number in range (latitude [-90, 90], longitude [-180, 180]) with at most CoordinateDecimals (7)
// decimal places, about 1 cm; a ride request's coordinates are rounded to that precision
// (1e-200 becomes 0) before the ride is assembled, and the ride the rider is told about is the one
// handed off and stored. A ride record (POST /record, an SNS message, a dead letter) is stored as
// it was sent, so a coordinate more precise than that is refused, naming the field. The ride's
// strings are bounded (MaxTextLength), so no valid ride comes near DynamoDB's item limit, and
// Validate applies the same rules to a ride assembled in code before it is handed off.
package ride

import (
	"math/rand/v2"
	"time"
)

// TimeLayout is the RequestTime format: RFC 3339 in UTC with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Location is where a rider wants to be picked up.
type Location struct {
	Latitude  float64 `json:"Latitude"`
	Longitude float64 `json:"Longitude"`
}

// Unicorn is the fleet member that serves a ride.
type Unicorn struct {
	Name  string `json:"Name"`
	Color string `json:"Color"`
}

// Ride is what RequestRide answers, publishes and the ride-record service stores, keyed by RideID.
type Ride struct {
	RideID         string   `json:"RideId"`
	Unicorn        Unicorn  `json:"Unicorn"`
	RequestTime    string   `json:"RequestTime"`
	PickupLocation Location `json:"PickupLocation"`
}

// NewRide assembles a ride requested at now.
func NewRide(id string, u Unicorn, now time.Time, loc Location) Ride {
	return Ride{
		RideID:         id,
		Unicorn:        u,
		RequestTime:    now.UTC().Format(TimeLayout),
		PickupLocation: loc,
	}
}

// fleet is the built-in unicorns, the ones the original fleet service serves.
var fleet = [...]Unicorn{
	{Name: "Bucephalus", Color: "Golden"},
	{Name: "Shadowfax", Color: "White"},
	{Name: "Rocinante", Color: "Yellow"},
}

// Fleet returns a copy of the built-in unicorns.
func Fleet() []Unicorn {
	return append([]Unicorn(nil), fleet[:]...)
}

// Pick chooses a unicorn from the fleet. intn returns a number in [0, n); nil means uniformly at
// random. Tests pass a fixed intn to know which unicorn comes; an answer out of range counts as 0.
func Pick(intn func(n int) int) Unicorn {
	if intn == nil {
		intn = rand.IntN
	}
	i := intn(len(fleet))
	if i < 0 || i >= len(fleet) {
		i = 0
	}
	return fleet[i]
}
