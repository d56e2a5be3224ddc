package localtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A test binary takes only a moto_server URL on this machine for an answer; anything else is an
// error that says what it got, and the test binary then starts its own.
func TestAskMotoTakesOnlyALoopbackURL(t *testing.T) {
	for _, c := range []struct {
		what, body string
		status     int
		want       string // the URL, or what the error says
	}{
		{"the URL", "http://127.0.0.1:4567", http.StatusOK, "http://127.0.0.1:4567"},
		{"why moto_server could not start", "moto_server exited while starting\n", http.StatusServiceUnavailable, "did not start: moto_server exited while starting"},
		{"moto's own answer (the variable names moto itself)", "<ErrorResponse/>", http.StatusOK, "not the URL of a moto_server on this machine"},
		{"another machine", "http://10.0.0.1:4567", http.StatusOK, "not the URL of a moto_server on this machine"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			w.Write([]byte(c.body))
		}))
		got, err := AskMoto(srv.URL)
		srv.Close()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) || (err == nil) != (c.status == http.StatusOK && strings.HasPrefix(c.want, "http")) {
			t.Errorf("%s: AskMoto = %q, %v; want %q", c.what, got, err, c.want)
		}
	}
}
