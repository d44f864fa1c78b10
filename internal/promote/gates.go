package promote

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/check"
	"github.com/smeserver/smeforge/internal/policy"
)

// subject is what gates are evaluated for.
type subject struct {
	req   *Request
	rule  policy.Promotion
	rel   *catalog.Release
	build *catalog.Build
	facts []catalog.PackageFacts // the build's artifacts
}

// Evaluate runs every gate of the request's promotion and returns their
// results (not stored).
func (s *Service) Evaluate(ctx context.Context, r *Request, round string) ([]GateResult, error) {
	sub, err := s.subject(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.evaluate(ctx, sub, round)
}

func (s *Service) subject(ctx context.Context, r *Request) (*subject, error) {
	rule, ok := s.policy().Promotion(r.From, r.To)
	if !ok {
		return nil, catalog.Errorf(catalog.ErrConflict, "the policy no longer has a promotion %s -> %s", r.From, r.To)
	}
	rel, err := s.Store.Release(ctx, r.Release)
	if err != nil {
		return nil, err
	}
	b, err := s.Store.Build(ctx, r.Build)
	if err != nil {
		return nil, err
	}
	facts, err := s.Store.BuildFacts(ctx, r.Build)
	if err != nil {
		return nil, err
	}
	return &subject{req: r, rule: rule, rel: rel, build: b, facts: facts}, nil
}

func (s *Service) evaluate(ctx context.Context, sub *subject, round string) ([]GateResult, error) {
	now := s.now()
	var out []GateResult
	gates := append([]string{}, sub.rule.Gates...)
	if sub.rule.MinDaysInTesting > 0 {
		gates = append(gates, GateDaysInTesting)
	}
	var env *environment
	for _, g := range gates {
		var res GateResult
		var err error
		switch g {
		case policy.GateRPMAndSRPM:
			res = gateRPMAndSRPM(sub)
		case policy.GateLicence:
			res = s.gateLicence(sub)
		case policy.GateMaintainer:
			res, err = s.gateMaintainer(ctx, sub)
		case policy.GateTested:
			res, err = s.gateTested(ctx, sub)
		case policy.GateFork, policy.GateLayering, policy.GateClosure:
			if env == nil {
				if env, err = s.environment(ctx, sub); err != nil {
					return nil, err
				}
			}
			switch g {
			case policy.GateFork:
				res, err = s.gateFork(ctx, sub, env)
			case policy.GateLayering:
				res, err = s.gateLayering(sub, env)
			default:
				res = gateClosure(sub, env)
			}
		case GateDaysInTesting:
			res, err = s.gateDays(ctx, sub)
		default:
			res = GateResult{Summary: fmt.Sprintf("the forge does not know gate %q", g)}
		}
		if err != nil {
			return nil, fmt.Errorf("evaluating gate %s: %w", g, err)
		}
		res.Gate, res.Round, res.At = g, round, now
		out = append(out, res)
	}
	return out, nil
}

func gateRPMAndSRPM(sub *subject) GateResult {
	var files []string
	bins := 0
	for _, a := range sub.build.Artifacts {
		files = append(files, a.Filename)
		if !a.Source {
			bins++
		}
	}
	ev := Evidence{Files: files}
	switch {
	case !sub.build.HasSource:
		return GateResult{Summary: fmt.Sprintf("build %s has no SRPM: upload its source package", sub.build.ID), Evidence: ev}
	case bins == 0:
		return GateResult{Summary: fmt.Sprintf("build %s has no binary RPM: upload the packages built from its SRPM", sub.build.ID), Evidence: ev}
	}
	return GateResult{OK: true, Summary: fmt.Sprintf("the SRPM and %d binary RPM(s) are there", bins), Evidence: ev}
}

func (s *Service) gateLicence(sub *subject) GateResult {
	lc := s.policy().LicenceChecker()
	var bad []catalog.LicenceFinding
	var files []string
	for _, a := range sub.build.Artifacts {
		files = append(files, a.Filename)
		if v := lc.Check(a.License); !v.OK {
			bad = append(bad, catalog.LicenceFinding{Package: a.NEVRA(), License: a.License, SPDX: v.SPDX, Problems: v.Problems})
		}
	}
	ev := Evidence{Files: files, Licences: bad}
	if len(bad) > 0 {
		var words []string
		for _, f := range bad {
			words = append(words, fmt.Sprintf("%s (License %q: %s)", f.Package, f.License, strings.Join(f.Problems, "; ")))
		}
		return GateResult{Summary: "licence not allowed: " + strings.Join(words, ", "), Evidence: ev}
	}
	return GateResult{OK: true, Summary: "every License tag of the build is allowed", Evidence: ev}
}

func (s *Service) gateMaintainer(ctx context.Context, sub *subject) (GateResult, error) {
	proj, err := s.Store.BuildProject(ctx, sub.build.ID)
	if err != nil {
		return GateResult{}, err
	}
	if proj == "" {
		return GateResult{Summary: fmt.Sprintf("build %s belongs to no project, so it has no maintainer", sub.build.ID)}, nil
	}
	p, err := s.Store.Project(ctx, proj)
	if err != nil {
		return GateResult{}, err
	}
	window := time.Duration(s.policy().MaintainerWindowDays) * 24 * time.Hour
	var active, idle []string
	for _, m := range p.Maintainers {
		a, err := s.Store.Account(ctx, m)
		if err != nil {
			return GateResult{}, err
		}
		if !a.Disabled && !a.LastLoginAt.IsZero() && s.now().Sub(a.LastLoginAt) <= window {
			active = append(active, m)
		} else {
			idle = append(idle, m)
		}
	}
	if len(active) == 0 {
		msg := fmt.Sprintf("project %s has no maintainer who signed in within the last %d days", proj, s.policy().MaintainerWindowDays)
		if len(idle) > 0 {
			msg += " (disabled or idle: " + strings.Join(idle, ", ") + ")"
		}
		return GateResult{Summary: msg, Evidence: Evidence{Maintainers: p.Maintainers}}, nil
	}
	return GateResult{OK: true, Summary: fmt.Sprintf("project %s has active maintainer(s) %s", proj, strings.Join(active, ", ")), Evidence: Evidence{Maintainers: active}}, nil
}

// Tested says whether reports or an install test make a build tested for
// a release, in words, with the evidence.
func (s *Service) gateTested(ctx context.Context, sub *subject) (GateResult, error) {
	reports, err := s.Store.TestReports(ctx, sub.build.ID)
	if err != nil {
		return GateResult{}, err
	}
	uploaders := map[string]bool{}
	for _, a := range sub.build.Artifacts {
		uploaders[a.UploadedBy] = true
	}
	res := TestedBy(reports, uploaders, sub.req.Release, s.policy().TestedThreshold)
	if res.OK {
		return res, nil
	}
	tests, err := s.Store.InstallTests(ctx, sub.build.ID)
	if err != nil {
		return GateResult{}, err
	}
	for i := len(tests) - 1; i >= 0; i-- {
		t := tests[i]
		if t.Release == sub.req.Release && t.Channel == sub.req.ToChannel {
			if t.OK {
				res.OK = true
				res.Summary = fmt.Sprintf("install test %d installed the build with dnf from the would-be content of %s", t.ID, t.Channel)
				res.Evidence.InstallTest = t.ID
				return res, nil
			}
			res.Summary += fmt.Sprintf("; install test %d failed: %s", t.ID, t.Summary)
			res.Evidence.InstallTest = t.ID
			break
		}
	}
	return res, nil
}

// TestedBy judges test reports: at least threshold "works" reports by
// distinct accounts that did not upload the build, and no open failure (a
// "fails" report is open until the same tester reports "works" later).
// Reports for another release do not count.
func TestedBy(reports []TestReport, uploaders map[string]bool, release string, threshold int) GateResult {
	sort.SliceStable(reports, func(i, j int) bool { return reports[i].At.Before(reports[j].At) })
	last := map[string]TestReport{} // per tester, their newest report
	var ids []int64
	for _, r := range reports {
		if r.Release != "" && release != "" && r.Release != release {
			continue
		}
		last[r.Account] = r
		ids = append(ids, r.ID)
	}
	var works, open []string
	for acc, r := range last {
		switch {
		case r.Verdict == VerdictFails:
			open = append(open, fmt.Sprintf("%s (report %d)", acc, r.ID))
		case r.Verdict == VerdictWorks && !uploaders[acc]:
			works = append(works, acc)
		}
	}
	sort.Strings(works)
	sort.Strings(open)
	ev := Evidence{Reports: ids}
	if len(open) > 0 {
		return GateResult{Summary: "open failure reported by " + strings.Join(open, ", "), Evidence: ev}
	}
	if len(works) < threshold {
		return GateResult{Summary: fmt.Sprintf("%d \"works\" report(s) by testers other than the uploader, %d needed", len(works), threshold), Evidence: ev}
	}
	return GateResult{OK: true, Summary: fmt.Sprintf("reported working by %s", strings.Join(works, ", ")), Evidence: ev}
}

func (s *Service) gateDays(ctx context.Context, sub *subject) (GateResult, error) {
	need := sub.rule.MinDaysInTesting
	if sub.req.Waiver != "" {
		return GateResult{OK: true, Summary: fmt.Sprintf("the %d days in testing were waived by %s: %s", need, sub.req.WaivedBy, sub.req.Waiver)}, nil
	}
	ch := sub.req.FromChannel
	if ch == "" {
		return GateResult{Summary: "the build comes from no testing channel"}, nil
	}
	since, err := s.Store.ChannelEntered(ctx, sub.req.Release, ch, sub.build.ID)
	if err != nil {
		if isNotFound(err) {
			return GateResult{Summary: fmt.Sprintf("build %s is not in %s/%s", sub.build.ID, sub.req.Release, ch)}, nil
		}
		return GateResult{}, err
	}
	days := s.now().Sub(since).Hours() / 24
	ev := Evidence{Since: since}
	if days < float64(need) {
		return GateResult{Summary: fmt.Sprintf("in %s since %s: %.1f of %d days", ch, since.Format(time.DateOnly), days, need), Evidence: ev}, nil
	}
	return GateResult{OK: true, Summary: fmt.Sprintf("in %s since %s (%.0f days, %d needed)", ch, since.Format(time.DateOnly), days, need), Evidence: ev}, nil
}

// environment is the would-be state of the release the checks look at.
type environment struct {
	order, protected []string
	buildPkgs        []check.Package
	// all: every package of the release and the base OS, with the build's
	// own at their target category (for forks: without the build).
	others []check.Package
	// deps: the target channel's would-be content, the channels it may
	// depend on and the base OS, with the build.
	deps     *check.Index
	targetID map[string]bool // packages of the target channel's would-be content
	names    map[string]string
}

func (s *Service) environment(ctx context.Context, sub *subject) (*environment, error) {
	pol := s.policy()
	env := &environment{targetID: map[string]bool{}, names: map[string]string{}}
	level := map[string]int{}
	for _, c := range pol.Categories {
		env.order = append(env.order, c.Name)
		level[c.Name] = c.Level
		if c.Protected {
			env.protected = append(env.protected, c.Name)
		}
	}
	own := map[string]bool{}
	for i := range sub.facts {
		f := sub.facts[i]
		f.Category = sub.req.Category
		own[f.SHA256] = true
		p := catalog.CheckPackage(&f)
		env.buildPkgs = append(env.buildPkgs, p)
		env.targetID[f.SHA256] = true
		env.names[p.NEVRA()] = p.Name
	}
	base, err := s.Store.UpstreamPackages(ctx, "", "", 0)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.PackagesIn(ctx, sub.req.Release, nil)
	if err != nil {
		return nil, err
	}
	add := func(dst *[]check.Package, fs []catalog.PackageFacts) {
		for i := range fs {
			if own[fs[i].SHA256] {
				continue
			}
			p := catalog.CheckPackage(&fs[i])
			env.names[p.NEVRA()] = p.Name
			*dst = append(*dst, p)
		}
	}
	add(&env.others, all)
	add(&env.others, base)

	// The channels the target may depend on: those whose every category
	// is at the target's level or below.
	chans, err := s.Store.Channels(ctx, sub.req.Release)
	if err != nil {
		return nil, err
	}
	tl := level[sub.req.Category]
	var lower []string
	for _, c := range chans {
		if c.Name == sub.req.ToChannel {
			continue
		}
		ok := len(c.Accepts) > 0
		for _, a := range c.Accepts {
			ok = ok && level[a] <= tl
		}
		if ok {
			lower = append(lower, c.Name)
		}
	}
	target, err := s.Store.PackagesIn(ctx, sub.req.Release, []string{sub.req.ToChannel})
	if err != nil {
		return nil, err
	}
	for _, f := range target {
		if !own[f.SHA256] {
			env.targetID[f.SHA256] = true
		}
	}
	deps := append([]check.Package{}, env.buildPkgs...)
	add(&deps, target)
	if len(lower) > 0 {
		lf, err := s.Store.PackagesIn(ctx, sub.req.Release, lower)
		if err != nil {
			return nil, err
		}
		add(&deps, lf)
	}
	add(&deps, base)
	env.deps = check.NewIndex(deps)
	return env, nil
}

func (s *Service) gateFork(ctx context.Context, sub *subject, env *environment) (GateResult, error) {
	ix := check.NewIndex(env.others)
	fs, err := ix.ForksOf(env.buildPkgs, sub.req.Category, check.ForkPolicy{Order: env.order, Protected: env.protected})
	if err != nil {
		return GateResult{}, err
	}
	ev := Evidence{Findings: fs}
	if len(fs) == 0 {
		return GateResult{OK: true, Summary: "the build replaces no package of a protected category", Evidence: ev}, nil
	}
	if !sub.rule.AllowForkAgreement {
		return GateResult{Summary: "the build forks protected packages and this promotion allows no fork agreement: " + forkWords(fs), Evidence: ev}, nil
	}
	agreements, err := s.Store.Forks(ctx, ForkApproved)
	if err != nil {
		return GateResult{}, err
	}
	covered, uncovered, used := Coverage(fs, env.names, sub.build.Name, agreements)
	ev.Agreements = used
	if len(uncovered) > 0 {
		return GateResult{Summary: "fork without an approved fork agreement: " + forkWords(uncovered), Evidence: ev}, nil
	}
	return GateResult{OK: true, Summary: fmt.Sprintf("%d fork finding(s), each covered by an approved fork agreement (%s)", len(covered), joinIDs(used)), Evidence: ev}, nil
}

func forkWords(fs []check.Finding) string {
	var w []string
	for _, f := range fs {
		w = append(w, f.Package+" "+f.Detail)
	}
	return strings.Join(w, "; ")
}

func joinIDs(ids []int64) string {
	var s []string
	for _, id := range ids {
		s = append(s, fmt.Sprint(id))
	}
	return strings.Join(s, ", ")
}

// Coverage splits fork findings into those an approved agreement covers
// and those none does. An agreement covers a finding when it is for the
// forking package (by binary name, or the build's source name) and names
// the replaced package. names maps a NEVRA to its package name; used
// lists the agreements that covered something.
func Coverage(fs []check.Finding, names map[string]string, buildName string, agreements []ForkAgreement) (covered, uncovered []check.Finding, used []int64) {
	for _, f := range fs {
		pkg := names[f.Package]
		victims := map[string]bool{}
		for _, o := range f.Other {
			nevra, _, _ := strings.Cut(o, " (")
			if n, ok := names[nevra]; ok {
				victims[n] = true
			}
		}
		ok := false
		for _, a := range agreements {
			if a.State != ForkApproved || (a.Package != pkg && a.Package != buildName) {
				continue
			}
			all := len(victims) > 0
			for v := range victims {
				all = all && slices.Contains(a.Replaces, v)
			}
			if all {
				ok = true
				if !slices.Contains(used, a.ID) {
					used = append(used, a.ID)
				}
				break
			}
		}
		if ok {
			covered = append(covered, f)
		} else {
			uncovered = append(uncovered, f)
		}
	}
	slices.Sort(used)
	return covered, uncovered, used
}

func (s *Service) gateLayering(sub *subject, env *environment) (GateResult, error) {
	fs, err := env.deps.Layering(env.order)
	if err != nil {
		return GateResult{}, err
	}
	own := map[string]bool{}
	for _, p := range env.buildPkgs {
		own[p.ID] = true
	}
	var mine []check.Finding
	for _, f := range fs {
		if own[f.ID] {
			mine = append(mine, f)
		}
	}
	ev := Evidence{Findings: mine}
	if len(mine) > 0 {
		var w []string
		for _, f := range mine {
			w = append(w, fmt.Sprintf("%s needs %s: %s", f.Package, f.Requirement, f.Detail))
		}
		return GateResult{Summary: fmt.Sprintf("as %s the build depends on higher levels: %s", sub.req.Category, strings.Join(w, "; ")), Evidence: ev}, nil
	}
	return GateResult{OK: true, Summary: fmt.Sprintf("as %s the build needs nothing from a higher level", sub.req.Category), Evidence: ev}, nil
}

func gateClosure(sub *subject, env *environment) GateResult {
	var mine []check.Finding
	for _, f := range env.deps.Closure(check.ClosureOptions{}) {
		if env.targetID[f.ID] {
			mine = append(mine, f)
		}
	}
	ev := Evidence{Findings: mine}
	if len(mine) > 0 {
		var w []string
		for _, f := range mine {
			w = append(w, fmt.Sprintf("%s needs %s", f.Package, f.Requirement))
		}
		return GateResult{Summary: fmt.Sprintf("with the build in it, %s/%s has unresolved dependencies: %s", sub.req.Release, sub.req.ToChannel, strings.Join(w, "; ")), Evidence: ev}
	}
	return GateResult{OK: true, Summary: fmt.Sprintf("with the build in it, every dependency of %s/%s resolves", sub.req.Release, sub.req.ToChannel), Evidence: ev}
}
