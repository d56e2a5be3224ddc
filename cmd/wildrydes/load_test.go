package main

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/ride"
	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/load/loadtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// The exit statuses of wildrydes load.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

const table = "wild-rydes-ride-record-dev-RideRecordTable-ABC123"

func runLoad(t *testing.T, tbl load.Table, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	s := streams{Out: &out, Err: &errs}
	c, _ := lookup(commands(), "load")
	o, code, ok := c.parse(args, s)
	if ok {
		o.(*loadOptions).Table = tbl
		code = o.run(context.Background())
	}
	return code, out.String(), errs.String()
}

func TestRideCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// args beyond --url, --table, the rate and the duration
		args       []string
		withPickup bool
		status     func(n int) int
		table      func(sys *loadtest.API) *loadtest.Table
		wantCode   int
		// want lists what the report must say; the ride IDs come from the fake system.
		want func(sys *loadtest.API) []string
	}{{
		name:     "every accepted ride stored exits 0",
		table:    func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: table} },
		wantCode: exitOK,
		want: func(*loadtest.API) []string {
			return []string{"Scenarios launched:  20\n", "Codes:\n    201: 20\n", "stored in " + table + ": 20\n",
				"OK: all 20 accepted rides are stored as accepted."}
		},
	}, {
		name:       "every ride stored exits 0 when the response carries the pickup location",
		withPickup: true,
		table:      func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: table} },
		wantCode:   exitOK,
		want:       func(*loadtest.API) []string { return []string{"OK: all 20"} },
	}, {
		name: "a dropped ride exits 1 naming it",
		args: []string{"--settle", "300ms"},
		table: func(sys *loadtest.API) *loadtest.Table {
			victim := sys.Ride(7).RideID
			return &loadtest.Table{API: sys, Name: table, Drop: func(id string) bool { return id == victim }}
		},
		wantCode: exitFailed,
		want: func(sys *loadtest.API) []string {
			return []string{"missing: 1\n", "1 of 20 accepted rides are not in the table: " + sys.Ride(7).RideID}
		},
	}, {
		name: "a ride stored with another unicorn is a mismatch",
		table: func(sys *loadtest.API) *loadtest.Table {
			victim := sys.Ride(3)
			return &loadtest.Table{API: sys, Name: table, Alter: func(item map[string]types.AttributeValue) {
				if item["RideId"].(*types.AttributeValueMemberS).Value == victim.RideID {
					u := item["Unicorn"].(*types.AttributeValueMemberM).Value
					u["Name"] = &types.AttributeValueMemberS{Value: "Pegasus"}
				}
			}}
		},
		wantCode: exitFailed,
		want: func(sys *loadtest.API) []string {
			return []string{"mismatched: 1\n", "ride " + sys.Ride(3).RideID + ` is stored differently: Unicorn.Name is "Pegasus" in the table, "` +
				sys.Ride(3).Unicorn.Name + `" in the response`}
		},
	}, {
		name: "a ride stored with another pickup location is a mismatch",
		table: func(sys *loadtest.API) *loadtest.Table {
			victim := sys.Ride(0)
			return &loadtest.Table{API: sys, Name: table, Alter: func(item map[string]types.AttributeValue) {
				if item["RideId"].(*types.AttributeValueMemberS).Value == victim.RideID {
					l := item["PickupLocation"].(*types.AttributeValueMemberM).Value
					l["Latitude"] = &types.AttributeValueMemberN{Value: "0"}
				}
			}}
		},
		wantCode: exitFailed,
		want: func(sys *loadtest.API) []string {
			return []string{"PickupLocation is (0, -71.0529) in the table, (42.3525, -71.0529) in the response"}
		},
	}, {
		name: "an unreadable stored item is a mismatch, not a crash",
		table: func(sys *loadtest.API) *loadtest.Table {
			victim := sys.Ride(1)
			return &loadtest.Table{API: sys, Name: table, Alter: func(item map[string]types.AttributeValue) {
				if item["RideId"].(*types.AttributeValueMemberS).Value == victim.RideID {
					item["Unicorn"] = &types.AttributeValueMemberS{Value: "Bucephalus"}
				}
			}}
		},
		wantCode: exitFailed,
		want: func(sys *loadtest.API) []string {
			return []string{sys.Ride(1).RideID + " is stored differently: the stored item cannot be read (ride item: Unicorn "}
		},
	}, {
		name: "unprocessed keys are asked for again",
		table: func(sys *loadtest.API) *loadtest.Table {
			return &loadtest.Table{API: sys, Name: table, Unprocessed: 3}
		},
		wantCode: exitOK,
		want:     func(*loadtest.API) []string { return []string{"stored in " + table + ": 20\n"} },
	}, {
		name: "rides stored after the load ends are found by polling",
		table: func(sys *loadtest.API) *loadtest.Table {
			return &loadtest.Table{API: sys, Name: table, Invisible: 2}
		},
		wantCode: exitOK,
		want:     func(*loadtest.API) []string { return []string{"OK: all 20"} },
	}, {
		name:     "502s are counted per code and only the 201 rides are checked",
		status:   loadtest.Every(4, http.StatusBadGateway),
		table:    func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: table} },
		wantCode: exitOK,
		want: func(*loadtest.API) []string {
			return []string{"Codes:\n    201: 15\n    502: 5\n", "accepted (201): 15\n", "stored in " + table + ": 15\n"}
		},
	}, {
		name:     "502s cross --max-errors 0",
		args:     []string{"--max-errors", "0"},
		status:   loadtest.Every(4, http.StatusBadGateway),
		table:    func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: table} },
		wantCode: exitFailed,
		want: func(*loadtest.API) []string {
			return []string{"5 requests not answered 201, more than the 0 allowed"}
		},
	}, {
		name:     "502s within --max-errors pass",
		args:     []string{"--max-errors", "5", "--min-success-ratio", "0.75"},
		status:   loadtest.Every(4, http.StatusBadGateway),
		table:    func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: table} },
		wantCode: exitOK,
	}, {
		name:     "502s cross --min-success-ratio",
		args:     []string{"--min-success-ratio", "0.9"},
		status:   loadtest.Every(4, http.StatusBadGateway),
		table:    func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: table} },
		wantCode: exitFailed,
		want: func(*loadtest.API) []string {
			return []string{"0.750 of requests answered 201, under the 0.900 required"}
		},
	}, {
		name:     "a p99 over --max-p99 fails",
		args:     []string{"--max-p99", "1ns"},
		table:    func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: table} },
		wantCode: exitFailed,
		want:     func(*loadtest.API) []string { return []string{"p99 latency", "is over 1ns"} },
	}, {
		name:     "--no-check does not read the table",
		args:     []string{"--no-check"},
		table:    func(sys *loadtest.API) *loadtest.Table { return &loadtest.Table{API: sys, Name: "not this one"} },
		wantCode: exitOK,
		want:     func(*loadtest.API) []string { return []string{"not checked against the table"} },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sys := &loadtest.API{Status: tt.status, WithPickup: tt.withPickup}
			url := sys.Start(t)
			lazy := &lazyTable{make: func() *loadtest.Table { return tt.table(sys) }}
			args := append([]string{"--url", url, "--table", table, "--rate", "40", "--duration", "0.5s"}, tt.args...)
			code, stdout, stderr := runLoad(t, lazy, args...)
			if code != tt.wantCode {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			if tt.want != nil {
				for _, w := range tt.want(sys) {
					if !strings.Contains(stdout, w) {
						t.Errorf("the report does not say %q:\n%s", w, stdout)
					}
				}
			}
			if ft := lazy.table; ft != nil {
				for _, n := range ft.BatchSizes() {
					if n > 100 { // BatchGetItem takes 100 keys at most
						t.Errorf("asked for %d keys in one BatchGetItem", n)
					}
				}
				if ft.Unprocessed > 0 && ft.Calls() <= ft.Unprocessed {
					t.Errorf("BatchGetItem called %d times; the unprocessed keys were not asked for again", ft.Calls())
				}
			}
		})
	}
}

// lazyTable makes its table on the first call, once the load has ended and the rides exist.
type lazyTable struct {
	make  func() *loadtest.Table
	once  sync.Once
	table *loadtest.Table
}

func (l *lazyTable) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	l.once.Do(func() { l.table = l.make() })
	return l.table.BatchGetItem(ctx, in, opts...)
}

func TestConnectionRefusedIsCountedUnderItsOwnLabel(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	code, stdout, stderr := runLoad(t, nil, "--url", closed, "--no-check", "--rate", "20", "--duration", "0.5")
	if code != exitOK {
		t.Fatalf("exit status %d with no threshold set, want 0\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Errors:\n    ECONNREFUSED: 10\n") || !strings.Contains(stdout, "Requests completed:  0\n") {
		t.Errorf("the report does not count 10 refused connections:\n%s", stdout)
	}
	code, stdout, _ = runLoad(t, nil, "--url", closed, "--no-check", "--rate", "20", "--duration", "0.5", "--max-errors", "0")
	if code != exitFailed || !strings.Contains(stdout, "10 requests not answered 201") {
		t.Errorf("exit status %d with --max-errors 0 and every connection refused, want 1:\n%s", code, stdout)
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	t.Parallel()
	missingState := filepath.Join(t.TempDir(), "state.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown flag", []string{"--url", "http://127.0.0.1:1", "--rps", "3"}, "flag provided but not defined: -rps"},
		{"a zero rate", []string{"--url", "http://127.0.0.1:1", "--no-check", "--rate", "0"}, "rate must be a positive number"},
		{"a negative rate", []string{"--url", "http://127.0.0.1:1", "--no-check", "--rate", "-1"}, "rate must be a positive number"},
		{"a duration that is not one", []string{"--url", "http://127.0.0.1:1", "--duration", "soon"}, "want a duration such as 90s"},
		{"a zero duration", []string{"--url", "http://127.0.0.1:1", "--no-check", "--duration", "0"}, "duration must be positive"},
		{"a rate and duration that send nothing", []string{"--url", "http://127.0.0.1:1", "--no-check", "--rate", "0.1", "--duration", "1s"}, "sends no request"},
		{"a zero timeout", []string{"--url", "http://127.0.0.1:1", "--timeout", "0"}, "--timeout must be positive"},
		{"zero workers", []string{"--url", "http://127.0.0.1:1", "--workers", "0"}, "--workers must be at least 1"},
		{"a negative error budget", []string{"--url", "http://127.0.0.1:1", "--max-errors", "-2"}, "want a count, 0 or more"},
		{"a success ratio over 1", []string{"--url", "http://127.0.0.1:1", "--no-check", "--min-success-ratio", "1.5"}, "between 0 and 1"},
		{"a zero settle", []string{"--url", "http://127.0.0.1:1", "--table", "t", "--settle", "0"}, "use --no-check"},
		{"a URL that is not http", []string{"--url", "ftp://127.0.0.1/", "--no-check"}, `"ftp://127.0.0.1/" is not an http(s) URL`},
		{"an argument", []string{"--url", "http://127.0.0.1:1", "--no-check", "high"}, `unexpected argument "high"`},
		{"no URL and no local state", []string{"--state", missingState}, "start `wildrydes local`"},
		{"no table and no local state", []string{"--state", missingState, "--url", "http://127.0.0.1:1"}, "pass --table"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runLoad(t, nil, tt.args...)
		if code != exitUsage {
			t.Errorf("%s: exit status %d, want 2\n%s%s", tt.name, code, stdout, stderr)
		}
		if !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: stderr does not say %q:\n%s", tt.name, tt.want, stderr)
		}
	}
}

func TestHighIsTheOriginalHighLoadRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		rate     float64
		duration time.Duration
	}{
		{nil, 1, 60 * time.Second},
		{[]string{"--high"}, 10, 180 * time.Second},
		{[]string{"--rate", "5", "--high"}, 5, 180 * time.Second},
		{[]string{"--high", "--duration", "90"}, 10, 90 * time.Second},
		{[]string{"--duration", "1m30s"}, 1, 90 * time.Second},
	}
	for _, tt := range tests {
		o := parseAs[*loadOptions](t, append([]string{"load", "--url", "http://127.0.0.1:1", "--no-check"}, tt.args...)...)
		if o.Rate != tt.rate || o.Duration != tt.duration {
			t.Errorf("%v: %v/s for %v, want %v/s for %v", tt.args, o.Rate, o.Duration, tt.rate, tt.duration)
		}
		if o.Timeout != 30*time.Second || o.Settle != 30*time.Second {
			t.Errorf("%v: timeout %v and settle %v, want Artillery's 30s and 30s", tt.args, o.Timeout, o.Settle)
		}
	}
}

func writeState(t *testing.T, st map[string]any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cdk.out", "local", "state.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(st)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStateFileGivesWhatFlagsLeaveOut(t *testing.T) {
	t.Parallel()
	sys := &loadtest.API{}
	url := sys.Start(t)
	state := writeState(t, map[string]any{
		"ApiUrl": url, "RecordApiUrl": "http://127.0.0.1:9/record", "Endpoint": "http://127.0.0.1:5000",
		"Region": "eu-west-1", "RideTable": "local-rides",
	})

	t.Run("a run with no flags but the state file loads the local system and checks its table", func(t *testing.T) {
		ft := &loadtest.Table{API: sys, Name: "local-rides"}
		code, stdout, stderr := runLoad(t, ft, "--state", state, "--rate", "20", "--duration", "0.5")
		if code != exitOK || !strings.Contains(stdout, "stored in local-rides: 10\n") {
			t.Fatalf("exit status %d, want 0 and 10 rides found in local-rides\n%s%s", code, stdout, stderr)
		}
	})

	tests := []struct {
		name                         string
		args                         []string
		url, table, endpoint, region string
	}{
		{"everything from the state file", nil, url, "local-rides", "http://127.0.0.1:5000", "eu-west-1"},
		{"flags win over the state file", []string{"--table", "t", "--endpoint", "http://127.0.0.1:8000", "--region", "us-east-1"},
			url, "t", "http://127.0.0.1:8000", "us-east-1"},
		{"the state's URL given by flag still uses its emulator", []string{"--url", url + "/"}, url + "/", "local-rides", "http://127.0.0.1:5000", "eu-west-1"},
		{"another URL does not use the local emulator", []string{"--url", "https://abc.execute-api.us-east-1.amazonaws.com", "--table", "t"},
			"https://abc.execute-api.us-east-1.amazonaws.com", "t", "", ""},
	}
	for _, tt := range tests {
		o := parseAs[*loadOptions](t, append([]string{"load", "--state", state}, tt.args...)...)
		if o.URL != tt.url || o.TableName != tt.table || o.Endpoint != tt.endpoint || o.Region != tt.region {
			t.Errorf("%s: url %q table %q endpoint %q region %q, want %q %q %q %q",
				tt.name, o.URL, o.TableName, o.Endpoint, o.Region, tt.url, tt.table, tt.endpoint, tt.region)
		}
	}

	broken := writeState(t, map[string]any{"Tables": map[string]string{}})
	code, _, stderr := runLoad(t, nil, "--state", broken)
	if code != exitUsage || !strings.Contains(stderr, "has no ApiUrl") {
		t.Errorf("a state file without ApiUrl: exit status %d, stderr %q", code, stderr)
	}
}

func TestJSONResultCarriesTheFigures(t *testing.T) {
	t.Parallel()
	sys := &loadtest.API{Status: loadtest.Every(5, http.StatusGatewayTimeout)}
	url := sys.Start(t)
	ft := &loadtest.Table{API: sys, Name: table}
	code, stdout, stderr := runLoad(t, ft, "--url", url, "--table", table, "--rate", "20", "--duration", "1", "--json")
	if code != exitOK {
		t.Fatalf("exit status %d\n%s%s", code, stdout, stderr)
	}
	var got struct {
		Sent, Completed, RidesAccepted, RidesFound int
		Codes                                      map[string]int
		Latency                                    struct{ MinMs, MedianMs, P95Ms, P99Ms, MaxMs float64 }
		Rides                                      []ride.Ride
		Missing                                    []string
		Checked                                    bool
		DurationSeconds                            float64
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if got.Sent != 20 || got.Codes["201"] != 16 || got.Codes["504"] != 4 || got.RidesAccepted != 16 ||
		got.RidesFound != 16 || len(got.Rides) != 16 || !got.Checked || got.DurationSeconds != 1 {
		t.Errorf("unexpected figures: %+v", got)
	}
	if got.Latency.MaxMs <= 0 || got.Latency.MinMs > got.Latency.MedianMs || got.Latency.P99Ms > got.Latency.MaxMs {
		t.Errorf("latencies in ms out of order: %+v", got.Latency)
	}
}

func TestATableErrorFailsTheRun(t *testing.T) {
	t.Parallel()
	sys := &loadtest.API{}
	url := sys.Start(t)
	code, stdout, stderr := runLoad(t, &loadtest.Table{API: sys, Name: "other"}, "--url", url, "--table", table, "--rate", "10", "--duration", "0.3")
	if code != exitFailed || !strings.Contains(stderr, "reading rides from table "+table+": ResourceNotFoundException") {
		t.Errorf("exit status %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "Codes:\n    201: 3\n") {
		t.Errorf("the load report is missing when the check fails:\n%s", stdout)
	}
}

// The real client, pointed by --endpoint at a loopback stand-in for the emulator: the endpoint,
// the region and the credentials an emulator takes reach the wire.
func TestTheDynamoDBClientUsesTheEndpoint(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	sys := &loadtest.API{}
	url := sys.Start(t)
	ft := &loadtest.Table{API: sys, Name: table}
	var auth []string
	var mu sync.Mutex
	emulator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.BatchGetItem" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		var in struct {
			RequestItems map[string]struct {
				Keys           []map[string]struct{ S string }
				ConsistentRead bool
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := in.RequestItems[table]
		keys := make([]map[string]types.AttributeValue, len(req.Keys))
		for i, k := range req.Keys {
			keys[i] = map[string]types.AttributeValue{"RideId": &types.AttributeValueMemberS{Value: k["RideId"].S}}
		}
		out, _ := ft.BatchGetItem(r.Context(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			table: {Keys: keys},
		}})
		items := []map[string]any{}
		for _, it := range out.Responses[table] {
			rd, _ := riderecord.RideFromItem(it)
			items = append(items, map[string]any{
				"RideId": map[string]string{"S": rd.RideID}, "RequestTime": map[string]string{"S": rd.RequestTime},
				"Unicorn": map[string]any{"M": map[string]any{
					"Name": map[string]string{"S": rd.Unicorn.Name}, "Color": map[string]string{"S": rd.Unicorn.Color}}},
				"PickupLocation": map[string]any{"M": map[string]any{
					"Latitude": map[string]string{"N": "42.3525"}, "Longitude": map[string]string{"N": "-71.0529"}}},
			})
		}
		body, _ := json.Marshal(map[string]any{"Responses": map[string]any{table: items}, "UnprocessedKeys": map[string]any{}})
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
		w.Write(body)
	}))
	defer emulator.Close()

	code, stdout, stderr := runLoad(t, nil, "--url", url, "--table", table, "--endpoint", emulator.URL,
		"--region", "us-east-1", "--rate", "20", "--duration", "0.5")
	if code != exitOK || !strings.Contains(stdout, "stored in "+table+": 10\n") {
		t.Fatalf("exit status %d\n%s%s", code, stdout, stderr)
	}
	if len(auth) == 0 || !strings.Contains(auth[0], "Credential="+localstate.AccessKeyID+"/") || !strings.Contains(auth[0], "/us-east-1/dynamodb/") {
		t.Errorf("requests were signed %q, want the local key in us-east-1", auth)
	}
}
