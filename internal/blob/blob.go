// Package blob stores artifacts by content: every file is named by its
// SHA-256, written to a temp file, fsync'd and renamed into place, so a
// reader never sees a partial file and the same content is stored once.
// Dir is the embedded backend; an S3 backend satisfies the same methods.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ErrNotFound is returned when no blob has the requested digest.
var ErrNotFound = errors.New("blob not found")

// ErrTooLarge is returned by Put when the content exceeds the limit.
var ErrTooLarge = errors.New("content exceeds the size limit")

// Info describes a stored blob.
type Info struct {
	SHA256  string
	Size    int64
	ModTime time.Time
}

// Dir is a content-addressed blob store in a local folder:
// DIR/ab/cd/abcdef... Safe for concurrent use.
type Dir struct {
	root string
}

// NewDir opens (creating if needed) a blob folder.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("creating blob folder: %w", err)
	}
	return &Dir{root: root}, nil
}

// Root returns the folder.
func (d *Dir) Root() string { return d.root }

// ValidDigest reports whether s is 64 lower-case hex digits: the only
// strings that ever become paths here.
func ValidDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (d *Dir) path(sum string) string {
	return filepath.Join(d.root, sum[:2], sum[2:4], sum)
}

// Stage copies r into a temp file, hashing it, and returns a Staged blob
// that the caller commits or discards: ingest checks the content before it
// becomes part of the store.
func (d *Dir) Stage(ctx context.Context, r io.Reader, limit int64) (*Staged, error) {
	return d.stage(ctx, r, limit)
}

func (d *Dir) stage(ctx context.Context, r io.Reader, limit int64) (*Staged, error) {
	f, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("staging blob: %w", err)
	}
	s := &Staged{d: d, f: f}
	h := sha256.New()
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, src})
	if err != nil {
		s.Discard()
		return nil, fmt.Errorf("staging blob: %w", err)
	}
	if limit > 0 && n > limit {
		s.Discard()
		return nil, ErrTooLarge
	}
	s.Size = n
	s.SHA256 = hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.Discard()
		return nil, fmt.Errorf("staging blob: %w", err)
	}
	return s, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// Staged is content written to a temp file, not yet part of the store.
type Staged struct {
	SHA256 string
	Size   int64
	d      *Dir
	f      *os.File
	done   bool
}

// Digest is the hex SHA-256 of the staged content.
func (s *Staged) Digest() string { return s.SHA256 }

// Read reads the staged content from the start (after Stage).
func (s *Staged) Read(b []byte) (int, error) { return s.f.Read(b) }

// Rewind seeks back to the start of the staged content.
func (s *Staged) Rewind() error {
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

// Commit fsyncs the content and renames it into place. Committing content
// that is already stored is a no-op.
func (s *Staged) Commit() error {
	if s.done {
		return nil
	}
	s.done = true
	defer os.Remove(s.f.Name())
	dst := s.d.path(s.SHA256)
	if _, err := os.Stat(dst); err == nil {
		s.f.Close()
		return nil
	}
	if err := s.f.Sync(); err != nil {
		s.f.Close()
		return fmt.Errorf("storing blob %s: %w", s.SHA256, err)
	}
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("storing blob %s: %w", s.SHA256, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("storing blob %s: %w", s.SHA256, err)
	}
	if err := os.Chmod(s.f.Name(), 0o644); err != nil {
		return fmt.Errorf("storing blob %s: %w", s.SHA256, err)
	}
	if err := os.Rename(s.f.Name(), dst); err != nil {
		return fmt.Errorf("storing blob %s: %w", s.SHA256, err)
	}
	if dir, err := os.Open(filepath.Dir(dst)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// Discard removes the staged content.
func (s *Staged) Discard() {
	if s.done {
		return
	}
	s.done = true
	s.f.Close()
	os.Remove(s.f.Name())
}

// Open opens a blob for reading (it implements io.ReadSeeker for Range
// requests).
func (d *Dir) Open(ctx context.Context, sum string) (io.ReadSeekCloser, Info, error) {
	if !ValidDigest(sum) {
		return nil, Info{}, fmt.Errorf("opening blob %q: %w", sum, ErrNotFound)
	}
	f, err := os.Open(d.path(sum))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, Info{}, fmt.Errorf("opening blob %s: %w", sum, ErrNotFound)
		}
		return nil, Info{}, fmt.Errorf("opening blob %s: %w", sum, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("opening blob %s: %w", sum, err)
	}
	return f, Info{SHA256: sum, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Path returns the local file of a blob, for tools that need a path.
func (d *Dir) Path(sum string) (string, error) {
	if !ValidDigest(sum) {
		return "", fmt.Errorf("blob %q: %w", sum, ErrNotFound)
	}
	return d.path(sum), nil
}

// List calls fn for every stored digest (for fsck and tests).
func (d *Dir) List(ctx context.Context, fn func(sum string) error) error {
	return filepath.WalkDir(d.root, func(p string, de os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			if de.Name() == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		if ValidDigest(de.Name()) {
			return fn(de.Name())
		}
		return nil
	})
}

// Remove deletes a blob (used to undo a commit whose catalog entry was
// refused, and by fsck for unreferenced blobs).
func (d *Dir) Remove(ctx context.Context, sum string) error {
	if !ValidDigest(sum) {
		return fmt.Errorf("removing blob %q: %w", sum, ErrNotFound)
	}
	if err := os.Remove(d.path(sum)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing blob %s: %w", sum, err)
	}
	return nil
}
