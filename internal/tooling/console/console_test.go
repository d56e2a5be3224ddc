package console

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local"
)

func TestTheRidersPageAloneServesItsFilesOnLoopbackOnly(t *testing.T) {
	srv := console(t, Config{APIURL: "https://api.example/prod"})
	for _, tc := range []struct {
		name, method, path, host, remote, origin string
		status                                   int
		body                                     string
	}{
		{"the page", "GET", "/", "127.0.0.1:4000", "127.0.0.1:5000", "", 200, "Request Unicorn"},
		{"its script", "GET", "/app.js", "localhost:4000", "[::1]:5000", "", 200, "on their way"},
		{"the config names the API and no system", "GET", "/api/config", "127.0.0.1:4000", "127.0.0.1:5000", "", 200, `"System":false`},
		{"no event stream without the local system", "GET", "/api/events", "127.0.0.1:4000", "127.0.0.1:5000", "", 404, ""},
		{"a caller from another machine", "GET", "/", "127.0.0.1:4000", "192.0.2.1:5000", "", 403, "loopback"},
		{"a page that named another host (DNS rebinding)", "GET", "/", "evil.example:4000", "127.0.0.1:5000", "", 403, "loopback"},
		{"an admin call from another site's page", "POST", "/api/fault", "127.0.0.1:4000", "127.0.0.1:5000", "http://evil.example", 403, "own page"},
		{"a link to the console followed from another site", "GET", "/", "127.0.0.1:4000", "127.0.0.1:5000", "navigate", 200, "Request Unicorn"},
		{"the config read by another site's script", "GET", "/api/config", "127.0.0.1:4000", "127.0.0.1:5000", "cross-site", 403, "own page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{"seconds":1}`))
			r.Host, r.RemoteAddr = tc.host, tc.remote
			switch tc.origin {
			case "":
			case "navigate": // a top-level navigation from another site: no Origin
				r.Header.Set("Sec-Fetch-Site", "cross-site")
				r.Header.Set("Sec-Fetch-Mode", "navigate")
				r.Header.Set("Sec-Fetch-Dest", "document")
			case "cross-site": // a fetch from another site's script
				r.Header.Set("Sec-Fetch-Site", "cross-site")
				r.Header.Set("Sec-Fetch-Mode", "cors")
			default:
				r.Header.Set("Origin", tc.origin)
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) || w.Header().Get("Content-Security-Policy") == "" && w.Code == 200 {
				t.Errorf("%s %s = %d %q, want %d containing %q", tc.method, tc.path, w.Code, truncate(w.Body.String()), tc.status, tc.body)
			}
		})
	}
}

func truncate(s string) string { return s[:min(len(s), 200)] }

func TestTheConsoleOfALocalSystem(t *testing.T) {
	sys := system(t)
	srv, err := New(Config{System: sys, Assembly: final})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	st, err := sys.State()
	if err != nil {
		t.Fatal(err)
	}
	api := st.ApiUrl

	t.Run("the event stream starts with the topology and a snapshot, and a page that leaves is removed", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", url+"api/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		events := readEvents(resp.Body)
		var top Topology
		if ev := <-events; ev.name != "topology" || json.Unmarshal([]byte(ev.data), &top) != nil || len(top.byKind("route")) == 0 {
			t.Fatalf("first event %q %.200s, want the topology with its routes", ev.name, ev.data)
		}
		if ev := <-events; ev.name != "snapshot" {
			t.Fatalf("second event %q, want a snapshot", ev.name)
		}
		if n := srv.hub.count(); n != 1 {
			t.Errorf("%d pages connected, want 1", n)
		}
		cancel()
		resp.Body.Close()
		waitFor(t, 2*time.Second, "the page that disconnected is still in the hub", func() bool { return srv.hub.count() == 0 })
	})

	t.Run("a requested ride's trace ends in the table and its figures are pushed", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", url+"api/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		events := readEvents(resp.Body)
		rideID := postRide(t, api)
		var snap Snapshot
		waitForEvent(t, events, 5*time.Second, "no snapshot with the stored ride", func(ev sse) bool {
			if ev.name != "snapshot" || json.Unmarshal([]byte(ev.data), &snap) != nil {
				return false
			}
			return len(snap.Recent) > 0 && snap.Recent[0].RideID == rideID && snap.Recent[0].Ended == "table"
		})
		var tr Trace
		get(t, url+"api/trace/"+rideID, 200, &tr)
		var what []string
		for _, s := range tr.Steps {
			what = append(what, s.What+" "+s.Detail)
		}
		if len(tr.Steps) != 3 || !strings.HasPrefix(what[0], "POST /ride → RequestRide 201") || !strings.HasPrefix(what[1], "publish to ") ||
			!strings.HasSuffix(what[2], "attempt 1 delivered") {
			t.Errorf("trace %q, want the route, the publish and one delivered attempt", what)
		}
		routes := 0
		for id, f := range snap.Figures {
			if n, _ := top(srv).node(id); n.Kind == "route" {
				routes += f.Status["201"]
			}
		}
		if routes < 1 {
			t.Errorf("no route counted a 201: %+v", snap.Figures)
		}
	})

	t.Run("the snapshot shows the ride table's throughput by its logical ID", func(t *testing.T) {
		lim := srv.snapshot().Limits
		table, ok := lim.Tables[st.RideTable]
		if !ok || lim.Names[st.RideTable] != "RideRecordTable" || !table.Throughput.OnDemand || table.WriteUnitsMax != 4000 {
			t.Errorf("limits %+v: want RideRecordTable, on-demand with 4,000 writes a second", lim)
		}
		if n := lim.ThrottledWrites[st.RideTable]; n != 0 {
			t.Errorf("%v throttled writes a second on an on-demand table under one ride", n)
		}
	})

	t.Run("an unknown ride has no trace", func(t *testing.T) {
		get(t, url+"api/trace/nope", 404, nil)
	})

	t.Run("a control without the page's token, or without a JSON body, is refused and changes nothing", func(t *testing.T) {
		var config struct{ Token string }
		get(t, url+"api/config", 200, &config)
		if config.Token != sys.AdminToken() || config.Token == "" {
			t.Errorf("the page's config carries token %q, want the system's", config.Token)
		}
		for _, tc := range []struct{ auth, contentType string }{
			{"", "application/json"}, {"Bearer wrong", "application/json"}, {"Bearer " + sys.AdminToken(), "text/plain"},
		} {
			req, _ := http.NewRequest(http.MethodPost, url+"api/fault", strings.NewReader(`{"seconds":30}`))
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Authorization", tc.auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("POST /api/fault with %q, %s = %s, want it refused", tc.auth, tc.contentType, resp.Status)
			}
			if until, _ := sys.TableFault(); !until.IsZero() {
				t.Errorf("POST /api/fault with %q, %s turned the fault on", tc.auth, tc.contentType)
				sys.SetTableUnavailable(0)
			}
		}
	})

	t.Run("the table fault turns on for the seconds asked and off again", func(t *testing.T) {
		post(t, sys, url+"api/fault", `{"seconds":30}`, 204)
		if until, _ := sys.TableFault(); time.Until(until) < 25*time.Second {
			t.Errorf("the fault ends at %v, want in 30 s", until)
		}
		post(t, sys, url+"api/fault", `{"seconds":0}`, 204)
		if until, _ := sys.TableFault(); !until.IsZero() {
			t.Errorf("the fault still ends at %v after turning it off", until)
		}
		post(t, sys, url+"api/fault", `{"seconds":-1}`, 400)
		post(t, sys, url+"api/fault", `{"seconds":100000}`, 400)
	})

	t.Run("a burst is bounded, runs alone, and its rides are accepted", func(t *testing.T) {
		post(t, sys, url+"api/burst", `{"rate":1000,"seconds":5}`, 400)
		post(t, sys, url+"api/burst", `{"rate":5,"seconds":600}`, 400)
		post(t, sys, url+"api/burst", `{"rate":4,"seconds":1}`, 202)
		post(t, sys, url+"api/burst", `{"rate":4,"seconds":1}`, 409)
		waitFor(t, 10*time.Second, "the burst did not finish", func() bool { return !srv.snapshot().Burst.Running })
		if b := srv.snapshot().Burst; b.Sent < 3 || b.Accepted != b.Sent {
			t.Errorf("burst %+v: want about 4 rides sent, all accepted", b)
		}
	})

	t.Run("the dead-letter queue lists empty, and deploying is not offered without a rollout", func(t *testing.T) {
		var letters []json.RawMessage
		get(t, url+"api/dlq", 200, &letters)
		if len(letters) != 0 {
			t.Errorf("%d dead letters, want none", len(letters))
		}
		post(t, sys, url+"api/deploy", `{}`, 501)
	})
}

func top(s *Server) Topology { return s.topology() }

type sse struct{ name, data string }

func readEvents(r io.Reader) <-chan sse {
	ch := make(chan sse, 256)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			case line == "" && ev.name != "":
				ch <- ev
				ev = sse{}
			}
		}
	}()
	return ch
}

func waitForEvent(t *testing.T, events <-chan sse, d time.Duration, what string, match func(sse) bool) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended: %s", what)
			}
			if match(ev) {
				return
			}
		case <-timeout:
			t.Fatalf("after %s: %s", d, what)
		}
	}
}

func postRide(t *testing.T, api string) string {
	t.Helper()
	resp, err := http.Post(api+"/ride", "application/json", strings.NewReader(`{"PickupLocation":{"Latitude":42.3525,"Longitude":-71.0529}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ RideId string }
	if resp.StatusCode != 201 || json.NewDecoder(resp.Body).Decode(&r) != nil {
		t.Fatalf("POST /ride = %d", resp.StatusCode)
	}
	return r.RideId
}

func get(t *testing.T, url string, status int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s = %d %s, want %d", url, resp.StatusCode, body, status)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
}

// post is a control of the console's page: with the system's token.
func post(t *testing.T, sys *local.System, url, body string, status int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+sys.AdminToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("POST %s %s = %d %s, want %d", url, body, resp.StatusCode, b, status)
	}
}
