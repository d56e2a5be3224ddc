package loopback

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheckAnswersLoopbackHostsAndTheListenersOwnPagesOnly(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, tc := range []struct {
		name, host string
		header     map[string]string
		// The status with Check, with CheckHost and with CheckPage.
		checked, cors, page int
	}{
		{"a command on this machine", "127.0.0.1:4010", nil, 204, 204, 204},
		{"localhost", "localhost:4010", nil, 204, 204, 204},
		{"IPv6 loopback", "[::1]:4010", nil, 204, 204, 204},
		{"the listener's own page", "127.0.0.1:4000", map[string]string{"Origin": "http://127.0.0.1:4000", "Sec-Fetch-Site": "same-origin"}, 204, 204, 204},
		{"a bookmark or a typed URL", "127.0.0.1:4000", map[string]string{"Sec-Fetch-Site": "none"}, 204, 204, 204},
		{"a name that resolves to 127.0.0.1 (DNS rebinding)", "evil.example:4010", nil, 403, 403, 403},
		{"no Host", "", nil, 403, 403, 403},
		{"a page of another site", "127.0.0.1:4010", map[string]string{"Origin": "http://evil.example"}, 403, 204, 403},
		{"another port of this machine", "127.0.0.1:4010", map[string]string{"Origin": "http://127.0.0.1:4000"}, 403, 204, 403},
		{"a sandboxed page", "127.0.0.1:4010", map[string]string{"Origin": "null"}, 403, 204, 403},
		{"an image of another site (no Origin)", "127.0.0.1:4010", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, 204, 403},
		{"a page of a sibling site", "127.0.0.1:4010", map[string]string{"Sec-Fetch-Site": "same-site"}, 403, 204, 403},
		{"a link on another site, followed", "127.0.0.1:4000", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 403, 204, 204},
		{"another site framing the page", "127.0.0.1:4000", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}, 403, 204, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				h    http.Handler
				want int
			}{{Check(ok), tc.checked}, {CheckHost(ok), tc.cors}, {CheckPage(ok), tc.page}} {
				method := http.MethodPost
				if tc.header["Sec-Fetch-Mode"] == "navigate" {
					method = http.MethodGet
				}
				r := httptest.NewRequest(method, "/", nil)
				r.Host = tc.host
				for k, v := range tc.header {
					r.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, r)
				if w.Code != c.want {
					t.Errorf("= %d %s, want %d", w.Code, w.Body.String(), c.want)
				}
			}
		})
	}
}
