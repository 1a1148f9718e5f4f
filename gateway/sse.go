package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// event is one Server-Sent Event: id is its sequence number in its stream, from 1.
type event struct {
	id   int64
	kind string // progress, stage, done or failed
	data []byte // one JSON object
}

// final reports whether e ends its stream.
func (e event) final() bool { return e.kind == "done" || e.kind == "failed" }

// eventLog is a stream's events so far, kept so a client that reconnects with Last-Event-ID
// gets the ones it missed. Progress events replace the progress event before them when nothing
// else came between (a publish reports several times a second), so the log stays short.
type eventLog struct {
	mu     sync.Mutex
	events []event
	next   int64
	wake   chan struct{} // closed and replaced on every append
}

func newEventLog() *eventLog { return &eventLog{next: 1, wake: make(chan struct{})} }

func (l *eventLog) append(kind string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := event{id: l.next, kind: kind, data: b}
	l.next++
	if n := len(l.events); kind == "progress" && n > 0 && l.events[n-1].kind == "progress" {
		l.events[n-1] = e
	} else {
		l.events = append(l.events, e)
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// after returns the events after id and a channel closed when another is appended.
func (l *eventLog) after(id int64) ([]event, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []event
	for _, e := range l.events {
		if e.id > id {
			out = append(out, e)
		}
	}
	return out, l.wake
}

// lastEventID reads the Last-Event-ID header (0 when absent or not a number).
func lastEventID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// sseKeepAlive is how often an idle stream sends a comment, so proxies keep it open.
const sseKeepAlive = 15 * time.Second

// serveEvents streams log to w from after Last-Event-ID until a final event, the client goes
// away or ctx ends.
func serveEvents(ctx context.Context, w http.ResponseWriter, r *http.Request, log *eventLog) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeProblem(w, r, fmt.Errorf("this connection cannot stream events"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	last := lastEventID(r)
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	for {
		events, wake := log.after(last)
		for _, e := range events {
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.id, e.kind, e.data)
			last = e.id
			if e.final() {
				flusher.Flush()
				return
			}
		}
		flusher.Flush()
		select {
		case <-wake:
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-r.Context().Done():
			return
		case <-ctx.Done():
			return
		}
	}
}
