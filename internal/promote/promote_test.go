package promote

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/check"
	"github.com/smeserver/smeforge/internal/policy"
)

func TestTarget(t *testing.T) {
	pol := policy.Default()
	beta := &catalog.Release{Name: "11", Phase: "beta"}
	final := &catalog.Release{Name: "10", Phase: "maintenance"}
	tests := []struct {
		name              string
		rel               *catalog.Release
		from, to, cur, in string
		want              Move
		err               string
	}{
		{"dev to test", beta, "dev", "test", "dev", "", Move{Category: "test", FromChannel: "dev", ToChannel: "test"}, ""},
		{"test to addons", beta, "test", "addons", "test", "", Move{Category: "addons", FromChannel: "test", ToChannel: "addons"}, ""},
		{"addons to core before final", beta, "addons", "core", "addons", "", Move{Category: "core", FromChannel: "addons", ToChannel: "os"}, ""},
		{"addons to core after final", final, "addons", "core", "addons", "", Move{Category: "core", FromChannel: "addons", ToChannel: "updates-testing"}, ""},
		{"test to core", beta, "test", "core", "test", "", Move{Category: "core", FromChannel: "test", ToChannel: "os"}, ""},
		{"dev to updates-testing sets core", final, "dev", "updates-testing", "dev", "", Move{Category: "core", FromChannel: "dev", ToChannel: "updates-testing"}, ""},
		{"dev to updates-testing as infra", final, "dev", "updates-testing", "dev", "infra", Move{Category: "infra", FromChannel: "dev", ToChannel: "updates-testing"}, ""},
		{"updates-testing to updates keeps the category", final, "updates-testing", "updates", "infra", "", Move{Category: "infra", FromChannel: "updates-testing", ToChannel: "updates"}, ""},
		{"a channel refuses the category asked", final, "dev", "updates-testing", "dev", "addons", Move{}, "category: channel updates-testing takes builds of category infra, core, not addons"},
		{"a category target with another category", beta, "dev", "test", "dev", "core", Move{}, "a promotion to category test makes the build test"},
		{"unknown target", beta, "dev", "nowhere", "dev", "", Move{}, `to: "nowhere" is neither a category nor a channel`},
		{"unknown origin", beta, "attic", "test", "dev", "", Move{}, `from: "attic" is neither a category nor a channel`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Target(pol, tc.rel, tc.from, tc.to, tc.cur, tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, catalog.ErrInvalid) {
					t.Fatalf("Target: error %v, want ErrInvalid containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Target = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTestedBy(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 5, 1, h, 0, 0, 0, time.UTC) }
	up := map[string]bool{"carol": true}
	tests := []struct {
		name      string
		reports   []TestReport
		threshold int
		ok        bool
		words     string
	}{
		{"none", nil, 1, false, "0 \"works\" report(s)"},
		{"one tester", []TestReport{{ID: 1, Account: "ted", Verdict: "works", At: at(1)}}, 1, true, "reported working by ted"},
		{"the uploader does not count", []TestReport{{ID: 1, Account: "carol", Verdict: "works", At: at(1)}}, 1, false, "0 \"works\""},
		{"one tester twice counts once", []TestReport{{ID: 1, Account: "ted", Verdict: "works", At: at(1)}, {ID: 2, Account: "ted", Verdict: "works", At: at(2)}}, 2, false, "1 \"works\" report(s)"},
		{"an open failure blocks", []TestReport{{ID: 1, Account: "ted", Verdict: "works", At: at(1)}, {ID: 2, Account: "tina", Verdict: "fails", At: at(2)}}, 1, false, "open failure reported by tina (report 2)"},
		{"a failure closed by the same tester", []TestReport{{ID: 1, Account: "tina", Verdict: "fails", At: at(1)}, {ID: 2, Account: "tina", Verdict: "works", At: at(2)}}, 1, true, "tina"},
		{"a failure after works reopens", []TestReport{{ID: 1, Account: "tina", Verdict: "works", At: at(1)}, {ID: 2, Account: "tina", Verdict: "fails", At: at(2)}}, 1, false, "open failure"},
		{"another release does not count", []TestReport{{ID: 1, Account: "ted", Release: "9", Verdict: "works", At: at(1)}}, 1, false, "0 \"works\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := TestedBy(tc.reports, up, "10", tc.threshold)
			if g.OK != tc.ok || !strings.Contains(g.Summary, tc.words) {
				t.Errorf("TestedBy = %v %q, want %v containing %q", g.OK, g.Summary, tc.ok, tc.words)
			}
		})
	}
}

func TestCountReviews(t *testing.T) {
	reviews := []policy.Review{{Role: "core-developer", Count: 2}, {Role: "dm", Count: 1}}
	v := func(acc, vote string, roles ...string) Vote { return Vote{Account: acc, Vote: vote, Roles: roles} }
	tests := []struct {
		name  string
		votes []Vote
		have  []int
		met   bool
	}{
		{"none", nil, []int{0, 0}, false},
		{"two core developers and the dm", []Vote{v("cd1", "approve", "core-developer"), v("cd2", "approve", "core-developer"), v("dm", "approve", "dm")}, []int{2, 1}, true},
		{"the same account twice counts once", []Vote{v("cd1", "approve", "core-developer"), v("cd1", "approve", "core-developer"), v("dm", "approve", "dm")}, []int{1, 1}, false},
		{"the requester does not count", []Vote{v("req", "approve", "core-developer"), v("cd2", "approve", "core-developer"), v("dm", "approve", "dm")}, []int{1, 1}, false},
		{"a later reject replaces an approve", []Vote{v("cd1", "approve", "core-developer"), v("cd1", "reject", "core-developer")}, []int{0, 0}, false},
		{"one account, two roles, counts for both", []Vote{v("boss", "approve", "core-developer", "dm"), v("cd2", "approve", "core-developer")}, []int{2, 1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CountReviews(reviews, tc.votes, "req")
			var have []int
			for _, r := range got {
				have = append(have, r.Have)
			}
			if !slices.Equal(have, tc.have) || Met(got) != tc.met {
				t.Errorf("CountReviews = %+v (met %v), want have %v met %v", got, Met(got), tc.have, tc.met)
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	names := map[string]string{"myperl-1.0-1.noarch": "myperl", "perl-RPM-1.51-1.el8.x86_64": "perl-RPM", "pident-3.0-1.noarch": "pident"}
	fs := []check.Finding{
		{Kind: check.KindFork, Package: "myperl-1.0-1.noarch", Reason: check.ForkObsoletes, Other: []string{"perl-RPM-1.51-1.el8.x86_64 (base)"}},
		{Kind: check.KindFork, Package: "myperl-1.0-1.noarch", Reason: check.ForkObsoletes, Other: []string{"pident-3.0-1.noarch (core)"}},
	}
	ag := func(id int64, pkg, state string, replaces ...string) ForkAgreement {
		return ForkAgreement{ID: id, Package: pkg, State: state, Replaces: replaces}
	}
	tests := []struct {
		name       string
		agreements []ForkAgreement
		covered    int
		used       []int64
	}{
		{"no agreement", nil, 0, nil},
		{"one agreement naming both", []ForkAgreement{ag(1, "myperl", ForkApproved, "perl-RPM", "pident")}, 2, []int64{1}},
		{"by the build's source name", []ForkAgreement{ag(2, "myperl-src", ForkApproved, "perl-RPM")}, 1, []int64{2}},
		{"not yet approved", []ForkAgreement{ag(3, "myperl", ForkRequested, "perl-RPM", "pident")}, 0, nil},
		{"another package's agreement", []ForkAgreement{ag(4, "other", ForkApproved, "perl-RPM", "pident")}, 0, nil},
		{"two agreements", []ForkAgreement{ag(6, "myperl", ForkApproved, "pident"), ag(5, "myperl", ForkApproved, "perl-RPM")}, 2, []int64{5, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cov, unc, used := Coverage(fs, names, "myperl-src", tc.agreements)
			if len(cov) != tc.covered || len(cov)+len(unc) != len(fs) || !slices.Equal(used, tc.used) {
				t.Errorf("Coverage: %d covered, %d not, used %v; want %d covered, used %v", len(cov), len(unc), used, tc.covered, tc.used)
			}
		})
	}
}
