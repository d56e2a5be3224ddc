package local_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
)

// send is one request to the system: method, URL, Host (""; the URL's), headers, body; it
// returns the status, the body and the headers.
func send(t *testing.T, method, url, host string, header map[string]string, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// A web page of another site reaches 127.0.0.1 too: every listener of the local system refuses
// a request to a Host that is not loopback (DNS rebinding), and a request from another origin
// (an Origin header, or a browser's Sec-Fetch-Site) unless, for an HTTP API, the CORS its
// template declares allows it.
func TestEveryListenerAnswersOnlyItsOwnPages(t *testing.T) {
	sys := final(t)
	listeners := sys.Listeners()
	if len(listeners) < 11 {
		t.Fatalf("only %d listeners: %v", len(listeners), listeners)
	}
	for _, name := range slices.Sorted(maps.Keys(listeners)) {
		url := listeners[name]
		api := strings.Contains(name, "API")
		t.Run(name, func(t *testing.T) {
			if status, body, _ := send(t, "GET", url+"/", "evil.example", nil, ""); status != http.StatusForbidden {
				t.Errorf("a request to Host evil.example (DNS rebinding) = %d %.100s, want 403", status, body)
			}
			if status, body, _ := send(t, "GET", url+"/", "rebind.example:80", nil, ""); status != http.StatusForbidden {
				t.Errorf("a request to Host rebind.example:80 = %d %.100s, want 403", status, body)
			}
			crossSite := map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}
			status, body, header := send(t, "POST", url+"/", "", crossSite, "Action=DeleteTopic")
			switch {
			case api && (status == http.StatusForbidden || header.Get("Access-Control-Allow-Origin") != "*"):
				t.Errorf("a cross-origin POST to an API whose template allows any origin = %d %.100s (CORS %q), want the API's answer with its CORS",
					status, body, header.Get("Access-Control-Allow-Origin"))
			case !api && status != http.StatusForbidden:
				t.Errorf("a cross-origin text/plain POST (no preflight needed) = %d %.100s, want 403", status, body)
			}
			if api {
				return
			}
			if status, body, _ := send(t, "GET", url+"/?Action=DeleteTopic", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, ""); status != http.StatusForbidden {
				t.Errorf("a cross-site GET without an Origin (an image's) = %d %.100s, want 403", status, body)
			}
			if status, body, _ := send(t, "OPTIONS", url+"/", "", map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, ""); status != http.StatusForbidden {
				t.Errorf("a CORS preflight from another origin = %d %.100s, want 403", status, body)
			}
			u, _ := neturl.Parse(url)
			if status, body, _ := send(t, "POST", url+"/", "localhost:"+u.Port(), nil, ""); strings.Contains(body, "the local system answers") {
				t.Errorf("a request from this machine, to localhost = %d %.100s: refused by the checks", status, body)
			}
		})
	}
}

func TestTheAdminEndpointsTakeTheRunsTokenAndJSONAndDeployOnlyASynthesizedTemplate(t *testing.T) {
	sys := final(t)
	st := state(t, sys)
	fault := st.Admin + "/faults/table"
	body := `{"unavailableFor":"30s"}`
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"no token", map[string]string{"Content-Type": "application/json"}, http.StatusUnauthorized},
		{"another token", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer 0123"}, http.StatusUnauthorized},
		{"the token with a text/plain body, as a page sends without a preflight", map[string]string{"Content-Type": "text/plain", "Authorization": "Bearer " + st.AdminToken}, http.StatusUnsupportedMediaType},
	} {
		if status, b, _ := send(t, "POST", fault, "", tc.header, body); status != tc.status {
			t.Errorf("%s: POST /_local/faults/table = %d %s, want %d", tc.name, status, b, tc.status)
		}
		if until, _ := sys.TableFault(); !until.IsZero() {
			t.Errorf("%s: the fault is on", tc.name)
			sys.SetTableUnavailable(0)
		}
	}
	if status, _, header := send(t, "OPTIONS", fault, "", map[string]string{"Access-Control-Request-Method": "POST"}, ""); status < 400 || header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a preflight to the admin surface = %d (CORS %q), want it refused", status, header.Get("Access-Control-Allow-Origin"))
	}

	deploy := func(name, file string) (int, string) {
		b, _ := json.Marshal(admin.DeployRequest{StackName: name, TemplateFile: file})
		req, _ := http.NewRequest(http.MethodPost, st.Admin+"/deploy", bytes.NewReader(b))
		admin.Authorize(req, st.AdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(msg)
	}
	stack, err := env.Steps.Stack(design.RideRecord, design.FinalStep)
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(t.TempDir(), filepath.Base(stack.TemplateFile))
	if b, err := os.ReadFile(stack.TemplateFile); err != nil || os.WriteFile(copied, b, 0o644) != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, file string }{
		{"any file", "/etc/passwd"},
		{"a copy of a template outside any assembly", copied},
		{"another stack's template", strings.Replace(stack.TemplateFile, "wild-rydes-ride-record-test", "wild-rydes-test", 1)},
	} {
		if status, msg := deploy(stack.Name, tc.file); status != http.StatusBadRequest {
			t.Errorf("deploying %s: %d %s, want 400", tc.name, status, msg)
		}
	}
	if status, msg := deploy(stack.Name, stack.TemplateFile); status != http.StatusNoContent {
		t.Errorf("deploying the assembly's own template of the stack (deployed already: nothing to do) = %d %s, want 204", status, msg)
	}
}
