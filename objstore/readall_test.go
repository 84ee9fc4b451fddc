package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// heapAllocs returns the bytes the process has allocated on the heap so
// far (runtime/metrics). The growth over a call bounds the call's peak heap
// from above, whatever the GC does meanwhile: nothing can be live that was
// never allocated.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// bomb writes a stream that decodes to n zero bytes (n a multiple of
// 1 MiB) with codec: one frame (zstd, single segment: a 1 MiB window) or
// member (gzip) of 1 MiB of zeros, written n/1MiB times, which decoders
// read as one stream. Building it compresses 1 MiB only.
func bomb(t testing.TB, path string, codec objstore.Codec, n int) {
	t.Helper()
	zeros := make([]byte, 1<<20)
	var frame []byte
	switch codec {
	case objstore.CodecZstd:
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		frame = enc.EncodeAll(zeros, nil)
		enc.Close()
	default:
		frame = compress(t, codec, zeros)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range n >> 20 {
		if _, err := f.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadAllBoundsMemory: ReadAll of hostile objects (a compression bomb
// decoding to 64× the limit, a sparse file 512× the limit) fails with
// ErrTooLarge having allocated no more than the limit plus the decoder's
// own memory; it used to grow a slice past the limit by reallocation
// (about 5× the limit allocated) and read the sparse file up to the limit
// before refusing it. Objects within the limit cost about their size (one
// buffer when stored plain, twice when decoded).
func TestReadAllBoundsMemory(t *testing.T) {
	const limit = 4 << 20
	dir := t.TempDir()
	bomb(t, filepath.Join(dir, "model.tflite.zst"), objstore.CodecZstd, 256<<20)
	bomb(t, filepath.Join(dir, "model.tflite.gz"), objstore.CodecGzip, 256<<20)
	sparse := filepath.Join(dir, "sparse.tflite")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil { // a hole: no disk used
		t.Fatal(err)
	}
	f.Close()
	okData := bytes.Repeat([]byte("model bytes "), limit/12-1)
	if err := os.WriteFile(filepath.Join(dir, "ok.tflite"), okData, 0o644); err != nil {
		t.Fatal(err)
	}
	okZst, err := os.Create(filepath.Join(dir, "ok.tflite.zst"))
	if err != nil {
		t.Fatal(err)
	}
	okZst.Write(compress(t, objstore.CodecZstd, okData[:limit-1<<20])) // the encoder's stream: an 8 MiB window
	okZst.Close()

	s, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The bomb's frames have a 1 MiB window (the encoder's own streams 8
	// MiB); the decoder holds about one window and a block.
	const zstdMem = 2 << 20
	tests := []struct {
		name   string
		file   string
		decode bool
		want   error
		budget uint64
	}{
		{"zstd bomb", "model.tflite.zst", true, objstore.ErrTooLarge, limit + zstdMem},
		{"gzip bomb", "model.tflite.gz", true, objstore.ErrTooLarge, limit + 1<<20},
		{"sparse 2 GiB file", "sparse.tflite", true, objstore.ErrTooLarge, 1 << 20},
		{"sparse 2 GiB file, raw", "sparse.tflite", false, objstore.ErrTooLarge, 1 << 20},
		{"plain within the limit", "ok.tflite", true, nil, 2*limit + 1<<20},
		{"plain within the limit, raw", "ok.tflite", false, nil, limit + 1<<20},
		{"zstd within the limit", "ok.tflite.zst", true, nil, 2*limit + 10<<20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := heapAllocs()
			data, _, err := s.ReadAll(context.Background(), "file://"+filepath.Join(dir, tc.file), limit, &objstore.ReadOptions{Decompress: tc.decode})
			used := heapAllocs() - before
			if tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && err != nil {
				t.Fatalf("ReadAll = %d bytes, %v; want %v", len(data), err, tc.want)
			}
			if tc.want == nil && len(data) == 0 {
				t.Fatal("ReadAll returned no bytes")
			}
			if used > tc.budget {
				t.Fatalf("ReadAll allocated %d bytes (limit %d), want at most %d", used, limit, tc.budget)
			}
			t.Logf("%s: allocated %.1f MiB for a %.0f MiB limit", tc.name, float64(used)/(1<<20), float64(limit)/(1<<20))
		})
	}
}
