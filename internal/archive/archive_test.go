package archive_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smeserver/smeforge/internal/archive"
	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/release"
	"github.com/smeserver/smeforge/internal/store/sqlstore"
	"github.com/smeserver/smeforge/internal/testutil"
)

func TestReportAndRebuild(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bl, _ := blob.NewDir(filepath.Join(dir, "blobs"))
	cat := &catalog.Service{Store: st, Blobs: catalog.LocalBlobs(bl)}
	files, err := corpus.Demo(filepath.Join(dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	builds := map[string]bool{}
	for _, f := range files {
		// The lib build loses its SRPM: the report must say so.
		if strings.Contains(f, "smeforge-demo-lib-1") && strings.HasSuffix(f, ".src.rpm") {
			continue
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := cat.IngestAs(ctx, fh, filepath.Base(f), "t", "core")
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		builds[a.BuildID] = true
	}
	if _, err := (&release.Service{Store: st}).Create(ctx, release.Spec{Name: "10", BaseOS: "Rocky Linux 8"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range builds {
		ids = append(ids, id)
	}
	if _, err := cat.ChangeChannel(ctx, "10", "os", ids, nil, "t"); err != nil {
		t.Fatal(err)
	}
	svc := &archive.Service{Store: st, Blobs: bl, SignedCategory: func(c string) bool { return c == "core" || c == "infra" }}
	rep, err := svc.Report(ctx, "10")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.NoSource) != 1 || rep.NoSource[0].Build != "smeforge-demo-lib-1.2.3-1.el7.sme" {
		t.Errorf("no-source findings = %+v, want the lib build", rep.NoSource)
	}
	if rep.SRPMs != 5 {
		t.Errorf("SRPMs = %d, want 5", rep.SRPMs)
	}

	testutil.RequireTool(t, "rpmbuild")
	rb, err := svc.Rebuild(ctx, "smeforge-demo-hello-1.0-1.el7.sme", "t")
	if err != nil {
		t.Fatal(err)
	}
	if !rb.OK || len(rb.Produced) != 1 || !strings.HasPrefix(rb.Produced[0], "smeforge-demo-hello-1.0-1") {
		t.Errorf("rebuild = ok %v produced %v\n%s", rb.OK, rb.Produced, rb.Log)
	}
	recs, err := st.Rebuilds(ctx, "smeforge-demo-hello-1.0-1.el7.sme")
	if err != nil || len(recs) != 1 || recs[0].ID != rb.ID {
		t.Errorf("recorded rebuilds = %+v, %v", recs, err)
	}
	if _, err := svc.Rebuild(ctx, "smeforge-demo-lib-1.2.3-1.el7.sme", "t"); err == nil || !strings.Contains(err.Error(), "no source package") {
		t.Errorf("rebuilding a build without its SRPM: %v", err)
	}
}
