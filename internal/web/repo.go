package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/publish"
)

// repoRoutes is the route table of the yum/dnf repositories.
func (s *Server) repoRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /repo/{file}", s.repo(s.repoFile))
	mux.HandleFunc("GET /repo/{release}/{channel}/{arch}/repodata/{file}", s.repo(s.repoMetadata))
	mux.HandleFunc("GET /repo/{release}/{channel}/{arch}/Packages/{file}", s.repo(s.repoPackage))
	mux.HandleFunc("GET /repo/{release}/{channel}/{$}", s.repo(s.repoChannelIndex))
	mux.HandleFunc("GET /keys/{file}", s.repo(s.repoKey))
}

// repo adapts handlers for plain-text clients (dnf, curl): errors are a
// line of text, not JSON or HTML.
func (s *Server) repo(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			st := statusOf(err)
			http.Error(w, s.publicMessage(r, err, st), st)
		}
	}
}

var (
	fileRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+^~-]*$`)
	archRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
)

// checkRepoPath validates every path segment before any becomes part of a
// file name.
func checkRepoPath(r *http.Request) (release, channel, arch, file string, err error) {
	release, channel, arch, file = r.PathValue("release"), r.PathValue("channel"), r.PathValue("arch"), r.PathValue("file")
	if err = catalog.ValidName("release", release); err != nil {
		return
	}
	if err = catalog.ValidName("channel", channel); err != nil {
		return
	}
	if arch != "" && !archRe.MatchString(arch) {
		err = catalog.Errorf(catalog.ErrNotFound, "no architecture %q", arch)
		return
	}
	if file != "" && (!fileRe.MatchString(file) || strings.Contains(file, "..")) {
		err = catalog.Errorf(catalog.ErrNotFound, "no file %q", file)
	}
	return
}

func (s *Server) repoMetadata(w http.ResponseWriter, r *http.Request) error {
	release, channel, arch, file, err := checkRepoPath(r)
	if err != nil {
		return err
	}
	path := filepath.Join(s.pub.Dir(release, channel, arch), "repodata", file)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return catalog.Errorf(catalog.ErrNotFound, "%s/%s/%s has no repodata/%s (is the channel published?)", release, channel, arch, file)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := w.Header()
	switch {
	case file == "repomd.xml":
		// Small, and the one file that changes: clients must revalidate.
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "text/xml; charset=utf-8")
		http.ServeContent(w, r, file, st.ModTime(), bytes.NewReader(b))
		return nil
	case strings.HasSuffix(file, ".asc"):
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "text/plain; charset=utf-8")
	default:
		// Named by their checksum: they never change.
		if i := strings.IndexByte(file, '-'); i == 64 {
			h.Set("ETag", `"`+file[:64]+`"`)
		}
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		switch {
		case strings.HasSuffix(file, ".gz"):
			h.Set("Content-Type", "application/gzip")
		case strings.HasSuffix(file, ".zst"):
			h.Set("Content-Type", "application/zstd")
		}
	}
	http.ServeContent(w, r, file, st.ModTime(), f)
	return nil
}

func (s *Server) repoPackage(w http.ResponseWriter, r *http.Request) error {
	release, channel, arch, file, err := checkRepoPath(r)
	if err != nil {
		return err
	}
	a, err := s.store.ChannelFile(r.Context(), release, channel, file)
	if err != nil {
		return err
	}
	if arch == publish.SourceArch {
		if !a.Source {
			return catalog.Errorf(catalog.ErrNotFound, "%s is not a source package", file)
		}
	} else if a.Source || (a.Arch != arch && a.Arch != "noarch") {
		return catalog.Errorf(catalog.ErrNotFound, "%s is not in the %s repository", file, arch)
	}
	sum := a.FileSHA256
	if c, err := s.store.Channel(r.Context(), release, channel); err == nil && c.Frozen {
		// A final release's install image serves the files it was frozen with.
		if sum, err = s.store.FrozenFile(r.Context(), release, channel, file); err != nil {
			return err
		}
	}
	f, info, err := s.blobs.Open(r.Context(), sum)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("ETag", `"`+sum+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Type", "application/x-rpm")
	_ = info
	http.ServeContent(w, r, file, a.UploadedAt, f)
	return nil
}

// dnfName is the repository id SME servers know a channel by.
func dnfName(c *catalog.Channel) string {
	if c.ClientName != "" {
		return c.ClientName
	}
	return "sme" + c.Name
}

// repoFile serves /repo/<release>.repo: every channel of a release as SME
// servers expect them in /etc/yum.repos.d.
func (s *Server) repoFile(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".repo")
	if !ok {
		return catalog.Errorf(catalog.ErrNotFound, "no file %s (try /repo/<release>.repo)", r.PathValue("file"))
	}
	if err := catalog.ValidName("release", name); err != nil {
		return err
	}
	rel, err := s.store.Release(r.Context(), name)
	if err != nil {
		return err
	}
	chans, err := s.store.Channels(r.Context(), rel.Name)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s (base: %s), served by smeforge at %s\n# Save as /etc/yum.repos.d/smeforge-%s.repo\n", rel.Name, rel.BaseOS, s.baseURL(r), rel.Name)
	keys, err := s.keyURLs(r)
	if err != nil {
		return err
	}
	for _, c := range chans {
		if !c.Visible {
			continue // the policy keeps it off servers' lists
		}
		b.WriteString(RepoSection(s.baseURL(r), &c, keys))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprint(w, b.String())
	return nil
}

// RepoSection is one channel's section of a .repo file. keys are the URLs
// of the project's public keys; with them the metadata is always checked
// (repo_gpgcheck), and packages are where the policy has the project sign
// them (os and updates: the core distribution). Contributed packages are
// not signed by the project, so checking them would refuse every one.
func RepoSection(base string, c *catalog.Channel, keys []string) string {
	enabled := 0
	if c.Enabled {
		enabled = 1
	}
	gpg, repoGPG, gpgkey := 0, 0, ""
	if len(keys) > 0 {
		repoGPG = 1
		gpgkey = "gpgkey=" + strings.Join(keys, " ") + "\n"
		if c.RequireSigned {
			gpg = 1
		}
	}
	note := ""
	if len(keys) > 0 && !c.RequireSigned {
		note = "# contributed packages: not signed by the project; only the metadata is checked\n"
	}
	return fmt.Sprintf("\n%s[%s]\nname=%s %s\nbaseurl=%s/repo/%s/%s/$basearch/\nenabled=%d\ngpgcheck=%d\nrepo_gpgcheck=%d\n%sskip_if_unavailable=0\n\n[%s-source]\nname=%s %s (sources)\nbaseurl=%s/repo/%s/%s/source/\nenabled=0\ngpgcheck=%d\nrepo_gpgcheck=%d\n%s",
		note, dnfName(c), c.Release, c.Name, base, c.Release, c.Name, enabled, gpg, repoGPG, gpgkey,
		dnfName(c), c.Release, c.Name, base, c.Release, c.Name, gpg, repoGPG, gpgkey)
}

// keyURLs are the addresses of the public keys servers should trust.
func (s *Server) keyURLs(r *http.Request) ([]string, error) {
	if s.signing == nil {
		return nil, nil
	}
	ks, err := s.signing.PublicKeys(r.Context())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range ks {
		out = append(out, s.baseURL(r)+"/keys/"+k.KeyID+".asc")
	}
	return out, nil
}

// repoKey serves a public key: /keys/KEYID.asc, or RPM-GPG-KEY-smeforge
// with every key still served.
func (s *Server) repoKey(w http.ResponseWriter, r *http.Request) error {
	if s.signing == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this forge has no signing key")
	}
	file := r.PathValue("file")
	ks, err := s.signing.PublicKeys(r.Context())
	if err != nil {
		return err
	}
	var out []byte
	for _, k := range ks {
		if file == "RPM-GPG-KEY-smeforge" || file == k.KeyID+".asc" {
			out = append(out, k.PublicKey...)
		}
	}
	if out == nil {
		return catalog.Errorf(catalog.ErrNotFound, "no key %s (the keys are listed at /api/v1/keys)", file)
	}
	w.Header().Set("Content-Type", "application/pgp-keys")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(out)
	return nil
}

func (s *Server) repoChannelIndex(w http.ResponseWriter, r *http.Request) error {
	release, channel, _, _, err := checkRepoPath(r)
	if err != nil {
		return err
	}
	c, err := s.store.Channel(r.Context(), release, channel)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s/%s: %d builds, version %d, published version %d\nrepositories: %s source\n",
		c.Release, c.Name, c.Builds, c.Version, c.PublishedVersion, strings.Join(c.Arches, " "))
	return nil
}
