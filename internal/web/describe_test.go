package web

import (
	"testing"

	"github.com/smeserver/smeforge/internal/audit"
)

// TestDescribePromotion: a build's history says where a promotion moved
// it, not only that the request is done.
func TestDescribePromotion(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    audit.Event
		want string
	}{
		{"execute", audit.Event{Action: "promotion.execute", Subject: "build:b-1-1",
			After: []byte(`{"from":"addons","to":"core","state":"done","changes":[{"release":"11","channel":"addons","remove":["b-1-1"]},{"release":"11","channel":"os","add":["b-1-1"],"remove":["b-0-1"]}]}`)},
			"promoted from addons to core: out of 11/addons, into 11/os"},
		{"undo", audit.Event{Action: "promotion.undo", Subject: "build:b-1-1",
			Before: []byte(`{"from":"dev","to":"test","state":"done"}`),
			After:  []byte(`{"from":"dev","to":"test","state":"approved","changes":[{"release":"11","channel":"test","remove":["b-1-1"]},{"release":"11","channel":"dev","add":["b-1-1"]}]}`)},
			"promotion from dev to test undone: out of 11/test, into 11/dev"},
		{"other domain action", audit.Event{Action: "promotion.approve", After: []byte(`{"state":"open"}`)}, "promotion approve: open"},
	} {
		if got := describe(tc.e); got != tc.want {
			t.Errorf("%s: describe = %q, want %q", tc.name, got, tc.want)
		}
	}
}
