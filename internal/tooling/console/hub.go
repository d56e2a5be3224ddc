package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// hub fans server-sent events out to the connected pages. A page that cannot keep up loses
// frames (the next snapshot carries every figure again); one that disconnects is removed.
type hub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
}

func (h *hub) join() (<-chan []byte, func()) {
	ch := make(chan []byte, 64)
	h.mu.Lock()
	if h.clients == nil {
		h.clients = map[chan []byte]struct{}{}
	}
	h.clients[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.clients, ch)
		h.mu.Unlock()
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// frame renders one server-sent event.
func frame(event string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return []byte(fmt.Sprintf("event: %s\ndata: %s\n\n", event, b))
}

func (h *hub) broadcast(event string, v any) {
	f := frame(event, v)
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case ch <- f:
		default: // a slow page: the next snapshot catches it up
		}
	}
}

// serveEvents is GET /api/events: first the topology and a snapshot, then every change.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	ch, leave := s.hub.join()
	defer leave()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(frame("topology", s.topology()))
	_, _ = w.Write(frame("snapshot", s.snapshot()))
	flusher.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case f := <-ch:
			if _, err := w.Write(f); err != nil {
				return
			}
			flusher.Flush()
		case <-keepalive.C:
			if _, err := w.Write([]byte(": keepalive\n\n")); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}
