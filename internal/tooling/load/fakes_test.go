package load

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

// fakeWildRydes answers POST /ride like RequestRide and "stores" every ride it accepts, as the
// SNS-to-Lambda path would.
type fakeWildRydes struct {
	// status, when set, picks the status of the n-th request (from 0); anything but 201 stores
	// nothing and answers like API Gateway.
	status func(n int) int
	// withPickup answers with PickupLocation as this project's RequestRide does; the original
	// answered without it.
	withPickup bool

	mu     sync.Mutex
	n      int
	stored map[string]ride.Ride
	order  []string
}

func (f *fakeWildRydes) start(t *testing.T) string {
	t.Helper()
	f.stored = map[string]ride.Ride{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *fakeWildRydes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	f.mu.Unlock()
	if f.status != nil {
		if code := f.status(n); code != http.StatusCreated {
			http.Error(w, `{"message":"Internal server error"}`, code)
			return
		}
	}
	rd := ride.NewRide(uuid.NewString(), ride.Pick(nil), time.Now(), loc)
	f.mu.Lock()
	f.stored[rd.RideID] = rd
	f.order = append(f.order, rd.RideID)
	f.mu.Unlock()

	answer := map[string]any{"RideId": rd.RideID, "Unicorn": rd.Unicorn, "RequestTime": rd.RequestTime}
	if f.withPickup {
		answer["PickupLocation"] = rd.PickupLocation
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(answer)
}

// ride returns the i-th ride accepted.
func (f *fakeWildRydes) ride(i int) ride.Ride {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stored[f.order[i]]
}

// fakeTable serves BatchGetItem from what the fake system stored.
type fakeTable struct {
	sys  *fakeWildRydes
	name string
	// drop hides rides, as if their delivery had failed. It and alter run holding the system's
	// lock: they must not call its methods.
	drop func(id string) bool
	// alter changes a stored item before it is returned.
	alter func(item map[string]types.AttributeValue)
	// unprocessed leaves every key but the first unprocessed in the first calls.
	unprocessed int
	// invisible answers the first calls as if nothing was stored yet (delivery is asynchronous).
	invisible int

	mu        sync.Mutex
	calls     int
	batchSize []int
}

func (ft *fakeTable) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.calls++
	if len(in.RequestItems) != 1 {
		return nil, fmt.Errorf("want one table, got %d", len(in.RequestItems))
	}
	req, ok := in.RequestItems[ft.name]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}
	if len(req.Keys) > 100 {
		return nil, fmt.Errorf("ValidationException: Too many items requested for the BatchGetItem call")
	}
	ft.batchSize = append(ft.batchSize, len(req.Keys))
	keys := req.Keys
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	if ft.calls <= ft.unprocessed && len(keys) > 1 {
		out.UnprocessedKeys = map[string]types.KeysAndAttributes{ft.name: {Keys: keys[1:], ConsistentRead: req.ConsistentRead}}
		keys = keys[:1]
	}
	if ft.calls <= ft.invisible {
		return out, nil
	}
	ft.sys.mu.Lock()
	defer ft.sys.mu.Unlock()
	for _, k := range keys {
		id := k["RideId"].(*types.AttributeValueMemberS).Value
		rd, ok := ft.sys.stored[id]
		if !ok || (ft.drop != nil && ft.drop(id)) {
			continue
		}
		item := riderecord.ItemFromRide(rd)
		if ft.alter != nil {
			ft.alter(item)
		}
		out.Responses[ft.name] = append(out.Responses[ft.name], item)
	}
	return out, nil
}
