package sign

import (
	"context"
	"testing"

	"github.com/smeserver/smeforge/internal/corpus"
)

// BenchmarkSign500 signs 500 generated packages in place, on every core,
// as `smeforge rpm sign` does; scripts/bench-sign.sh compares the command
// with rpmsign. Each iteration re-signs the same files (a key rotation).
func BenchmarkSign500(b *testing.B) {
	paths, err := corpus.Generate(context.Background(), corpus.Options{Dir: b.TempDir(), Count: 500, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opt  KeyOptions
	}{
		{"rsa4096", KeyOptions{Type: KeyRSA, UserID: "Bench <bench@example.org>"}},
		{"eddsa", KeyOptions{Type: KeyEdDSA, UserID: "Bench <bench@example.org>"}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			k, err := GenerateKey(tt.opt)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				for i, err := range SignFiles(context.Background(), paths, k, 0) {
					if err != nil {
						b.Fatalf("%s: %v", paths[i], err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(len(paths)), "ms/package")
		})
	}
}
