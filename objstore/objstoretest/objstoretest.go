// Package objstoretest is the conformance suite every objstore backend
// passes: Run exercises one Store over a writable prefix through the public
// API only. It imports testing and is meant for tests alone.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// Harness is one backend under test.
type Harness struct {
	// Store is the Store under test; Run does not close it.
	Store *objstore.Store
	// Base is a writable, initially empty prefix URL ending in "/"
	// ("file:///tmp/x/", "mem://b/", "s3://bucket/run1/").
	Base string
	// KnowsSHA256 says the backend reports Attributes.SHA256 for objects
	// written by a single Create smaller than one part.
	KnowsSHA256 bool
	// KeepsMetadata says the backend stores WriteOptions.ContentType and
	// Metadata.
	KeepsMetadata bool
}

// Run runs every conformance test against the backend newHarness makes;
// newHarness is called once per subtest and must return a fresh Base.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"Range", testRange},
		{"List", testList},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Compression", testCompression},
		{"DecompressionCap", testDecompressionCap},
		{"AbortOnCancel", testAbortOnCancel},
		{"ConcurrentReaders", testConcurrentReaders},
		{"EarlyClose", testEarlyClose},
		{"ReadAll", testReadAll},
		{"IfMatch", testIfMatch},
		{"Metadata", testMetadata},
		{"InvalidURL", testInvalidURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if !strings.HasSuffix(h.Base, "/") {
				t.Fatalf("harness Base %q must end in /", h.Base)
			}
			tc.fn(t, h)
		})
	}
}

// payload returns n deterministic pseudo-random bytes.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func write(t *testing.T, h Harness, url string, data []byte, opts *objstore.WriteOptions) {
	t.Helper()
	w, err := h.Store.Create(ctxT(t), url, opts)
	if err != nil {
		t.Fatalf("Create(%q): %v", url, err)
	}
	// Several writes of odd sizes, to cross part boundaries unevenly.
	for rest := data; len(rest) > 0; {
		k := min(len(rest), 100_003)
		if _, err := w.Write(rest[:k]); err != nil {
			t.Fatalf("Write(%q): %v", url, err)
		}
		rest = rest[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close(%q): %v", url, err)
	}
}

func readAll(t *testing.T, h Harness, url string, opts *objstore.ReadOptions) []byte {
	t.Helper()
	r, err := h.Store.Open(ctxT(t), url, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", url, err)
	}
	return b
}

func testRoundTrip(t *testing.T, h Harness) {
	ps := int(h.Store.Options().PartSize)
	for _, tc := range []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one", 1},
		{"small", 1000},
		{"part", ps},
		{"parts", 3*ps + 17},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := h.Base + "rt/" + tc.name + ".bin"
			data := payload(tc.size, uint64(tc.size))
			before := time.Now().Add(-time.Hour)
			write(t, h, url, data, nil)
			a, err := h.Store.Stat(ctxT(t), url)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if a.Size != int64(tc.size) {
				t.Errorf("Stat size = %d, want %d", a.Size, tc.size)
			}
			if a.ETag == "" {
				t.Errorf("Stat ETag empty")
			}
			if a.ModTime.Before(before) || a.ModTime.After(time.Now().Add(time.Hour)) {
				t.Errorf("Stat ModTime = %v, want about now", a.ModTime)
			}
			if a.URL != url {
				t.Errorf("Stat URL = %q, want %q", a.URL, url)
			}
			if h.KnowsSHA256 && tc.size < ps {
				if a.SHA256 != sha256Hex(data) {
					t.Errorf("Stat SHA256 = %q, want %q", a.SHA256, sha256Hex(data))
				}
			} else if a.SHA256 != "" && a.SHA256 != sha256Hex(data) {
				t.Errorf("Stat SHA256 = %q, want %q or empty", a.SHA256, sha256Hex(data))
			}
			r, err := h.Store.Open(ctxT(t), url, nil)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got := r.Attributes(); got.Size != int64(tc.size) || got.ETag != a.ETag {
				t.Errorf("Reader attributes size %d etag %q, want %d %q", got.Size, got.ETag, tc.size, a.ETag)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes differing from the %d written", len(got), len(data))
			}
			if _, err := r.Read(make([]byte, 1)); !errors.Is(err, objstore.ErrClosed) {
				t.Errorf("Read after Close = %v, want ErrClosed", err)
			}
		})
	}
}

func testNotFound(t *testing.T, h Harness) {
	url := h.Base + "missing/object"
	ctx := ctxT(t)
	if _, err := h.Store.Open(ctx, url, nil); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Open = %v, want ErrNotFound", err)
	}
	if _, err := h.Store.OpenRange(ctx, url, 5, 10, nil); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("OpenRange = %v, want ErrNotFound", err)
	}
	if _, err := h.Store.Stat(ctx, url); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Stat = %v, want ErrNotFound", err)
	}
	if err := h.Store.Delete(ctx, url); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Delete = %v, want ErrNotFound", err)
	}
	if _, _, err := h.Store.ReadAll(ctx, url, 10, nil); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("ReadAll = %v, want ErrNotFound", err)
	}
}

func testRange(t *testing.T, h Harness) {
	ps := h.Store.Options().PartSize
	size := 2*ps + 1234
	data := payload(int(size), 7)
	url := h.Base + "range.bin"
	write(t, h, url, data, nil)
	empty := h.Base + "empty.bin"
	write(t, h, empty, nil, nil)
	for _, tc := range []struct {
		name    string
		url     string
		off, n  int64
		want    []byte
		wantErr error
	}{
		{name: "head", url: url, off: 0, n: 10, want: data[:10]},
		{name: "middle", url: url, off: 100, n: 1000, want: data[100:1100]},
		{name: "across parts", url: url, off: ps - 10, n: ps + 20, want: data[ps-10 : 2*ps+10]},
		{name: "to end", url: url, off: ps + 5, n: -1, want: data[ps+5:]},
		{name: "past end is cut", url: url, off: size - 3, n: 100, want: data[size-3:]},
		{name: "whole", url: url, off: 0, n: -1, want: data},
		{name: "at end", url: url, off: size, n: -1, want: []byte{}},
		{name: "at end counted", url: url, off: size, n: 10, want: []byte{}},
		{name: "zero length", url: url, off: 7, n: 0, want: []byte{}},
		{name: "beyond end", url: url, off: size + 1, n: 1, wantErr: objstore.ErrInvalidRange},
		{name: "zero length beyond end", url: url, off: size + 1, n: 0, wantErr: objstore.ErrInvalidRange},
		{name: "negative offset", url: url, off: -1, n: 1, wantErr: objstore.ErrInvalidRange},
		{name: "empty object", url: empty, off: 0, n: 10, want: []byte{}},
		{name: "empty object whole", url: empty, off: 0, n: -1, want: []byte{}},
		{name: "empty object beyond", url: empty, off: 1, n: -1, wantErr: objstore.ErrInvalidRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := h.Store.OpenRange(ctxT(t), tc.url, tc.off, tc.n, nil)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					if err == nil {
						r.Close()
					}
					t.Fatalf("OpenRange(%d, %d) = %v, want %v", tc.off, tc.n, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenRange(%d, %d): %v", tc.off, tc.n, err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes, want %d (content differs: %v)", len(got), len(tc.want), len(got) == len(tc.want))
			}
		})
	}
}

func testList(t *testing.T, h Harness) {
	keys := []string{"a/1", "a/2.zst", "a/b/3", "ab/4", "c"}
	for i, k := range keys {
		write(t, h, h.Base+"ls/"+k, payload(i+1, uint64(i)), &objstore.WriteOptions{Compression: objstore.CodecNone})
	}
	for _, tc := range []struct {
		name   string
		prefix string
		want   []string
	}{
		{"dir", "ls/a/", []string{"a/1", "a/2.zst", "a/b/3"}},
		{"partial", "ls/a", []string{"a/1", "a/2.zst", "a/b/3", "ab/4"}},
		{"all", "ls/", keys},
		{"deep", "ls/a/b/", []string{"a/b/3"}},
		{"none", "ls/zzz/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.Store.List(ctxT(t), h.Base+tc.prefix)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var urls []string
			for _, a := range got {
				urls = append(urls, a.URL)
				rel := strings.TrimPrefix(a.URL, h.Base+"ls/")
				var idx = -1
				for i, k := range keys {
					if k == rel {
						idx = i
					}
				}
				if idx < 0 {
					t.Errorf("List returned unexpected %q", a.URL)
					continue
				}
				if a.Size != int64(idx+1) {
					t.Errorf("%s: size %d, want %d", a.URL, a.Size, idx+1)
				}
				// The URL must be openable as is.
				if b := readAll(t, h, a.URL, nil); len(b) != idx+1 {
					t.Errorf("%s: read %d bytes, want %d", a.URL, len(b), idx+1)
				}
			}
			var want []string
			for _, k := range tc.want {
				want = append(want, h.Base+"ls/"+k)
			}
			if fmt.Sprint(urls) != fmt.Sprint(want) {
				t.Errorf("List(%q) = %v, want %v", tc.prefix, urls, want)
			}
		})
	}
}

func testOverwrite(t *testing.T, h Harness) {
	url := h.Base + "ow.bin"
	write(t, h, url, []byte("first version"), nil)
	a1, err := h.Store.Stat(ctxT(t), url)
	if err != nil {
		t.Fatal(err)
	}
	write(t, h, url, []byte("second, longer version"), nil)
	a2, err := h.Store.Stat(ctxT(t), url)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, h, url, nil); string(got) != "second, longer version" {
		t.Errorf("after overwrite read %q", got)
	}
	if a1.ETag == a2.ETag {
		t.Errorf("ETag unchanged by overwrite: %q", a1.ETag)
	}
}

func testDelete(t *testing.T, h Harness) {
	url := h.Base + "del.bin"
	write(t, h, url, []byte("x"), nil)
	if err := h.Store.Delete(ctxT(t), url); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := h.Store.Stat(ctxT(t), url); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
	}
}

func testCompression(t *testing.T, h Harness) {
	data := bytes.Repeat(payload(5000, 3), 40)
	for _, tc := range []struct {
		name  string
		key   string
		codec objstore.Codec
		want  objstore.Codec
	}{
		{"zst by extension", "c/x.zst", objstore.CodecAuto, objstore.CodecZstd},
		{"gz by extension", "c/x.gz", objstore.CodecAuto, objstore.CodecGzip},
		{"s2 by extension", "c/x.s2", objstore.CodecAuto, objstore.CodecS2},
		{"zstd by option", "c/y.bin", objstore.CodecZstd, objstore.CodecZstd},
		{"gzip by option", "c/y.npy", objstore.CodecGzip, objstore.CodecGzip},
		{"none by option on .zst", "c/raw.zst.txt", objstore.CodecNone, objstore.CodecNone},
		{"plain key", "c/plain.bin", objstore.CodecAuto, objstore.CodecNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := h.Base + tc.key
			write(t, h, url, data, &objstore.WriteOptions{Compression: tc.codec})
			raw := readAll(t, h, url, nil)
			if got := objstore.DetectCodec(raw); got != tc.want {
				t.Errorf("stored bytes are %v, want %v", got, tc.want)
			}
			if tc.want != objstore.CodecNone && len(raw) >= len(data) {
				t.Errorf("stored %d bytes for %d of repetitive input", len(raw), len(data))
			}
			if got := readAll(t, h, url, &objstore.ReadOptions{Decompress: true}); !bytes.Equal(got, data) {
				t.Errorf("decompressed read differs (%d bytes, want %d)", len(got), len(data))
			}
		})
	}
	t.Run("extension without magic", func(t *testing.T) {
		url := h.Base + "c/lying.gz"
		write(t, h, url, []byte("not gzip at all"), &objstore.WriteOptions{Compression: objstore.CodecNone})
		r, err := h.Store.Open(ctxT(t), url, &objstore.ReadOptions{Decompress: true})
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		if !errors.Is(err, objstore.ErrCorrupt) {
			t.Errorf("got %v, want ErrCorrupt", err)
		}
	})
}

func testDecompressionCap(t *testing.T, h Harness) {
	for _, codec := range []objstore.Codec{objstore.CodecZstd, objstore.CodecGzip, objstore.CodecS2} {
		t.Run(codec.String(), func(t *testing.T) {
			url := h.Base + "bomb-" + codec.String()
			write(t, h, url, make([]byte, 4<<20), &objstore.WriteOptions{Compression: codec})
			r, err := h.Store.Open(ctxT(t), url, &objstore.ReadOptions{Decompress: true, MaxDecodedBytes: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n, err := io.Copy(io.Discard, r)
			if !errors.Is(err, objstore.ErrTooLarge) {
				t.Fatalf("read %d bytes, err %v; want ErrTooLarge", n, err)
			}
			if n > 1<<20 {
				t.Errorf("returned %d bytes beyond the cap of %d", n, 1<<20)
			}
			// Exactly at the cap is fine.
			r2, err := h.Store.Open(ctxT(t), url, &objstore.ReadOptions{Decompress: true, MaxDecodedBytes: 4 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer r2.Close()
			if n, err := io.Copy(io.Discard, r2); err != nil || n != 4<<20 {
				t.Errorf("at the cap: %d bytes, %v", n, err)
			}
		})
	}
}

func testAbortOnCancel(t *testing.T, h Harness) {
	url := h.Base + "aborted.bin"
	ctx, cancel := context.WithCancel(ctxT(t))
	w, err := h.Store.Create(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(payload(1000, 1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); err == nil {
		t.Fatal("Close after cancel succeeded")
	}
	if _, err := h.Store.Stat(ctxT(t), url); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Stat after aborted write = %v, want ErrNotFound", err)
	}
	// A write that is closed normally is not touched by a later cancel.
	ctx2, cancel2 := context.WithCancel(ctxT(t))
	write2, err := h.Store.Create(ctx2, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	write2.Write([]byte("kept"))
	if err := write2.Close(); err != nil {
		t.Fatal(err)
	}
	cancel2()
	if got := readAll(t, h, url, nil); string(got) != "kept" {
		t.Errorf("read %q, want kept", got)
	}
}

func testConcurrentReaders(t *testing.T, h Harness) {
	ps := int(h.Store.Options().PartSize)
	data := payload(2*ps+99, 11)
	url := h.Base + "conc.bin"
	write(t, h, url, data, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			off := int64(i * 1000)
			r, err := h.Store.OpenRange(ctxT(t), url, off, -1, nil)
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, data[off:]) {
				errs <- fmt.Errorf("reader %d: content differs", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testEarlyClose(t *testing.T, h Harness) {
	ps := int(h.Store.Options().PartSize)
	data := payload(4*ps+1, 13)
	url := h.Base + "early.bin"
	write(t, h, url, data, nil)
	for i := range 3 {
		r, err := h.Store.Open(ctxT(t), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100+i*ps)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, data[:len(buf)]) {
			t.Fatal("prefix differs")
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func testReadAll(t *testing.T, h Harness) {
	url := h.Base + "ra.bin"
	data := payload(5000, 5)
	write(t, h, url, data, nil)
	got, a, err := h.Store.ReadAll(ctxT(t), url, 5000, nil)
	if err != nil || !bytes.Equal(got, data) || a.Size != 5000 {
		t.Errorf("ReadAll at limit: %d bytes, size %d, %v", len(got), a.Size, err)
	}
	if _, _, err := h.Store.ReadAll(ctxT(t), url, 4999, nil); !errors.Is(err, objstore.ErrTooLarge) {
		t.Errorf("ReadAll over limit = %v, want ErrTooLarge", err)
	}
}

func testIfMatch(t *testing.T, h Harness) {
	url := h.Base + "im.bin"
	write(t, h, url, []byte("v1"), nil)
	a, err := h.Store.Stat(ctxT(t), url)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := h.Store.ReadAll(ctxT(t), url, 10, &objstore.ReadOptions{IfMatch: a.ETag}); err != nil || string(got) != "v1" {
		t.Errorf("matching IfMatch: %q, %v", got, err)
	}
	if _, err := h.Store.Open(ctxT(t), url, &objstore.ReadOptions{IfMatch: `"not-the-etag"`}); !errors.Is(err, objstore.ErrChanged) {
		t.Errorf("stale IfMatch = %v, want ErrChanged", err)
	}
}

func testMetadata(t *testing.T, h Harness) {
	if !h.KeepsMetadata {
		t.Skip("backend does not store metadata")
	}
	url := h.Base + "md.json"
	write(t, h, url, []byte("{}"), &objstore.WriteOptions{ContentType: "application/json", Metadata: map[string]string{"model": "m1"}})
	a, err := h.Store.Stat(ctxT(t), url)
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentType != "application/json" || a.Metadata["model"] != "m1" {
		t.Errorf("content type %q metadata %v", a.ContentType, a.Metadata)
	}
}

func testInvalidURL(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name string
		url  string
		want error
	}{
		{"empty", "", objstore.ErrInvalidURL},
		{"no bucket", "s3:///key", objstore.ErrInvalidURL},
		{"no key", "s3://bucket/", objstore.ErrInvalidURL},
		{"unknown scheme", "gopher://x/y", objstore.ErrUnsupported},
		{"nul", h.Base + "a\x00b", objstore.ErrInvalidURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h.Store.Open(ctxT(t), tc.url, nil); !errors.Is(err, tc.want) {
				t.Errorf("Open(%q) = %v, want %v", tc.url, err, tc.want)
			}
		})
	}
}
