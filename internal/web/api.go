package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/sign"
)

// apiTable is the JSON API's route table (documented in docs/api.md).
// Every route that changes something names the policy action it needs;
// serve checks it before the handler runs, so authorization happens in
// this one place.
func (s *Server) apiTable() []route {
	return []route{
		{"POST /api/v1/packages", "upload", s.recorded(s.apiUpload)},
		{"GET /api/v1/packages", "", s.apiSearch},
		{"GET /api/v1/packages/{sha256}", "", s.apiPackage},
		{"GET /api/v1/builds", "", s.apiBuilds},
		{"GET /api/v1/builds/{id}", "", s.apiBuild},
		{"GET /api/v1/releases", "", s.apiReleases},
		{"POST /api/v1/releases", "manage-release", s.recorded(s.apiCreateRelease)},
		{"GET /api/v1/releases/{release}", "", s.apiRelease},
		{"POST /api/v1/releases/{release}/phase", "manage-release", s.recorded(s.apiSetPhase)},
		{"GET /api/v1/releases/{release}/check", "", s.apiCheckRelease},
		{"GET /api/v1/releases/{release}/packages/{name}", "", s.apiWhere},
		{"GET /api/v1/releases/{release}/archive", "", s.apiArchiveReport},
		{"GET /api/v1/upstreams", "", s.apiUpstreams},
		{"POST /api/v1/upstreams", "manage-upstreams", s.recorded(s.apiAddUpstream)},
		{"POST /api/v1/upstreams/{name}/sync", "manage-upstreams", s.recorded(s.apiSyncUpstream)},
		{"POST /api/v1/builds/{id}/rebuild", "rebuild", s.recorded(s.apiRebuild)},
		{"GET /api/v1/builds/{id}/rebuilds", "", s.apiRebuilds},
		{"POST /api/v1/builds/{id}/category", "manage-release", s.recorded(s.apiSetCategory)},
		{"POST /api/v1/builds/{id}/sign", "sign", s.recorded(s.apiSignBuild)},
		{"GET /api/v1/keys", "", s.apiKeys},
		{"POST /api/v1/keys/rotate", "manage-keys", s.recorded(s.apiRotateKey)},
		{"POST /api/v1/keys/{id}/retire", "manage-keys", s.recorded(s.apiRetireKey)},
		{"POST /api/v1/releases/{release}/channels/{channel}/rollback", "manage-release", s.recorded(s.apiRollback)},
		{"GET /api/v1/releases/{release}/channels", "", s.apiChannels},
		{"POST /api/v1/releases/{release}/channels", "manage-release", s.recorded(s.apiCreateChannel)},
		{"GET /api/v1/releases/{release}/channels/{channel}", "", s.apiChannel},
		{"POST /api/v1/releases/{release}/channels/{channel}/builds", "manage-release", s.recorded(s.apiAddBuilds)},
		{"DELETE /api/v1/releases/{release}/channels/{channel}/builds/{build}", "manage-release", s.recorded(s.apiRemoveBuild)},
		{"POST /api/v1/releases/{release}/channels/{channel}/publish", "publish", s.recorded(s.apiPublish)},
		{"GET /api/v1/advisories", "", s.apiAdvisories},
		{"POST /api/v1/advisories", "write-advisory", s.apiCreateAdvisory},
		{"GET /api/v1/advisories/osv", "", s.apiAdvisoriesOSV},
		{"GET /api/v1/advisories/{id}", "", s.apiAdvisory},
		// Either team edits; the handler checks which fields need which.
		{"POST /api/v1/advisories/{id}", "write-advisory|write-advisory-guidance", s.apiEditAdvisory},
		{"POST /api/v1/advisories/{id}/publish", "publish-advisory", s.apiPublishAdvisory},
		{"POST /api/v1/advisories/{id}/close", "publish-advisory", s.apiCloseAdvisory},
		{"GET /api/v1/advisories/{id}/revisions", "", s.apiAdvisoryRevisions},
		{"GET /api/v1/advisories/{id}/revisions/{n}", "", s.apiAdvisoryRevision},
		{"GET /api/v1/advisories/{id}/osv", "", s.apiAdvisoryOSV},
		{"GET /api/v1/builds/{id}/history", "", s.apiBuildHistory},
		{"GET /api/v1/audit", "view-audit", s.apiAudit},
		{"GET /api/v1/projects", "", s.apiProjects},
		{"GET /api/v1/projects/{name}", "", s.apiProject},
		{"POST /api/v1/projects/{name}/maintainers", "request-project", s.apiAddMaintainer},
		{"DELETE /api/v1/projects/{name}/maintainers/{account}", "request-project", s.apiRemoveMaintainer},
		{"POST /api/v1/promotions", "request-promotion", s.apiOpenPromotion},
		{"GET /api/v1/promotions", "", s.apiPromotions},
		{"GET /api/v1/promotions/{id}", "", s.apiPromotion},
		{"POST /api/v1/promotions/{id}/votes", "review-promotion", s.apiVotePromotion},
		{"POST /api/v1/promotions/{id}/withdraw", "request-promotion", s.apiWithdrawPromotion},
		{"POST /api/v1/promotions/{id}/reopen", "request-promotion", s.apiReopenPromotion},
		{"POST /api/v1/promotions/{id}/execute", "request-promotion", s.apiExecutePromotion},
		{"POST /api/v1/promotions/{id}/waiver", "triage-vulnerability", s.apiWaivePromotion},
		{"GET /api/v1/builds/{id}/test-reports", "", s.apiTestReports},
		{"POST /api/v1/builds/{id}/test-reports", "file-test-report", s.apiFileTestReport},
		{"POST /api/v1/builds/{id}/install-tests", "file-test-report", s.apiInstallTest},
		{"GET /api/v1/forks", "", s.apiForks},
		{"GET /api/v1/forks/{id}", "", s.apiFork},
		{"POST /api/v1/forks", "request-promotion", s.apiRequestFork},
		{"POST /api/v1/forks/{id}/votes", "approve-fork", s.apiVoteFork},
		{"GET /api/v1/me", "", s.apiMe},
		{"GET /api/v1/accounts", "manage-accounts", s.apiAccounts},
		{"POST /api/v1/accounts", "manage-accounts", s.apiCreateAccount},
		{"GET /api/v1/accounts/{name}", "manage-accounts", s.apiShowAccount},
		{"POST /api/v1/accounts/{name}/roles", "manage-accounts", s.apiSetRoles},
		{"POST /api/v1/accounts/{name}/disable", "manage-accounts", s.apiSetDisabled(true)},
		{"POST /api/v1/accounts/{name}/enable", "manage-accounts", s.apiSetDisabled(false)},
		{"POST /api/v1/accounts/{name}/password", "manage-accounts", s.apiSetPassword},
		{"GET /api/v1/accounts/{name}/tokens", "manage-accounts", s.apiTokens},
		{"POST /api/v1/accounts/{name}/tokens", "manage-accounts", s.apiCreateToken},
		{"POST /api/v1/accounts/{name}/tokens/{id}/revoke", "manage-accounts", s.apiRevokeToken},
		{"GET /api/v1/teams", "", s.apiTeams},
		{"GET /api/v1/teams/{team}", "", s.apiTeam},
		{"POST /api/v1/teams/{team}", "manage-accounts", s.apiUpdateTeam},
		{"POST /api/v1/security/records", "triage-vulnerability", s.apiImportRecords},
		{"GET /api/v1/security/records/{source}/{id}", "", s.apiRecord},
		{"GET /api/v1/security/entries", "", s.apiEntries},
		{"GET /api/v1/security/entries/{id}", "", s.apiEntry},
		{"POST /api/v1/security/entries/{id}", "triage-vulnerability", s.apiTriage},
		{"GET /api/v1/security/openvex.json", "", s.apiOpenVEX},
	}
}

func (s *Server) apiRoutes(mux *http.ServeMux) {
	self := selfRoutes()
	for _, rt := range s.apiTable() {
		h := rt.h
		if p, ok := self[rt.pattern]; ok && rt.action != "" {
			h = s.authorizedOrSelf(rt.action, p, h)
		} else if rt.action != "" {
			h = s.authorized(rt.action, h)
		}
		mux.HandleFunc(rt.pattern, s.api(h))
	}
	mux.HandleFunc("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		// A known path with another method is a 405 that says which
		// methods it takes; anything else is a 404.
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/api/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return catalog.Errorf(errMethod, "%s takes %s, not %s", r.URL.Path, strings.Join(allow, " or "), r.Method)
		}
		return catalog.Errorf(catalog.ErrNotFound, "no API endpoint %s %s (see docs/api.md)", r.Method, r.URL.Path)
	}))
}

// decode reads a JSON body of at most 1 MiB into v, refusing unknown fields.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return catalog.Errorf(catalog.ErrInvalid, "the request body is not the JSON expected: %v", err)
	}
	return nil
}

func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request) error {
	acc := actor(r)
	name := r.URL.Query().Get("filename")
	if name == "" {
		name = "upload"
	}
	// Only for messages: the stored name is made from the header.
	name = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return -1
		}
		return c
	}, name)
	if len(name) > 255 {
		name = name[:255]
	}
	limit := s.cat.MaxUpload
	if limit == 0 {
		limit = catalog.DefaultMaxUpload
	}
	if r.ContentLength > limit {
		return catalog.Errorf(catalog.ErrTooLarge, "%s is %d bytes, more than the upload limit of %d bytes", name, r.ContentLength, limit)
	}
	// Choosing a build's category skips the promotion gates, and a new
	// version inheriting core's category would be signed on the way in:
	// both are for those who may manage releases or sign. Everybody
	// else's new builds start where the policy says (dev).
	category := r.URL.Query().Get("category")
	trusted := s.may(acc, "manage-release") == nil || s.may(acc, "sign") == nil
	switch {
	case category != "" && category != s.policy.NewBuildCategory && !trusted:
		return catalog.Errorf(errForbidden, "account %s may not choose the category %q of an upload: new builds start in %s and move by promotion", acc.Name, category, s.policy.NewBuildCategory)
	case category == "" && !trusted:
		category = s.policy.NewBuildCategory
	}
	body := http.MaxBytesReader(w, r.Body, limit+1)
	a, created, err := s.cat.IngestAs(r.Context(), body, name, acc.Name, category)
	if err != nil {
		return err
	}
	// Every build belongs to a project: the one named after its source
	// package, made on its first upload with the uploader as maintainer.
	if created && s.promote != nil {
		if err := s.promote.JoinProject(r.Context(), a.BuildID, acc.Name); err != nil {
			return err
		}
	}
	// Builds of infra and core are signed as they enter those categories.
	if s.signing != nil {
		if err := s.signing.SignIfRequired(r.Context(), a.BuildID, acc.Name); err != nil {
			return err
		}
		if a, _, err = s.store.Artifact(r.Context(), a.SHA256); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"created": created, "package": a})
	return nil
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n
	}
	return def
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rows, total, err := s.store.SearchPackages(r.Context(), catalog.Query{
		Text: q.Get("q"), Release: q.Get("release"), Channel: q.Get("channel"), Arch: q.Get("arch"),
		Limit: atoiDefault(q.Get("limit"), 100), Offset: atoiDefault(q.Get("offset"), 0),
	})
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []catalog.PackageRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "packages": rows})
	return nil
}

func (s *Server) apiPackage(w http.ResponseWriter, r *http.Request) error {
	a, d, err := s.store.Artifact(r.Context(), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"package": a, "details": d})
	return nil
}

func (s *Server) apiBuilds(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	bs, err := s.store.Builds(r.Context(), q.Get("q"), atoiDefault(q.Get("limit"), 100), atoiDefault(q.Get("offset"), 0))
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []catalog.Build{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"builds": bs})
	return nil
}

func (s *Server) apiBuild(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.Build(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) apiReleases(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.store.Releases(r.Context())
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []catalog.Release{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"releases": rs})
	return nil
}

type createReleaseReq struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	BaseOS  string   `json:"base_os"`
	Arches  []string `json:"arches"`
	EOL     string   `json:"eol"` // YYYY-MM-DD; default: the base OS's
}

func (s *Server) apiCreateRelease(w http.ResponseWriter, r *http.Request) error {
	var req createReleaseReq
	if err := decode(r, &req); err != nil {
		return err
	}
	spec := release.Spec{Name: req.Name, Version: req.Version, BaseOS: req.BaseOS, Arches: req.Arches}
	if req.EOL != "" {
		t, err := time.Parse("2006-01-02", req.EOL)
		if err != nil {
			return catalog.Errorf(catalog.ErrInvalid, "eol: %q is not a date like 2029-05-31", req.EOL)
		}
		spec.EOL = t
	}
	rel, err := s.rel.Create(r.Context(), spec)
	if err != nil {
		return err
	}
	chans, err := s.store.Channels(r.Context(), rel.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"release": rel, "channels": chans})
	return nil
}

func (s *Server) apiRelease(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.store.Release(r.Context(), r.PathValue("release"))
	if err != nil {
		return err
	}
	chans, err := s.store.Channels(r.Context(), rel.Name)
	if err != nil {
		return err
	}
	prev, changes, err := s.rel.Changes(r.Context(), rel.Name)
	if err != nil {
		return err
	}
	out := map[string]any{"release": rel, "channels": chans}
	if prev != nil {
		if changes == nil {
			changes = []release.Change{}
		}
		out["previous_release"] = prev.Name
		out["changes"] = changes
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type phaseReq struct {
	Phase string `json:"phase"`
}

func (s *Server) apiSetPhase(w http.ResponseWriter, r *http.Request) error {
	var req phaseReq
	if err := decode(r, &req); err != nil {
		return err
	}
	rel, err := s.rel.SetPhase(r.Context(), r.PathValue("release"), req.Phase)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"release": rel})
	return nil
}

type categoryReq struct {
	Category string `json:"category"`
}

func (s *Server) apiSetCategory(w http.ResponseWriter, r *http.Request) error {
	var req categoryReq
	if err := decode(r, &req); err != nil {
		return err
	}
	acc, _ := s.apiAccount(r)
	b, err := s.cat.SetCategory(r.Context(), r.PathValue("id"), req.Category)
	if err != nil {
		return err
	}
	if s.signing != nil {
		if err := s.signing.SignIfRequired(r.Context(), b.ID, acc.Name); err != nil {
			return err
		}
		if b, err = s.store.Build(r.Context(), b.ID); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

type rollbackReq struct {
	Version int64 `json:"version"`
}

// apiRollback publishes an earlier version of a channel again.
func (s *Server) apiRollback(w http.ResponseWriter, r *http.Request) error {
	var req rollbackReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Version <= 0 {
		return catalog.Errorf(catalog.ErrInvalid, "version: say which earlier version to publish again (1 or more)")
	}
	res, err := s.pub.Publish(r.Context(), r.PathValue("release"), r.PathValue("channel"), req.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiChannels(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.Release(r.Context(), r.PathValue("release")); err != nil {
		return err
	}
	chans, err := s.store.Channels(r.Context(), r.PathValue("release"))
	if err != nil {
		return err
	}
	if chans == nil {
		chans = []catalog.Channel{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": chans})
	return nil
}

type createChannelReq struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Enabled     *bool    `json:"enabled"`
	Arches      []string `json:"arches"`
}

func (s *Server) apiCreateChannel(w http.ResponseWriter, r *http.Request) error {
	var req createChannelReq
	if err := decode(r, &req); err != nil {
		return err
	}
	enabled := req.Enabled == nil || *req.Enabled
	c, err := s.cat.CreateChannel(r.Context(), r.PathValue("release"), req.Name, req.Description, enabled, req.Arches)
	if err != nil {
		return err
	}
	if err := s.publishEmpty(r, c.Release, c.Name); err != nil {
		return err
	}
	if c, err = s.store.Channel(r.Context(), c.Release, c.Name); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiChannel(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Channel(r.Context(), r.PathValue("release"), r.PathValue("channel"))
	if err != nil {
		return err
	}
	builds, err := s.store.ChannelBuilds(r.Context(), c.Release, c.Name, c.Version)
	if err != nil {
		return err
	}
	versions, err := s.store.ChannelVersions(r.Context(), c.Release, c.Name)
	if err != nil {
		return err
	}
	if builds == nil {
		builds = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"channel": c, "builds": builds, "versions": versions,
		"repo_url": s.baseURL(r) + "/repo/" + c.Release + "/" + c.Name + "/"})
	return nil
}

type addBuildsReq struct {
	Builds []string `json:"builds"`
}

func (s *Server) apiAddBuilds(w http.ResponseWriter, r *http.Request) error {
	acc := actor(r)
	var req addBuildsReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.Builds) == 0 {
		return catalog.Errorf(catalog.ErrInvalid, "builds: name at least one build to add")
	}
	v, err := s.cat.ChangeChannel(r.Context(), r.PathValue("release"), r.PathValue("channel"), req.Builds, nil, acc.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiRemoveBuild(w http.ResponseWriter, r *http.Request) error {
	acc := actor(r)
	v, err := s.cat.ChangeChannel(r.Context(), r.PathValue("release"), r.PathValue("channel"), nil, []string{r.PathValue("build")}, acc.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// publishEmpty publishes a new channel's empty version 0, so that every
// channel a .repo file names is a valid repository from the start (dnf
// with skip_if_unavailable=0 fails on one that is missing).
func (s *Server) publishEmpty(r *http.Request, release, channel string) error {
	_, err := s.pub.Publish(r.Context(), release, channel, 0)
	return err
}

type publishReq struct {
	Version int64 `json:"version"`
}

func (s *Server) apiPublish(w http.ResponseWriter, r *http.Request) error {
	var req publishReq
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			return err
		}
	}
	res, err := s.pub.Publish(r.Context(), r.PathValue("release"), r.PathValue("channel"), req.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) needSigning() error {
	if s.signing == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge has no signing key")
	}
	return nil
}

// apiSignBuild signs a build with the active key on request. A build served
// by a frozen channel is refused: a final release's install image never
// changes.
func (s *Server) apiSignBuild(w http.ResponseWriter, r *http.Request) error {
	acc := actor(r)
	if err := s.needSigning(); err != nil {
		return err
	}
	id := r.PathValue("id")
	b, err := s.store.Build(r.Context(), id)
	if err != nil {
		return err
	}
	if b.Category == "base" {
		return catalog.Errorf(catalog.ErrConflict, "build %s is a base package: it keeps its vendor's signature and is never re-signed", id)
	}
	frozen, err := s.store.FrozenChannelsOf(r.Context(), id)
	if err != nil {
		return err
	}
	if len(frozen) > 0 {
		return catalog.Errorf(catalog.ErrConflict, "build %s is in %s, which is frozen (the release is final): it is not re-signed", id, strings.Join(frozen, ", "))
	}
	if b, err = s.signing.SignBuild(r.Context(), id, acc.Name); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) apiKeys(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSigning(); err != nil {
		return err
	}
	ks, err := s.signing.PublicKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": s.signing.Active().KeyID(), "keys": ks})
	return nil
}

type rotateReq struct {
	Type   string `json:"type"`
	UserID string `json:"user_id"`
}

// apiRotateKey makes a new key, re-signs every signed build with it and
// publishes again every published channel that is not frozen.
func (s *Server) apiRotateKey(w http.ResponseWriter, r *http.Request) error {
	acc := actor(r)
	if err := s.needSigning(); err != nil {
		return err
	}
	var req rotateReq
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			return err
		}
	}
	kt, err := sign.ParseKeyType(req.Type)
	if err != nil {
		return catalog.Errorf(catalog.ErrInvalid, "type: %v", err)
	}
	res, err := s.signing.Rotate(r.Context(), kt, req.UserID, acc.Name)
	if err != nil {
		return err
	}
	chans, err := s.store.Channels(r.Context(), "")
	if err != nil {
		return err
	}
	var republished []string
	for _, c := range chans {
		if c.Frozen || c.PublishedAt.IsZero() {
			continue
		}
		if _, err := s.pub.Publish(r.Context(), c.Release, c.Name, c.PublishedVersion); err != nil {
			return fmt.Errorf("publishing %s with the new key: %w", c.ID(), err)
		}
		republished = append(republished, c.ID())
	}
	writeJSON(w, http.StatusOK, map[string]any{"rotation": res, "republished": republished})
	return nil
}

func (s *Server) apiRetireKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSigning(); err != nil {
		return err
	}
	if err := s.signing.Retire(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"retired": r.PathValue("id")})
	return nil
}

// apiCheckRelease runs the policy's checks (dependency closure, layering,
// forks, licences) over a release's channels (?channels=os,updates).
func (s *Server) apiCheckRelease(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.store.Release(r.Context(), r.PathValue("release"))
	if err != nil {
		return err
	}
	var chans []string
	if v := r.URL.Query().Get("channels"); v != "" {
		for _, c := range strings.Split(v, ",") {
			if _, err := s.store.Channel(r.Context(), rel.Name, c); err != nil {
				return err
			}
			chans = append(chans, c)
		}
	}
	rep, err := s.cat.Check(r.Context(), rel.Name, chans)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"release": rel.Name, "channels": chans, "report": rep})
	return nil
}

func (s *Server) needArchive() error {
	if s.archive == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge does not run archive jobs")
	}
	return nil
}

// apiArchiveReport says whether a release can be rebuilt from the source
// archive: binaries of the core distribution without their SRPM, and SRPMs
// whose build requirements the archive and the base do not meet.
func (s *Server) apiArchiveReport(w http.ResponseWriter, r *http.Request) error {
	if err := s.needArchive(); err != nil {
		return err
	}
	rel, err := s.store.Release(r.Context(), r.PathValue("release"))
	if err != nil {
		return err
	}
	rep, err := s.archive.Report(r.Context(), rel.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) apiRebuild(w http.ResponseWriter, r *http.Request) error {
	acc := actor(r)
	if err := s.needArchive(); err != nil {
		return err
	}
	rb, err := s.archive.Rebuild(r.Context(), r.PathValue("id"), acc.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rb)
	return nil
}

func (s *Server) apiRebuilds(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.Build(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	rbs, err := s.store.Rebuilds(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if rbs == nil {
		rbs = []catalog.Rebuild{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rebuilds": rbs})
	return nil
}

func (s *Server) apiUpstreams(w http.ResponseWriter, r *http.Request) error {
	us, err := s.store.Upstreams(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []catalog.Upstream{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"upstreams": us})
	return nil
}

type addUpstreamReq struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Key     string `json:"key"`
	Release string `json:"release"`
}

func (s *Server) apiAddUpstream(w http.ResponseWriter, r *http.Request) error {
	var req addUpstreamReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if s.baseos == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge does not sync upstreams")
	}
	u, err := s.baseos.AddUpstream(r.Context(), req.Name, req.URL, req.Key, req.Release)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

type syncReq struct {
	Packages bool `json:"packages"`
}

// apiSyncUpstream fetches an upstream's metadata, verified against its
// key, and with "packages" its packages, each verified.
func (s *Server) apiSyncUpstream(w http.ResponseWriter, r *http.Request) error {
	acc := actor(r)
	var req syncReq
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			return err
		}
	}
	if s.baseos == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge does not sync upstreams")
	}
	res, err := s.baseos.SyncUpstream(r.Context(), r.PathValue("name"), req.Packages, acc.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// apiWhere answers "is package NAME in release R, in which channel and
// version?" over every category, the base OS included.
func (s *Server) apiWhere(w http.ResponseWriter, r *http.Request) error {
	ans, err := s.cat.Where(r.Context(), r.PathValue("release"), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}
