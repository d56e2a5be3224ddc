package loopback

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// Every listener of the local system answers only its own callers: the commands, the SDKs, the
// functions, the emulator's deliveries, and its own pages. A web page of another site can reach
// 127.0.0.1 too, and a browser sends some requests to it without asking first (a form's POST, a
// text/plain fetch in no-cors mode, an image's GET); so each listener refuses, with 403:
//   - a Host that is not loopback: a page whose own name resolves to 127.0.0.1 (DNS rebinding)
//     would otherwise be same-origin with the listener and read its answers;
//   - a request that says it comes from a page of another origin: an Origin header that is not
//     the listener's own (http://HOST, HOST being the request's Host), or Sec-Fetch-Site
//     cross-site or same-site (https://www.w3.org/TR/fetch-metadata/), which browsers send even
//     where they send no Origin.
// A listener that serves other origins' pages by design (an HTTP API, with the CORS its template
// declares) is served by ServeOnWithCORS: the Host is checked, and the API decides on the origin.

// Check wraps h with the checks every listener makes.
func Check(h http.Handler) http.Handler { return check(h, origins) }

// CheckHost wraps h with the Host check alone: h decides which origins it answers (CORS).
func CheckHost(h http.Handler) http.Handler { return check(h, 0) }

// CheckPage is Check for a listener whose pages a user may open from a link on another site
// (the console): a top-level navigation to it (a GET whose Sec-Fetch-Mode is navigate and
// Sec-Fetch-Dest document) is let through, since the other site cannot read what it opens. Its
// GETs must change nothing.
func CheckPage(h http.Handler) http.Handler { return check(h, origins|navigation) }

const (
	origins    = 1 << iota // refuse other origins
	navigation             // but let a top-level navigation through
)

func check(h http.Handler, rules int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsLoopbackHost(r.Host) {
			http.Error(w, fmt.Sprintf("the local system answers requests to loopback addresses only, not to Host %q", r.Host), http.StatusForbidden)
			return
		}
		navigating := r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
		if rules&origins != 0 && !(rules&navigation != 0 && navigating) {
			if why := crossOrigin(r); why != "" {
				http.Error(w, "the local system answers its own pages only: "+why, http.StatusForbidden)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// crossOrigin says why r comes from a page of another origin; "" when it does not.
func crossOrigin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || u.Host != r.Host {
			return fmt.Sprintf("a request from Origin %q", o)
		}
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
		return ""
	default:
		return fmt.Sprintf("a %s request (Sec-Fetch-Site)", site)
	}
}

// IsLoopbackHost reports whether hostport (a Host header, a listener's address) names this
// machine's loopback interface: localhost, 127.0.0.0/8 or ::1, with or without a port.
func IsLoopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
