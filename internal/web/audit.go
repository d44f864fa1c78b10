package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/smeserver/smeforge/internal/audit"
)

// Auditor is what the web layer needs to log the changes made through
// routes whose domain code does not log them itself.
type Auditor interface {
	audit.Recorder
	audit.Reader
}

// bodyRecorder keeps the start of a JSON response, for the audit entry.
type bodyRecorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (w *bodyRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *bodyRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := 64<<10 - w.buf.Len(); room > 0 {
		w.buf.Write(b[:min(room, len(b))])
	}
	return w.ResponseWriter.Write(b)
}

func (w *bodyRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recorded logs a successful change made by h in the audit log: who, which
// route, and for each build it touched the build's state before and after
// (those entries are public: they are the build's history). Routes whose
// domain code writes its own entries, in the same transaction as the
// change, do not use it.
func (s *Server) recorded(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.audit == nil {
			return h(w, r)
		}
		// Keep the start of a JSON body to see which builds it names; the
		// handler still reads the whole body. Uploads (RPM files) are not
		// JSON.
		var reqBody []byte
		if r.Body != nil && r.Pattern != "POST /api/v1/packages" {
			reqBody, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(reqBody), r.Body), r.Body}
		}
		builds := s.touchedBuilds(r, reqBody, nil)
		before := map[string]map[string]any{}
		for _, b := range builds {
			before[b] = s.buildState(r, b)
		}
		rec := &bodyRecorder{ResponseWriter: w}
		if err := h(rec, r); err != nil {
			return err
		}
		if rec.status >= 400 {
			return nil
		}
		a := actor(r)
		who := ""
		if a != nil {
			who = a.Name
		}
		action := strings.TrimPrefix(r.Pattern, r.Method+" ")
		for _, b := range s.touchedBuilds(r, reqBody, rec.buf.Bytes()) {
			after := s.buildState(r, b)
			if rel, ch := r.PathValue("release"), r.PathValue("channel"); after != nil && rel != "" && ch != "" {
				after["channel"] = rel + "/" + ch
			}
			s.record(r, audit.Event{Actor: who, Action: r.Method + " " + action, Subject: "build:" + b, Public: true,
				Before: audit.JSON(before[b]), After: audit.JSON(after)})
		}
		subject := r.URL.Path
		if rel, ch := r.PathValue("release"), r.PathValue("channel"); rel != "" && ch != "" {
			subject = "channel:" + rel + "/" + ch
		} else if rel != "" {
			subject = "release:" + rel
		}
		if !strings.HasPrefix(subject, "/api/v1/builds/") && !strings.HasPrefix(subject, "/api/v1/packages") {
			var after json.RawMessage
			if json.Valid(rec.buf.Bytes()) {
				after = bytes.TrimSpace(rec.buf.Bytes())
			}
			s.record(r, audit.Event{Actor: who, Action: r.Method + " " + action, Subject: subject,
				Public: strings.HasPrefix(subject, "channel:") || strings.HasPrefix(subject, "release:"), After: after})
		}
		return nil
	}
}

func (s *Server) record(r *http.Request, e audit.Event) {
	e.At = s.now()
	if err := s.audit.Record(r.Context(), e); err != nil {
		// The change is made; losing its log line must not go unnoticed.
		s.log.Error("audit log append failed", "id", requestID(r), "subject", e.Subject, "err", err)
	}
}

// touchedBuilds lists the builds a request changes: from the path, from a
// JSON body's "builds", or from the response of an upload.
func (s *Server) touchedBuilds(r *http.Request, reqBody, resp []byte) []string {
	var out []string
	if id := r.PathValue("id"); id != "" && strings.HasPrefix(r.URL.Path, "/api/v1/builds/") {
		out = append(out, id)
	}
	if b := r.PathValue("build"); b != "" {
		out = append(out, b)
	}
	var req struct {
		Builds []string `json:"builds"`
	}
	if json.Unmarshal(reqBody, &req) == nil {
		out = append(out, req.Builds...)
	}
	var up struct {
		Created bool `json:"created"`
		Package struct {
			Build string `json:"build"`
		} `json:"package"`
	}
	if resp != nil && json.Unmarshal(resp, &up) == nil && up.Created && up.Package.Build != "" {
		out = append(out, up.Package.Build)
	}
	return out
}

// buildState is what an audit entry shows of a build: its category and
// how each file is signed.
func (s *Server) buildState(r *http.Request, id string) map[string]any {
	b, err := s.store.Build(r.Context(), id)
	if err != nil {
		return nil
	}
	files := map[string]string{}
	for _, a := range b.Artifacts {
		files[a.Filename] = a.SigKeyID
	}
	return map[string]any{"category": b.Category, "has_source": b.HasSource, "signatures": files}
}
