// Package audit owns the forge's audit log: every change (who, what, when,
// before and after) as an append-only list of events, each carrying the
// SHA-256 of its own content and of the event before it, so that an
// altered, inserted or deleted entry breaks the chain and Verify finds it.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Event is one change. Before and After are JSON documents of the changed
// thing (null when it did not exist before or does not exist after).
type Event struct {
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`  // "promotion.approve", "account.create" ...
	Subject string          `json:"subject"` // what changed: "build:foo-1.0-1", "account:alice"
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	// Public events are shown to everyone (the history of a build); the
	// rest only to core developers.
	Public bool   `json:"public"`
	Prev   string `json:"prev"` // Hash of the event before; "" for the first
	Hash   string `json:"hash"`
}

// Recorder appends events. Implementations fill Seq, Prev and Hash, and
// append in the same order they commit, so that the chain is the commit
// order.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// Query selects events.
type Query struct {
	Subject    string // exact subject, "" for all
	PublicOnly bool
	AfterSeq   int64
	Limit      int
}

// Reader lists events in order.
type Reader interface {
	AuditEvents(ctx context.Context, q Query) ([]Event, error)
}

// JSON returns v as a document for Before or After; nil stays null.
func JSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Only values that cannot be JSON (channels, funcs) fail; say so
		// in the log entry rather than lose the event.
		b, _ = json.Marshal(map[string]string{"unencodable": err.Error()})
	}
	return b
}

// Hash is an event's hash: SHA-256 over its sequence number, time, actor,
// action, subject, before, after, visibility and the previous hash, each
// length-prefixed so that no two events encode alike.
func Hash(e Event) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field(strconv.FormatInt(e.Seq, 10))
	field(strconv.FormatInt(e.At.UTC().UnixMilli(), 10))
	field(e.Actor)
	field(e.Action)
	field(e.Subject)
	field(string(compact(e.Before)))
	field(string(compact(e.After)))
	field(strconv.FormatBool(e.Public))
	field(e.Prev)
	return hex.EncodeToString(h.Sum(nil))
}

// compact normalises a JSON document's spacing, so that a database that
// re-formats JSON does not break the chain; "null" and empty are alike.
func compact(b json.RawMessage) []byte {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}

// Chain fills e's Seq, Prev and Hash to follow prev (nil for the first
// event).
func Chain(prev *Event, e Event) Event {
	e.At = e.At.UTC().Truncate(time.Millisecond)
	if prev == nil {
		e.Seq, e.Prev = 1, ""
	} else {
		e.Seq, e.Prev = prev.Seq+1, prev.Hash
	}
	e.Hash = Hash(e)
	return e
}

// Problem is one break in the chain.
type Problem struct {
	Seq  int64  `json:"seq"`
	What string `json:"what"`
}

func (p Problem) String() string { return fmt.Sprintf("entry %d: %s", p.Seq, p.What) }

// Verify checks a whole log, in order: sequence numbers without gaps from
// 1, each hash matching the entry's content, each entry naming the hash of
// the one before. head, when not empty, is the last hash recorded
// elsewhere (so that deleting the newest entries is found too).
func Verify(events []Event, head string) []Problem {
	var out []Problem
	var prev *Event
	for i := range events {
		e := events[i]
		want := int64(1)
		if prev != nil {
			want = prev.Seq + 1
		}
		switch {
		case e.Seq > want:
			out = append(out, Problem{want, fmt.Sprintf("missing: the log jumps from entry %d to %d (deleted entries)", want-1, e.Seq)})
		case e.Seq < want:
			out = append(out, Problem{e.Seq, fmt.Sprintf("out of order: found after entry %d", want-1)})
		}
		if h := Hash(e); h != e.Hash {
			out = append(out, Problem{e.Seq, "altered: its content does not match its hash"})
		}
		wantPrev := ""
		if prev != nil {
			wantPrev = prev.Hash
		}
		if e.Prev != wantPrev {
			out = append(out, Problem{e.Seq, "broken link: it does not name the hash of the entry before it (an entry before it was altered, deleted or inserted)"})
		}
		prev = &events[i]
	}
	if head != "" && (prev == nil || prev.Hash != head) {
		last := int64(0)
		if prev != nil {
			last = prev.Seq
		}
		out = append(out, Problem{last, "the newest entries are missing: the last entry is not the head recorded (" + head + ")"})
	}
	return out
}
