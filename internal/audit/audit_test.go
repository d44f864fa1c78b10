package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func chain(n int) []Event {
	var out []Event
	var prev *Event
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		e := Chain(prev, Event{At: t0.Add(time.Duration(i) * time.Minute), Actor: "alice", Action: "build.category",
			Subject: "build:foo-1.0-1", Before: json.RawMessage(`{"category": "dev"}`), After: JSON(map[string]string{"category": "test"})})
		out = append(out, e)
		prev = &out[len(out)-1]
	}
	return out
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		change func([]Event) []Event
		head   func([]Event) string
		want   string // substring of the first problem; "" = clean
	}{
		{"intact", func(e []Event) []Event { return e }, nil, ""},
		{"intact with head", func(e []Event) []Event { return e }, func(e []Event) string { return e[len(e)-1].Hash }, ""},
		{"reformatted JSON is the same", func(e []Event) []Event { e[1].Before = json.RawMessage(`{"category":"dev"}`); return e }, nil, ""},
		{"altered actor", func(e []Event) []Event { e[2].Actor = "mallory"; return e }, nil, "entry 3: altered"},
		{"altered after", func(e []Event) []Event { e[0].After = json.RawMessage(`{"category":"core"}`); return e }, nil, "entry 1: altered"},
		{"deleted middle", func(e []Event) []Event { return append(e[:2:2], e[3:]...) }, nil, "entry 3: missing"},
		{"deleted first", func(e []Event) []Event { return e[1:] }, nil, "entry 1: missing"},
		{"deleted newest, head known", func(e []Event) []Event { return e[:4] }, func(e []Event) string { return e[len(e)-1].Hash }, "newest entries are missing"},
		{"rehashed after alteration", func(e []Event) []Event {
			e[1].Actor = "mallory"
			e[1].Hash = Hash(e[1])
			return e
		}, nil, "entry 3: broken link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := chain(5)
			head := ""
			if tt.head != nil {
				head = tt.head(orig)
			}
			got := Verify(tt.change(chain(5)), head)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("problems in an intact log: %v", got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("no problem found, want %q", tt.want)
			}
			if !strings.Contains(got[0].String(), tt.want) {
				t.Fatalf("first problem %q, want %q (all: %v)", got[0], tt.want, got)
			}
		})
	}
}
