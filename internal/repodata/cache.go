package repodata

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The createrepo cache lives beside the packages in a hidden folder (the
// scan skips hidden folders). It keeps, per file, what identifies it (path,
// size, mtime) and its rendered fragments, and the compressed chunks of the
// last write. It is advisory: when it is missing, from another version or
// inconsistent, every package is read again.
const (
	cacheDir   = ".smeforge"
	cacheFile  = "createrepo.cache"
	cacheMagic = "SMEFORGE-CREATEREPO-CACHE 2\n"
)

func cachePath(dir string) string { return filepath.Join(dir, cacheDir, cacheFile) }

type cachedPkg struct {
	Href   string
	Size   int64
	MTime  int64
	ID     string
	Digest [32]byte
	Off    int64
	Lens   [3]int
}

type cachedChunk struct {
	Key  [32]byte
	N    int
	Off  int64
	Lens [3]int
}

type cacheIndex struct {
	Compression    Compression
	ChangelogLimit int
	Packages       []cachedPkg
	Chunks         []cachedChunk
	DataSize       int64
}

type cacheData struct {
	data   []byte
	pkgs   map[string]*cachedPkg
	chunks ChunkSet
}

func (c *cacheData) fragments(p *cachedPkg) Fragments {
	b := c.data[p.Off:]
	a, f := p.Lens[0], p.Lens[1]
	return Fragments{
		Primary:   b[:a:a],
		Filelists: b[a : a+f : a+f],
		Other:     b[a+f : a+f+p.Lens[2] : a+f+p.Lens[2]],
	}
}

func loadCache(path string, opt Options) (*cacheData, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no cache yet at %s", path)
		}
		return nil, fmt.Errorf("reading cache: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte(cacheMagic)) || len(raw) < len(cacheMagic)+8 {
		return nil, fmt.Errorf("cache %s is from another version", path)
	}
	raw = raw[len(cacheMagic):]
	n := binary.BigEndian.Uint64(raw)
	raw = raw[8:]
	if n > uint64(len(raw)) {
		return nil, fmt.Errorf("cache %s is truncated", path)
	}
	var idx cacheIndex
	if err := gob.NewDecoder(bytes.NewReader(raw[:n])).Decode(&idx); err != nil {
		return nil, fmt.Errorf("decoding cache %s: %w", path, err)
	}
	data := raw[n:]
	if int64(len(data)) != idx.DataSize {
		return nil, fmt.Errorf("cache %s is truncated", path)
	}
	if idx.Compression != opt.Compression || idx.ChangelogLimit != opt.ChangelogLimit {
		return nil, fmt.Errorf("cache %s was made with other options", path)
	}
	c := &cacheData{data: data, pkgs: make(map[string]*cachedPkg, len(idx.Packages)), chunks: make(ChunkSet, len(idx.Chunks))}
	within := func(off int64, lens [3]int) bool {
		end := off + int64(lens[0]) + int64(lens[1]) + int64(lens[2])
		return off >= 0 && lens[0] >= 0 && lens[1] >= 0 && lens[2] >= 0 && end <= int64(len(data))
	}
	for i := range idx.Packages {
		p := &idx.Packages[i]
		if !within(p.Off, p.Lens) {
			return nil, fmt.Errorf("cache %s is inconsistent", path)
		}
		c.pkgs[p.Href] = p
	}
	for _, ch := range idx.Chunks {
		if !within(ch.Off, ch.Lens) {
			return nil, fmt.Errorf("cache %s is inconsistent", path)
		}
		b := data[ch.Off:]
		a, f := ch.Lens[0], ch.Lens[1]
		c.chunks[ch.Key] = &Chunk{Key: ch.Key, N: ch.N, Data: [3][]byte{b[:a:a], b[a : a+f : a+f], b[a+f : a+f+ch.Lens[2] : a+f+ch.Lens[2]]}}
	}
	return c, nil
}

func saveCache(path string, opt Options, files []found, entries []Entry, chunks ChunkSet) error {
	idx := cacheIndex{Compression: opt.Compression, ChangelogLimit: opt.ChangelogLimit}
	var off int64
	idx.Packages = make([]cachedPkg, len(entries))
	for i, e := range entries {
		l := [3]int{len(e.Frag.Primary), len(e.Frag.Filelists), len(e.Frag.Other)}
		idx.Packages[i] = cachedPkg{Href: e.Key, Size: files[i].size, MTime: files[i].mtime, ID: e.ID, Digest: e.Digest, Off: off, Lens: l}
		off += int64(l[0] + l[1] + l[2])
	}
	chunkList := make([]*Chunk, 0, len(chunks))
	for _, ch := range chunks {
		l := [3]int{len(ch.Data[0]), len(ch.Data[1]), len(ch.Data[2])}
		idx.Chunks = append(idx.Chunks, cachedChunk{Key: ch.Key, N: ch.N, Off: off, Lens: l})
		chunkList = append(chunkList, ch)
		off += int64(l[0] + l[1] + l[2])
	}
	idx.DataSize = off
	var ib bytes.Buffer
	if err := gob.NewEncoder(&ib).Encode(&idx); err != nil {
		return fmt.Errorf("encoding cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating cache folder: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-cache-*")
	if err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(cacheMagic)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(ib.Len()))
	w.Write(n[:])
	w.Write(ib.Bytes())
	for _, e := range entries {
		w.Write(e.Frag.Primary)
		w.Write(e.Frag.Filelists)
		w.Write(e.Frag.Other)
	}
	for _, ch := range chunkList {
		w.Write(ch.Data[0])
		w.Write(ch.Data[1])
		w.Write(ch.Data[2])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing cache: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	return nil
}
