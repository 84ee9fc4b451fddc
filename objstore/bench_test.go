package objstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// benchSize is the streamed object size: EDGEINFER_BENCH_MB (default 64).
func benchSize(b *testing.B) int {
	mb := 64
	if s := os.Getenv("EDGEINFER_BENCH_MB"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("EDGEINFER_BENCH_MB=%q", s)
		}
		mb = v
	}
	return mb << 20
}

// benchData returns incompressible bytes (raw) and compressible ones
// (tensor-like: small int8 values with runs) of n bytes.
func benchData(n int, compressible bool) []byte {
	if !compressible {
		return payload(n, 77)
	}
	p := payload(n/16+1, 78)
	out := make([]byte, 0, n)
	for len(out) < n {
		for _, v := range p {
			out = append(out, v%8, v%8, 0, 0, v%4, 0, 0, 0, v%8, v%8, 0, 0, v%4, 0, 0, 0)
			if len(out) >= n {
				break
			}
		}
	}
	return out[:n]
}

func putObject(b *testing.B, s *objstore.Store, url string, data []byte, codec objstore.Codec) {
	w, err := s.Create(context.Background(), url, &objstore.WriteOptions{Compression: codec})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// streamBench reads url fully per iteration; throughput is reported in
// decoded MB/s (b.SetBytes).
func streamBench(b *testing.B, s *objstore.Store, url string, n int, decompress bool) {
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := s.Open(context.Background(), url, &objstore.ReadOptions{Decompress: decompress})
		if err != nil {
			b.Fatal(err)
		}
		got, err := io.CopyBuffer(io.Discard, r, buf)
		r.Close()
		if err != nil || got != int64(n) {
			b.Fatalf("read %d of %d bytes: %v", got, n, err)
		}
	}
}

func BenchmarkStreamFile(b *testing.B) {
	n := benchSize(b)
	dir := b.TempDir()
	s, err := objstore.New(objstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name  string
		codec objstore.Codec
	}{
		{"raw", objstore.CodecNone},
		{"zstd", objstore.CodecZstd},
		{"gzip", objstore.CodecGzip},
		{"s2", objstore.CodecS2},
	} {
		url := "file://" + filepath.ToSlash(dir) + "/obj." + tc.name
		putObject(b, s, url, benchData(n, tc.codec != objstore.CodecNone), tc.codec)
		b.Run(tc.name, func(b *testing.B) { streamBench(b, s, url, n, tc.codec != objstore.CodecNone) })
	}
}

// BenchmarkStreamS3 streams from the local versitygw: a plain single GET
// against parallel ranged GETs, raw and zstd-compressed.
func BenchmarkStreamS3(b *testing.B) {
	n := benchSize(b)
	srv := startS3(b)
	s, err := objstore.New(srv.options(""))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw, zst := srv.url("bench/raw.bin"), srv.url("bench/obj.zst")
	putObject(b, s, raw, benchData(n, false), objstore.CodecNone)
	putObject(b, s, zst, benchData(n, true), objstore.CodecZstd)
	for _, tc := range []struct {
		name       string
		url        string
		conc       int
		decompress bool
	}{
		{"raw/single-GET", raw, 1, false},
		{"raw/parallel-4x8MiB", raw, 4, false},
		{"zstd/single-GET", zst, 1, true},
		{"zstd/parallel-4x8MiB", zst, 4, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			o := srv.options("")
			o.Concurrency = tc.conc
			rs, err := objstore.New(o)
			if err != nil {
				b.Fatal(err)
			}
			defer rs.Close()
			streamBench(b, rs, tc.url, n, tc.decompress)
		})
	}
}

func ExampleStore_Open() {
	s, err := objstore.New(objstore.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ctx := context.Background()
	url := "mem://example/inputs/batch.ndjson.zst"
	w, _ := s.Create(ctx, url, nil) // compressed with zstd: the key ends in .zst
	fmt.Fprintln(w, `{"x": [1, 2, 3]}`)
	if err := w.Close(); err != nil {
		panic(err)
	}
	r, err := s.Open(ctx, url, &objstore.ReadOptions{Decompress: true})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	fmt.Print(string(b))
	// Output: {"x": [1, 2, 3]}
}
