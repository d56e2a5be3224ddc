// Package loadtest is the stand-ins the tests of the load replay share, as net/http/httptest is
// for HTTP: an API that answers POST /ride as RequestRide does, and a ride table that serves
// BatchGetItem from what that API accepted. Only tests import it.
package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
)

// API answers POST /ride like RequestRide and "stores" every ride it accepts, as the SNS-to-Lambda
// path would.
type API struct {
	// Status, when set, picks the status of the n-th request (from 0); anything but 201 stores
	// nothing and answers like API Gateway.
	Status func(n int) int
	// WithPickup answers with PickupLocation as this project's RequestRide does; the original
	// answered without it.
	WithPickup bool

	mu     sync.Mutex
	n      int
	stored map[string]ride.Ride
	order  []string
	keys   map[string]int // Idempotency-Key -> requests that carried it
}

// Keys counts the requests that carried each Idempotency-Key ("" for none).
func (f *API) Keys() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, n := range f.keys {
		out[k] = n
	}
	return out
}

// Start serves the API until the test ends and returns its URL.
func (f *API) Start(t testing.TB) string {
	t.Helper()
	f.mu.Lock()
	if f.stored == nil {
		f.stored = map[string]ride.Ride{}
	}
	f.mu.Unlock()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Store keeps rd as if the API had accepted it.
func (f *API) Store(rd ride.Ride) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stored == nil {
		f.stored = map[string]ride.Ride{}
	}
	f.stored[rd.RideID] = rd
	f.order = append(f.order, rd.RideID)
}

func (f *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/ride" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	loc, err := ride.ParseRideRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	n := f.n
	f.n++
	if f.keys == nil {
		f.keys = map[string]int{}
	}
	f.keys[r.Header.Get("Idempotency-Key")]++
	f.mu.Unlock()
	if f.Status != nil {
		if code := f.Status(n); code != http.StatusCreated {
			http.Error(w, `{"message":"Internal server error"}`, code)
			return
		}
	}
	rd := ride.NewRide(uuid.NewString(), ride.Pick(nil), time.Now(), loc)
	f.Store(rd)

	answer := map[string]any{"RideId": rd.RideID, "Unicorn": rd.Unicorn, "RequestTime": rd.RequestTime}
	if f.WithPickup {
		answer["PickupLocation"] = rd.PickupLocation
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(answer)
}

// Ride returns the i-th ride accepted.
func (f *API) Ride(i int) ride.Ride {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stored[f.order[i]]
}

// Every answers code to every n-th request, 201 to the others: an API's Status.
func Every(n, code int) func(int) int {
	return func(i int) int {
		if i%n == n-1 {
			return code
		}
		return http.StatusCreated
	}
}

// Table serves BatchGetItem on the table Name from what the API stored.
type Table struct {
	API  *API
	Name string
	// Drop hides rides, as if their delivery had failed. It and Alter run holding the API's
	// lock: they must not call its methods.
	Drop func(id string) bool
	// Alter changes a stored item before it is returned.
	Alter func(item map[string]types.AttributeValue)
	// Unprocessed leaves every key but the first unprocessed in the first calls.
	Unprocessed int
	// Invisible answers the first calls as if nothing was stored yet (delivery is asynchronous).
	Invisible int

	mu        sync.Mutex
	calls     int
	batchSize []int
}

// Calls is how many times BatchGetItem was called.
func (ft *Table) Calls() int {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.calls
}

// BatchSizes is how many keys each BatchGetItem asked for.
func (ft *Table) BatchSizes() []int {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return append([]int(nil), ft.batchSize...)
}

// BatchGetItem answers as DynamoDB does, at most 100 keys a call
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
func (ft *Table) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.calls++
	if len(in.RequestItems) != 1 {
		return nil, fmt.Errorf("want one table, got %d", len(in.RequestItems))
	}
	req, ok := in.RequestItems[ft.Name]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}
	if len(req.Keys) > 100 {
		return nil, fmt.Errorf("ValidationException: Too many items requested for the BatchGetItem call")
	}
	ft.batchSize = append(ft.batchSize, len(req.Keys))
	keys := req.Keys
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	if ft.calls <= ft.Unprocessed && len(keys) > 1 {
		out.UnprocessedKeys = map[string]types.KeysAndAttributes{ft.Name: {Keys: keys[1:], ConsistentRead: req.ConsistentRead}}
		keys = keys[:1]
	}
	if ft.calls <= ft.Invisible {
		return out, nil
	}
	ft.API.mu.Lock()
	defer ft.API.mu.Unlock()
	for _, k := range keys {
		id := k["RideId"].(*types.AttributeValueMemberS).Value
		rd, ok := ft.API.stored[id]
		if !ok || (ft.Drop != nil && ft.Drop(id)) {
			continue
		}
		item := riderecord.ItemFromRide(rd)
		if ft.Alter != nil {
			ft.Alter(item)
		}
		out.Responses[ft.Name] = append(out.Responses[ft.Name], item)
	}
	return out, nil
}
