//go:build !unix

package repodata

import (
	"fmt"
	"io"
	"os"
)

// mapFile reads the first size bytes of f where mmap is not available.
func mapFile(f *os.File, size int64) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), b); err != nil {
		return nil, fmt.Errorf("reading cache data: %w", err)
	}
	return b, nil
}

func unmapFile([]byte) {}
