package web

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"

	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/security"
)

// maxRecordsUpload bounds one import body: a whole base OS's OSV records
// as one JSON array fit well below it.
const maxRecordsUpload = 256 << 20

func (s *Server) needSecurity() error {
	if s.sec == nil {
		return catalog.Errorf(catalog.ErrNotFound, "this server does not run the vulnerability tracker")
	}
	return nil
}

// apiImportRecords reads one file of records: format=osv|updateinfo|csaf
// (or detected from the content), ecosystem for an updateinfo.xml whose
// updates do not say their release, filename for the problems.
func (s *Server) apiImportRecords(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	q := r.URL.Query()
	name := cleanName(q.Get("filename"))
	if r.ContentLength > maxRecordsUpload {
		return catalog.Errorf(catalog.ErrTooLarge, "%s is %d bytes, more than the limit of %d bytes", name, r.ContentLength, maxRecordsUpload)
	}
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxRecordsUpload))
	format := q.Get("format")
	if format == "" || format == "auto" {
		head, _ := body.Peek(4096)
		format = security.DetectFormat(name, head)
	}
	res, err := s.sec.Import(r.Context(), format, body, name, q.Get("ecosystem"), actor(r).Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// cleanName keeps a client's file name for messages only: printable, short.
func cleanName(name string) string {
	if name == "" {
		return "upload"
	}
	name = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return -1
		}
		return c
	}, name)
	if len(name) > 255 {
		name = name[:255]
	}
	return name
}

func (s *Server) apiRecord(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	rec, err := s.sec.Store.VulnRecord(r.Context(), r.PathValue("source"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"record": rec, "raw": string(rec.Raw)})
	return nil
}

// mayTriage reports whether the caller's token may read the security
// team's private notes.
func (s *Server) mayTriage(r *http.Request) bool {
	a, err := s.apiAccount(r)
	return err == nil && a != nil && s.may(a, "triage-vulnerability") == nil
}

func (s *Server) apiEntries(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	q := r.URL.Query()
	es, err := s.sec.Store.Entries(r.Context(), security.Filter{Release: q.Get("release"), Package: q.Get("package"),
		State: q.Get("state"), Key: q.Get("vulnerability")})
	if err != nil {
		return err
	}
	private := s.mayTriage(r)
	for i := range es {
		if !private {
			es[i] = es[i].Public()
		}
	}
	if es == nil {
		es = []security.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es, "summary": security.Summarize(es)})
	return nil
}

func entryID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, catalog.Errorf(catalog.ErrNotFound, "there is no tracker entry %q", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) apiEntry(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	id, err := entryID(r)
	if err != nil {
		return err
	}
	e, err := s.sec.Store.Entry(r.Context(), id)
	if err != nil {
		return err
	}
	if !s.mayTriage(r) {
		*e = e.Public()
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// apiTriage changes an entry: {"state", "severity", "owner",
// "private_notes", "public_statement", "justification"}, each optional.
func (s *Server) apiTriage(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	id, err := entryID(r)
	if err != nil {
		return err
	}
	var c security.Change
	if err := decode(r, &c); err != nil {
		return err
	}
	e, err := s.sec.Triage(r.Context(), id, c, actor(r).Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiOpenVEX(w http.ResponseWriter, r *http.Request) error {
	if err := s.needSecurity(); err != nil {
		return err
	}
	doc, err := s.sec.OpenVEX(r.Context(), s.baseURL(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
