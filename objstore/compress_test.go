package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"

	"github.com/edgeinfer/edgeinfer/objstore"
)

func compress(t testing.TB, codec objstore.Codec, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := objstore.NewCompressWriter(&buf, codec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDetectCodec(t *testing.T) {
	for _, tc := range []struct {
		name string
		head []byte
		want objstore.Codec
	}{
		{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0}, objstore.CodecZstd},
		{"zstd skippable", []byte{0x5a, 0x2a, 0x4d, 0x18}, objstore.CodecZstd},
		{"gzip", []byte{0x1f, 0x8b, 8}, objstore.CodecGzip},
		{"s2", []byte("\xff\x06\x00\x00S2sTwO"), objstore.CodecS2},
		{"snappy", []byte("\xff\x06\x00\x00sNaPpY"), objstore.CodecS2},
		{"plain", []byte("hello"), objstore.CodecNone},
		{"short zstd", []byte{0x28, 0xb5}, objstore.CodecNone},
		{"empty", nil, objstore.CodecNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := objstore.DetectCodec(tc.head); got != tc.want {
				t.Errorf("DetectCodec = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCodecForName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want objstore.Codec
	}{
		{"s3://b/x.zst", objstore.CodecZstd},
		{"a/b.ZSTD", objstore.CodecZstd},
		{"x.npy.gz", objstore.CodecGzip},
		{"http://h/x.gz?sig=1", objstore.CodecGzip},
		{"x.s2", objstore.CodecS2},
		{"x.sz", objstore.CodecS2},
		{"x.snappy", objstore.CodecS2},
		{"x.tflite", objstore.CodecNone},
		{"dir.zst/file", objstore.CodecNone},
		{"", objstore.CodecNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := objstore.CodecForName(tc.name); got != tc.want {
				t.Errorf("CodecForName(%q) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}

// foreignStreams returns streams made by the upstream encoders directly
// (not through NewCompressWriter), including a snappy framed stream and
// multi-member gzip.
func foreignStreams(t testing.TB, data []byte) map[string][]byte {
	out := map[string][]byte{}
	var b bytes.Buffer
	sw := snappy.NewBufferedWriter(&b)
	sw.Write(data)
	sw.Close()
	out["snappy framed"] = bytes.Clone(b.Bytes())
	b.Reset()
	for _, half := range [][]byte{data[:len(data)/2], data[len(data)/2:]} {
		gw := gzip.NewWriter(&b)
		gw.Write(half)
		gw.Close()
	}
	out["gzip two members"] = bytes.Clone(b.Bytes())
	b.Reset()
	zw, _ := zstd.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	out["zstd"] = bytes.Clone(b.Bytes())
	b.Reset()
	s2w := s2.NewWriter(&b, s2.WriterBetterCompression())
	s2w.Write(data)
	s2w.Close()
	out["s2 better"] = bytes.Clone(b.Bytes())
	return out
}

func TestDecompressReader(t *testing.T) {
	data := bytes.Repeat([]byte("edgeinfer streams compressed inputs. "), 3000)
	for name, stream := range foreignStreams(t, data) {
		t.Run(name, func(t *testing.T) {
			r, err := objstore.NewDecompressReader(bytes.NewReader(stream), objstore.DecompressOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("decoded %d bytes (want %d), err %v", len(got), len(data), err)
			}
		})
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		opts    objstore.DecompressOptions
		want    []byte
		wantErr error
	}{
		{name: "plain passes through", in: []byte("plain text"), want: []byte("plain text")},
		{name: "empty", in: nil, want: []byte{}},
		{name: "empty with hint", in: nil, opts: objstore.DecompressOptions{Hint: "x.gz"}, want: []byte{}},
		{name: "hint without magic", in: []byte("plain text"), opts: objstore.DecompressOptions{Hint: "x.zst"}, wantErr: objstore.ErrCorrupt},
		{name: "hint of another codec", in: compress(t, objstore.CodecGzip, data), opts: objstore.DecompressOptions{Hint: "x.zst"}, wantErr: objstore.ErrCorrupt},
		{name: "zstd garbage", in: append([]byte{0x28, 0xb5, 0x2f, 0xfd}, bytes.Repeat([]byte{0xee}, 40)...), wantErr: objstore.ErrCorrupt},
		{name: "gzip garbage", in: append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{0xee}, 40)...), wantErr: objstore.ErrCorrupt},
		{name: "s2 garbage", in: append([]byte("\xff\x06\x00\x00S2sTwO"), bytes.Repeat([]byte{0xee}, 40)...), wantErr: objstore.ErrCorrupt},
		{name: "gzip cut short", in: half(compress(t, objstore.CodecGzip, data)), wantErr: objstore.ErrCorrupt},
		{name: "zstd cut short", in: half(compress(t, objstore.CodecZstd, data)), wantErr: objstore.ErrCorrupt},
		{name: "s2 cut short", in: half(compress(t, objstore.CodecS2, data)), wantErr: objstore.ErrCorrupt},
		{name: "cap exceeded", in: compress(t, objstore.CodecZstd, data), opts: objstore.DecompressOptions{MaxDecodedBytes: 1000}, wantErr: objstore.ErrTooLarge},
		{name: "cap exactly met", in: compress(t, objstore.CodecGzip, data), opts: objstore.DecompressOptions{MaxDecodedBytes: int64(len(data))}, want: data},
		{name: "plain over cap", in: data, opts: objstore.DecompressOptions{MaxDecodedBytes: 10}, wantErr: objstore.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := objstore.NewDecompressReader(bytes.NewReader(tc.in), tc.opts)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
				r.Close()
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
			}
		})
	}
}

func half(b []byte) []byte { return b[:len(b)/2] }

// TestZstdWindowCap: a frame declaring a window above the cap is refused
// before the decoder allocates it.
func TestZstdWindowCap(t *testing.T) {
	var b bytes.Buffer
	zw, err := zstd.NewWriter(&b, zstd.WithWindowSize(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(payload(3<<20, 5))
	zw.Close()
	for _, tc := range []struct {
		name    string
		window  uint64
		wantErr error
	}{
		{"window above cap", 1 << 20, objstore.ErrTooLarge},
		{"window within cap", 64 << 20, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := objstore.NewDecompressReader(bytes.NewReader(b.Bytes()), objstore.DecompressOptions{MaxZstdWindow: tc.window})
			if err == nil {
				_, err = io.Copy(io.Discard, r)
				r.Close()
			}
			if !errors.Is(err, tc.wantErr) && !(tc.wantErr == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// errAfter yields data then fails with err.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

// TestDecompressKeepsSourceErrors: a body that fails (truncated, gone) is
// reported as such, not as corrupt data.
func TestDecompressKeepsSourceErrors(t *testing.T) {
	data := payload(200_000, 3)
	for _, codec := range []objstore.Codec{objstore.CodecZstd, objstore.CodecGzip, objstore.CodecS2, objstore.CodecNone} {
		t.Run(codec.String(), func(t *testing.T) {
			c := compress(t, codec, data)
			src := &errAfter{data: c[:len(c)/2], err: fmt.Errorf("body: %w", objstore.ErrTruncated)}
			r, err := objstore.NewDecompressReader(src, objstore.DecompressOptions{})
			if err == nil {
				_, err = io.Copy(io.Discard, r)
				r.Close()
			}
			if !errors.Is(err, objstore.ErrTruncated) {
				t.Fatalf("err = %v, want ErrTruncated", err)
			}
		})
	}
}

func FuzzDecompressReader(f *testing.F) {
	data := bytes.Repeat([]byte("fuzz seed 0123456789 "), 50)
	for _, c := range []objstore.Codec{objstore.CodecZstd, objstore.CodecGzip, objstore.CodecS2} {
		f.Add(compress(f, c, data), "")
		f.Add(compress(f, c, make([]byte, 1<<16)), "x"+map[objstore.Codec]string{objstore.CodecZstd: ".zst", objstore.CodecGzip: ".gz", objstore.CodecS2: ".s2"}[c])
	}
	for _, s := range foreignStreams(f, data) {
		f.Add(s, "")
	}
	f.Add([]byte("plain"), "x.gz")
	f.Add([]byte{}, "")
	const limit = 1 << 20
	f.Fuzz(func(t *testing.T, in []byte, hint string) {
		r, err := objstore.NewDecompressReader(bytes.NewReader(in), objstore.DecompressOptions{
			Hint: hint, MaxDecodedBytes: limit, MaxZstdWindow: 1 << 20,
		})
		if err != nil {
			if !errors.Is(err, objstore.ErrCorrupt) && !errors.Is(err, objstore.ErrTooLarge) {
				t.Fatalf("open error not portable: %v", err)
			}
			return
		}
		defer r.Close()
		n, err := io.Copy(io.Discard, r)
		if n > limit {
			t.Fatalf("decoded %d bytes past the %d cap", n, limit)
		}
		if err != nil && !errors.Is(err, objstore.ErrCorrupt) && !errors.Is(err, objstore.ErrTooLarge) {
			t.Fatalf("read error not portable: %v", err)
		}
		if err == nil && objstore.DetectCodec(in) == objstore.CodecNone && n != int64(len(in)) {
			t.Fatalf("plain input of %d bytes came out as %d", len(in), n)
		}
	})
}

func FuzzCompressRoundTrip(f *testing.F) {
	f.Add([]byte("hello hello hello"))
	f.Add([]byte{})
	f.Add(make([]byte, 70000))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []objstore.Codec{objstore.CodecZstd, objstore.CodecGzip, objstore.CodecS2} {
			r, err := objstore.NewDecompressReader(bytes.NewReader(compress(t, c, data)), objstore.DecompressOptions{})
			if err != nil {
				t.Fatalf("%v: %v", c, err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%v: round trip gave %d bytes (want %d), %v", c, len(got), len(data), err)
			}
		}
	})
}

// FastCompression and CompressConcurrency change speed, not content: the
// stream decodes to what was written, and the zstd bytes are the same
// whatever the concurrency and however the writes are cut.
func TestCreateCompressionOptions(t *testing.T) {
	s, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var data []byte
	for i := range 200000 {
		data = fmt.Appendf(data, `{"index":%d,"outputs":{"y":[[%d.5,3]]}}`+"\n", i, i%977)
	}
	put := func(url string, opts *objstore.WriteOptions, chunk int) []byte {
		t.Helper()
		w, err := s.Create(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(data); off += chunk {
			if _, err := w.Write(data[off:min(off+chunk, len(data))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		raw, _, err := s.ReadAll(ctx, url, 1<<30, &objstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dec, _, err := s.ReadAll(ctx, url, 1<<30, &objstore.ReadOptions{Decompress: true})
		if err != nil || !bytes.Equal(dec, data) {
			t.Fatalf("%s %+v: decoded %d bytes (%v), wrote %d", url, opts, len(dec), err, len(data))
		}
		return raw
	}
	for _, codec := range []objstore.Codec{objstore.CodecZstd, objstore.CodecGzip} {
		def := put("mem://b/def", &objstore.WriteOptions{Compression: codec}, 1<<20)
		fast1 := put("mem://b/fast1", &objstore.WriteOptions{Compression: codec, FastCompression: true}, 1<<20)
		if bytes.Equal(def, fast1) {
			t.Errorf("%s: FastCompression changed nothing", codec)
		}
		if codec != objstore.CodecZstd {
			continue
		}
		fast4 := put("mem://b/fast4", &objstore.WriteOptions{Compression: codec, FastCompression: true, CompressConcurrency: 4}, 7777)
		if !bytes.Equal(fast1, fast4) {
			t.Errorf("zstd: concurrency 4 (%d bytes) differs from concurrency 1 (%d bytes)", len(fast4), len(fast1))
		}
		def4 := put("mem://b/def4", &objstore.WriteOptions{Compression: codec, CompressConcurrency: 4}, 7777)
		if !bytes.Equal(def, def4) {
			t.Error("zstd default level: concurrency 4 differs from concurrency 1")
		}
	}
}
