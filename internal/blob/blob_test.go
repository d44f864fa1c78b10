package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestStageCommit(t *testing.T) {
	ctx := context.Background()
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello blob")
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	for i := 0; i < 2; i++ { // the second time is a no-op
		st, err := d.Stage(ctx, bytes.NewReader(data), 100)
		if err != nil {
			t.Fatal(err)
		}
		if st.SHA256 != want || st.Size != int64(len(data)) {
			t.Fatalf("staged %s/%d", st.SHA256, st.Size)
		}
		if err := st.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	f, info, err := d.Open(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) || info.Size != int64(len(data)) {
		t.Errorf("read back %q", got)
	}
	n := 0
	d.List(ctx, func(string) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d blobs listed, want 1", n)
	}
	tmp, _ := os.ReadDir(filepath.Join(d.Root(), "tmp"))
	if len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestStageLimitsAndDiscard(t *testing.T) {
	ctx := context.Background()
	d, _ := NewDir(t.TempDir())
	if _, err := d.Stage(ctx, bytes.NewReader(make([]byte, 101)), 100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("101 bytes with a limit of 100: %v", err)
	}
	st, err := d.Stage(ctx, bytes.NewReader([]byte("x")), 100)
	if err != nil {
		t.Fatal(err)
	}
	st.Discard()
	tmp, _ := os.ReadDir(filepath.Join(d.Root(), "tmp"))
	n := 0
	d.List(ctx, func(string) error { n++; return nil })
	if len(tmp) != 0 || n != 0 {
		t.Errorf("after discard: %d temp files, %d blobs", len(tmp), n)
	}
}

func TestDigestsArePathsOnlyWhenValid(t *testing.T) {
	d, _ := NewDir(t.TempDir())
	for _, bad := range []string{"", "../../etc/passwd", "ABCDEF", string(make([]byte, 64)), "g" + hex.EncodeToString(make([]byte, 31)) + "0"} {
		if _, _, err := d.Open(context.Background(), bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v", bad, err)
		}
		if _, err := d.Path(bad); err == nil {
			t.Errorf("Path(%q) accepted", bad)
		}
	}
}
