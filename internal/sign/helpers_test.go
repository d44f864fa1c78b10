package sign

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smeserver/smeforge/internal/corpus"
	"github.com/smeserver/smeforge/internal/testutil"
)

// clock is the fixed time test signatures are made at.
var clock = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// testKeys caches generated keys: RSA generation takes a second or more.
var testKeys = struct {
	sync.Mutex
	m map[string]*Key
}{m: map[string]*Key{}}

// testKey returns a generated key of the type, one per (type, slot): slot
// tells keys apart for rotation tests. RSA keys are 2048 bits to keep the
// tests quick; TestGenerateKeyDefaults checks the 4096-bit default.
func testKey(t testing.TB, typ KeyType, slot int) *Key {
	t.Helper()
	testKeys.Lock()
	defer testKeys.Unlock()
	id := fmt.Sprintf("%s/%d", typ, slot)
	if k, ok := testKeys.m[id]; ok {
		return k
	}
	k, err := GenerateKey(KeyOptions{Type: typ, Bits: 2048, UserID: fmt.Sprintf("Test %s %d <test%d@example.org>", typ, slot, slot), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	k.Now = clock
	testKeys.m[id] = k
	return k
}

// keyringOf is a keyring holding the keys' public halves.
func keyringOf(t testing.TB, keys ...Signer) *Keyring {
	t.Helper()
	kr := NewKeyring()
	for _, k := range keys {
		if err := kr.Add(k.PublicKey()); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

// corpusRPM writes a small package with internal/corpus; compressor ""
// is corpus's default (gzip).
func corpusRPM(t testing.TB, name, compressor string) []byte {
	t.Helper()
	var buf bytes.Buffer
	spec := corpus.PackageSpec{
		Name: name, Version: "1.0", Release: "1", Arch: "noarch", License: "GPL-2.0-or-later",
		Summary: "A package to sign", Description: "Signed by the tests of internal/sign.",
		BuildTime: time.Unix(1700000000, 0), Compressor: compressor,
		Files: []corpus.File{
			{Path: "/usr/share/" + name + "/data", Content: bytes.Repeat([]byte("smeforge signs "), 4000)},
			{Path: "/etc/" + name + ".conf", Content: []byte("x=1\n"), Flags: corpus.FileConfig},
		},
	}
	if err := corpus.WriteRPM(&buf, spec); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sharedFile returns the path of a file of ../shared/testdata, skipping
// (or failing under CI) when ../shared is missing.
func sharedFile(t testing.TB, elem ...string) string {
	t.Helper()
	return testutil.SharedTestdata(t, elem...)
}
