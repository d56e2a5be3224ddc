package local_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// postSigned POSTs body to the system's POST /record, signed with SigV4 as its own principal,
// as a tool or an operator must once the route requires AWS_IAM.
func postSigned(t testing.TB, st local.State, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, st.RecordApiUrl+"/record", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	signRecordRequest(t, req, []byte(body), st.Region)
	return do(t, req)
}

// signRecordRequest signs req (whose body is body) as the local system's principal, for a route
// that requires AWS_IAM: what a tool or an operator does with their own credentials.
func signRecordRequest(t testing.TB, req *http.Request, body []byte, region string) {
	t.Helper()
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(req.Context(), aws.Credentials{AccessKeyID: localstate.AccessKeyID, SecretAccessKey: localstate.SecretAccessKey},
		req, hex.EncodeToString(sum[:]), "execute-api", region, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, b, resp.Header}
}

// signAs signs req with any credentials at any time: what a forger or a replayer holds.
func signAs(t *testing.T, req *http.Request, body, accessKey, secret, region string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(req.Context(), aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "execute-api", region, at); err != nil {
		t.Fatal(err)
	}
}

func TestTheLockedRecordRouteAdmitsOnlySignedRequests(t *testing.T) {
	sys := final(t)
	st := state(t, sys)
	obs := observe(t, sys)

	newRide := func(id string) string {
		b, _ := json.Marshal(ride.NewRide(id, ride.Unicorn{Name: "Bucephalus", Color: "Golden"},
			time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), ride.Location{Latitude: 3, Longitude: 4}))
		return string(b)
	}
	request := func(body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, st.RecordApiUrl+"/record", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	for _, tc := range []struct {
		name, id string
		send     func(body string) response
	}{
		{"an unsigned request", "0a4d3c60-8f0b-4f57-9a0e-3c1f1b2a0001", func(body string) response {
			return post(t, st.RecordApiUrl+"/record", body)
		}},
		{"a forged signature (the right key, a wrong secret)", "0a4d3c60-8f0b-4f57-9a0e-3c1f1b2a0002", func(body string) response {
			req := request(body)
			signAs(t, req, body, "local", "guessed", st.Region, time.Now())
			return do(t, req)
		}},
		{"a signed request whose body was changed on the way", "0a4d3c60-8f0b-4f57-9a0e-3c1f1b2a0003", func(body string) response {
			req := request(body)
			signRecordRequest(t, req, []byte(newRide("0a4d3c60-8f0b-4f57-9a0e-3c1f1b2a00ff")), st.Region)
			return do(t, req)
		}},
		{"a replayed request, signed ten minutes ago", "0a4d3c60-8f0b-4f57-9a0e-3c1f1b2a0004", func(body string) response {
			req := request(body)
			signAs(t, req, body, "local", "local", st.Region, time.Now().Add(-10*time.Minute))
			return do(t, req)
		}},
		{"a request signed by a principal without execute-api:Invoke", "0a4d3c60-8f0b-4f57-9a0e-3c1f1b2a0005", func(body string) response {
			req := request(body)
			signAs(t, req, body, "AKIAOTHERPRINCIPAL00", "its-own-secret", st.Region, time.Now())
			return do(t, req)
		}},
	} {
		t.Run(tc.name+" gets 403 and stores nothing", func(t *testing.T) {
			resp := tc.send(newRide(tc.id))
			if resp.status != http.StatusForbidden || string(resp.body) != `{"message":"Forbidden"}` ||
				resp.header.Get("Content-Type") != "application/json" || resp.header.Get("Apigw-Requestid") == "" {
				t.Errorf("POST /record = %d %s (headers %v), want API Gateway's 403 {\"message\":\"Forbidden\"}", resp.status, resp.body, resp.header)
			}
			for _, s := range obs.rides(t) {
				if s.RideID == tc.id {
					t.Errorf("the refused ride %s was stored", tc.id)
				}
			}
		})
	}

	t.Run("a request signed with the local system's credentials is stored", func(t *testing.T) {
		id := "0a4d3c60-8f0b-4f57-9a0e-3c1f1b2a0006"
		if resp := postSigned(t, st, newRide(id)); resp.status != http.StatusCreated {
			t.Fatalf("signed POST /record = %d %s, want 201", resp.status, resp.body)
		}
		n := 0
		for _, s := range obs.rides(t) {
			if s.RideID == id {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d items for the signed ride, want 1", n)
		}
	})

	t.Run("POST /ride stays public", func(t *testing.T) {
		if resp := post(t, st.ApiUrl+"/ride", rideBody); resp.status != http.StatusCreated {
			t.Errorf("unsigned POST /ride = %d %s, want 201", resp.status, resp.body)
		}
	})
}
