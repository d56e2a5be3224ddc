package riderecord

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func newHTTPHandler(store *fakeStore) *HTTPHandler {
	return &HTTPHandler{Recorder: &Recorder{Store: DynamoDBStore{Client: store, TableName: "rides"}}, Logger: slog.New(slog.DiscardHandler)}
}

func postRecord(body string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{RouteKey: "POST /record", Body: body}
	req.RequestContext.RequestID = "req-1"
	return req
}

func handleHTTP(t *testing.T, h *HTTPHandler, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned a Go error (API Gateway would answer a bare 500): %v", err)
	}
	if resp.Headers["Content-Type"] != "application/json" || resp.Headers["Access-Control-Allow-Origin"] != "*" {
		t.Errorf("headers = %v, want JSON content type and CORS for any origin", resp.Headers)
	}
	return resp
}

func errorMessage(t *testing.T, body string) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	msg, ok := e["error"].(string)
	if !ok || len(e) != 1 {
		t.Fatalf("body %s is not {\"error\": \"...\"}", body)
	}
	return msg
}

// withField returns the JSON of a valid ride with one top-level field replaced (raw JSON) or, when
// raw is empty, removed.
func withField(name, raw string) string {
	var m map[string]json.RawMessage
	json.Unmarshal([]byte(rideJSON(testRide(rideA))), &m)
	if raw == "" {
		delete(m, name)
	} else {
		m[name] = json.RawMessage(raw)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// badRideRecords are bodies no ride-record path may store, with what the error must say. The HTTP
// handler answers them with 400; the SNS handler dead-letters them.
var badRideRecords = []struct {
	name string
	body string
	want string
}{
	{"an empty body is rejected", ``, "body is empty"},
	{"a body over 10 KB is rejected", withField("RideId", `"`+strings.Repeat("a", 10240)+`"`), "over the 10240-byte limit"},
	{"a body that is not JSON is rejected", `RideId=` + rideA, "body is not valid JSON"},
	{"a JSON array is not a ride", `[` + rideJSON(testRide(rideA)) + `]`, "body must be a JSON object, got an array"},
	{"a JSON null is not a ride", `null`, "body must be a JSON object, got null"},
	{"a ride without an ID is rejected", withField("RideId", ""), "RideId is missing"},
	{"a numeric ride ID is rejected", withField("RideId", `42`), "RideId must be a string, got a number"},
	{"an empty ride ID is rejected", withField("RideId", `""`), "RideId must not be empty"},
	{"a ride ID that is not a UUID is rejected", withField("RideId", `"ride-1"`), "RideId must be a UUID"},
	{"a braced ride ID is not canonical", withField("RideId", `"{`+rideA+`}"`), "RideId must be a UUID in canonical lower-case form"},
	{"a URN ride ID is not canonical", withField("RideId", `"urn:uuid:`+rideA+`"`), "RideId must be a UUID in canonical lower-case form"},
	{"a ride ID without hyphens is not canonical", withField("RideId", `"`+strings.ReplaceAll(rideA, "-", "")+`"`), "RideId must be a UUID in canonical lower-case form"},
	{"an upper-case ride ID is not canonical", withField("RideId", `"`+strings.ToUpper(rideA)+`"`), "RideId must be a UUID in canonical lower-case form"},
	{"a ride without a unicorn is rejected", withField("Unicorn", ""), "Unicorn is missing"},
	{"a unicorn given as a string is rejected", withField("Unicorn", `"Bucephalus"`), "Unicorn must be an object, got a string"},
	{"a unicorn without a name is rejected", withField("Unicorn", `{"Color":"Golden"}`), "Unicorn.Name is missing"},
	{"a unicorn with an empty name is rejected", withField("Unicorn", `{"Name":" ","Color":"Golden"}`), "Unicorn.Name must not be empty"},
	{"a unicorn with a numeric color is rejected", withField("Unicorn", `{"Name":"Bucephalus","Color":7}`), "Unicorn.Color must be a string, got a number"},
	{"a unicorn with an unknown field is rejected", withField("Unicorn", `{"Name":"Bucephalus","Color":"Golden","Horn":1}`), "Unicorn.Horn is not a field of a ride record"},
	{"a ride without a request time is rejected", withField("RequestTime", ""), "RequestTime is missing"},
	{"a request time in epoch seconds is rejected", withField("RequestTime", `1795000000`), "RequestTime must be a string, got a number"},
	{"a request time in words is rejected", withField("RequestTime", `"yesterday"`), "RequestTime must be an RFC 3339 time"},
	{"a request time without a zone is rejected", withField("RequestTime", `"2026-11-22T10:00:00.123"`), "RequestTime must be an RFC 3339 time"},
	{"a ride without a pickup location is rejected", withField("PickupLocation", ""), "PickupLocation is missing"},
	{"a pickup location given as an array is rejected", withField("PickupLocation", `[42.3525,-71.0529]`), "PickupLocation must be an object, got an array"},
	{"a pickup location without a longitude is rejected", withField("PickupLocation", `{"Latitude":42.3525}`), "PickupLocation.Longitude is missing"},
	{"a latitude given as a string is rejected", withField("PickupLocation", `{"Latitude":"42.3525","Longitude":-71.0529}`), "PickupLocation.Latitude must be a number, got a string"},
	{"a boolean longitude is rejected", withField("PickupLocation", `{"Latitude":42.3525,"Longitude":false}`), "PickupLocation.Longitude must be a number, got a boolean"},
	{"a null latitude is rejected", withField("PickupLocation", `{"Latitude":null,"Longitude":-71.0529}`), "PickupLocation.Latitude must be a number, got null"},
	{"a latitude beyond the pole is rejected", withField("PickupLocation", `{"Latitude":-90.5,"Longitude":-71.0529}`), "PickupLocation.Latitude is -90.5, outside [-90, 90]"},
	{"a longitude beyond the antimeridian is rejected", withField("PickupLocation", `{"Latitude":42.3525,"Longitude":200}`), "PickupLocation.Longitude is 200, outside [-180, 180]"},
	{"an infinite longitude is rejected", withField("PickupLocation", `{"Latitude":42.3525,"Longitude":-1e309}`), "PickupLocation.Longitude must be a finite number"},
	{"a pickup location with an altitude is rejected", withField("PickupLocation", `{"Latitude":1,"Longitude":2,"Altitude":3}`), "PickupLocation.Altitude is not a field of a ride record"},
	{"an extra top-level field is rejected", withField("Fare", `12.5`), "Fare is not a field of a ride record"},
	{"field names are matched case-sensitively", strings.Replace(rideJSON(testRide(rideA)), `"RideId"`, `"rideid"`, 1), "rideid is not a field of a ride record"},
	{"a repeated ride ID is ambiguous", strings.Replace(rideJSON(testRide(rideA)), `{`, `{"RideId":"`+rideB+`",`, 1), "RideId appears more than once"},
}

func TestABadRideRecordIsAnsweredWith400NamingTheProblem(t *testing.T) {
	for _, tt := range badRideRecords {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			resp := handleHTTP(t, newHTTPHandler(store), postRecord(tt.body))
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", resp.StatusCode, resp.Body)
			}
			if msg := errorMessage(t, resp.Body); !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want it to say %q", msg, tt.want)
			}
			if store.putCount() != 0 {
				t.Error("a rejected ride reached the table")
			}
		})
	}
}

func TestABase64BodyThatDoesNotDecodeIsAnsweredWith400(t *testing.T) {
	req := postRecord("%%%")
	req.IsBase64Encoded = true
	resp := handleHTTP(t, newHTTPHandler(newStore()), req)
	if resp.StatusCode != http.StatusBadRequest || errorMessage(t, resp.Body) != "body is not valid base64" {
		t.Errorf("got %d %s, want 400 saying the body is not valid base64", resp.StatusCode, resp.Body)
	}
}

func TestAGoodRideRecordIsStoredAndAnsweredWith201(t *testing.T) {
	tests := []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
	}{
		{"a JSON body is stored", postRecord(rideJSON(testRide(rideA)))},
		{"a base64-encoded body is stored", events.APIGatewayV2HTTPRequest{Body: base64.StdEncoding.EncodeToString([]byte(rideJSON(testRide(rideA)))), IsBase64Encoded: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			resp := handleHTTP(t, newHTTPHandler(store), tt.req)
			if resp.StatusCode != http.StatusCreated || resp.Body != `{"success": true}` {
				t.Fatalf("got %d %s, want 201 {\"success\": true}", resp.StatusCode, resp.Body)
			}
			item := store.item(rideA)
			want := map[string]string{"RideId": "S", "Unicorn": "M", "RequestTime": "S", "PickupLocation": "M"}
			for name, typ := range want {
				if got := attrType(item[name]); got != typ {
					t.Errorf("item attribute %s is %s, want %s", name, got, typ)
				}
			}
			loc := item["PickupLocation"].(*types.AttributeValueMemberM).Value
			if n := loc["Latitude"].(*types.AttributeValueMemberN).Value; n != "42.3525" {
				t.Errorf("latitude stored as %q, want 42.3525", n)
			}
			if got, err := RideFromItem(item); err != nil || got != testRide(rideA) {
				t.Errorf("stored %+v (%v), want %+v", got, err, testRide(rideA))
			}
		})
	}
}

func attrType(v types.AttributeValue) string {
	switch v.(type) {
	case *types.AttributeValueMemberS:
		return "S"
	case *types.AttributeValueMemberN:
		return "N"
	case *types.AttributeValueMemberM:
		return "M"
	case nil:
		return "missing"
	default:
		return "another type"
	}
}

func TestTheSameRideTwiceIsStoredOnceAndADifferentRideUnderItsIDIs409(t *testing.T) {
	store := newStore()
	h := newHTTPHandler(store)
	for i := range 2 {
		if resp := handleHTTP(t, h, postRecord(rideJSON(testRide(rideA)))); resp.StatusCode != http.StatusCreated {
			t.Fatalf("post %d of the same ride: %d %s, want 201", i+1, resp.StatusCode, resp.Body)
		}
	}
	if store.len() != 1 {
		t.Errorf("table holds %d items, want 1", store.len())
	}

	other := testRide(rideA)
	other.Unicorn.Color = "Silver"
	resp := handleHTTP(t, h, postRecord(rideJSON(other)))
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("status = %d, want 409; body %s", resp.StatusCode, resp.Body)
	}
	if msg, want := errorMessage(t, resp.Body), "ride "+rideA+" already recorded with different content"; msg != want {
		t.Errorf("error = %q, want %q", msg, want)
	}
	if got, _ := RideFromItem(store.item(rideA)); got != testRide(rideA) {
		t.Errorf("the conflicting post changed the stored ride to %+v", got)
	}
}

func TestAStoreFailureIs503WithoutTheDetail(t *testing.T) {
	store := newStore()
	store.err = &types.InternalServerError{Message: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/rides is sad")}
	resp := handleHTTP(t, newHTTPHandler(store), postRecord(rideJSON(testRide(rideA))))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", resp.StatusCode)
	}
	if msg := errorMessage(t, resp.Body); msg != "ride record store unavailable" {
		t.Errorf("error = %q, want %q", msg, "ride record store unavailable")
	}
}

// acceptingStore takes every put and keeps nothing, so a benchmark measures only the handler.
type acceptingStore struct{}

func (acceptingStore) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

func BenchmarkPutRideRecordHTTP(b *testing.B) {
	h := &HTTPHandler{Recorder: &Recorder{Store: DynamoDBStore{Client: acceptingStore{}, TableName: "rides"}}, Logger: slog.New(slog.DiscardHandler)}
	req := postRecord(rideJSON(testRide(rideA)))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Handle(ctx, req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d, err %v", resp.StatusCode, err)
		}
	}
}
