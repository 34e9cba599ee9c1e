package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// StreamKeepAlive is how often an idle stream sends a comment, so dead
// clients are noticed and proxies keep the connection.
const StreamKeepAlive = 15 * time.Second

// ErrNoStreaming reports a response writer that cannot flush, so cannot stream.
var ErrNoStreaming = errors.New("streaming unsupported")

// ServeStream writes sub's events to w as server-sent events, one
// "event: TYPE" and "data: JSON" record each, until the client goes or sub
// is closed (the bus closing). encode chooses what is sent for an event, or
// skips it by returning false; nil sends the event itself. It lifts the
// server's read deadline, since a stream outlives any request. The only
// error is ErrNoStreaming, returned before anything is written.
func ServeStream(w http.ResponseWriter, r *http.Request, sub *Sub, encode func(Event) (any, bool)) error {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return ErrNoStreaming
	}
	if encode == nil {
		encode = func(ev Event) (any, bool) { return ev, true }
	}
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": subscribed\n\n")
	flusher.Flush()
	keepAlive := time.NewTicker(StreamKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
		case ev, ok := <-sub.C():
			if !ok {
				return nil
			}
			v, send := encode(ev)
			if !send {
				continue
			}
			data, err := json.Marshal(v)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data); err != nil {
				return nil
			}
		}
		flusher.Flush()
	}
}
