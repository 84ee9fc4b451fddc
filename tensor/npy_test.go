package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// The files in testdata/npy were written byte by byte from the format
// specification (numpy's NEP 1 / numpy.lib.format) with Python's struct
// module, independently of this package; the expected values below are the
// ones packed into them.

func TestReadNpyFiles(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		dtype DType
		shape Shape
		major int
		check func(t *testing.T, x *Tensor)
	}{
		{"float32 2x3 v1", "f4_2x3_v1.npy", Float32, Shape{2, 3}, 1, func(t *testing.T, x *Tensor) {
			wantFloats(t, x.Float32s(), []float32{0, 1, 2, 3, 4.5, -6})
		}},
		{"int16 big-endian v2", "i2_be_3_v2.npy", Int16, Shape{3}, 2, func(t *testing.T, x *Tensor) {
			got := x.Int16s()
			if len(got) != 3 || got[0] != 1 || got[1] != -2 || got[2] != 300 {
				t.Errorf("data = %v, want [1 -2 300]", got)
			}
		}},
		{"bool v3", "b1_2x2_v3.npy", Bool, Shape{2, 2}, 3, func(t *testing.T, x *Tensor) {
			if !bytes.Equal(x.Bools(), []byte{1, 0, 0, 1}) {
				t.Errorf("data = %v, want [1 0 0 1]", x.Bools())
			}
		}},
		{"uint64 scalar", "u8_scalar.npy", Uint64, Shape{}, 1, func(t *testing.T, x *Tensor) {
			if got := binary.LittleEndian.Uint64(x.Data); got != math.MaxUint64 {
				t.Errorf("data = %d, want MaxUint64", got)
			}
		}},
		{"float64 big-endian fortran 1-D", "f8_be_fortran_4.npy", Float64, Shape{4}, 1, func(t *testing.T, x *Tensor) {
			got := x.Float64s()
			want := []float64{1.5, -2.25, 0, 1e300}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("data[%d] = %v, want %v", i, got[i], want[i])
				}
			}
		}},
		{"int8 batch", "i1_batch_5x2.npy", Int8, Shape{5, 2}, 1, func(t *testing.T, x *Tensor) {
			got := x.Int8s()
			if got[8] != -1 || got[9] != -128 || got[3] != 3 {
				t.Errorf("data = %v", got)
			}
		}},
		{"float16 with Python 2 L suffix", "f2_2_py2L.npy", Float16, Shape{2}, 1, func(t *testing.T, x *Tensor) {
			if a, b := x.AsFloat64(0), x.AsFloat64(1); a != 1 || b != -0.5 {
				t.Errorf("data = %v %v, want 1 -0.5", a, b)
			}
		}},
		{"empty uint32", "u4_0x3_empty.npy", Uint32, Shape{0, 3}, 1, func(t *testing.T, x *Tensor) {
			if len(x.Data) != 0 {
				t.Errorf("data has %d bytes, want 0", len(x.Data))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := readTestdata(t, tt.file)
			h, err := ReadNpyHeader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("ReadNpyHeader: %v", err)
			}
			if h.Major != tt.major || h.DType != tt.dtype || !h.Shape.Equal(tt.shape) {
				t.Fatalf("header = %+v, want v%d %s %v", h, tt.major, tt.dtype, tt.shape)
			}
			if h.DataOffset+h.DataLen() != int64(len(raw)) {
				t.Errorf("DataOffset %d + DataLen %d != file size %d", h.DataOffset, h.DataLen(), len(raw))
			}
			x, err := ReadNpy(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("ReadNpy: %v", err)
			}
			if err := x.Validate(); err != nil {
				t.Fatal(err)
			}
			if x.DType != tt.dtype || !x.Shape.Equal(tt.shape) {
				t.Fatalf("tensor is %s%v, want %s%v", x.DType, x.Shape, tt.dtype, tt.shape)
			}
			tt.check(t, x)
		})
	}
}

func TestReadNpyErrors(t *testing.T) {
	v1 := func(dict string, data ...byte) []byte {
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
		return append(append(b, dict...), data...)
	}
	tests := []struct {
		name    string
		in      []byte
		wantEOF bool   // error must also wrap io.ErrUnexpectedEOF
		msg     string // substring of the error
	}{
		{"empty", nil, true, "preamble"},
		{"bad magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), false, "magic"},
		{"version 4", []byte("\x93NUMPY\x04\x00\x00\x00"), false, "version 4.0"},
		{"version 1.1", []byte("\x93NUMPY\x01\x01\x00\x00"), false, "version 1.1"},
		{"truncated length", []byte("\x93NUMPY\x02\x00\x10"), true, "header length"},
		{"header over limit", []byte("\x93NUMPY\x02\x00\x00\x00\x10\x00"), false, "over the limit"},
		{"truncated header", []byte("\x93NUMPY\x01\x00\x40\x00{'descr'"), true, "header"},
		{"not a dict", v1("['descr']"), false, "'{'"},
		{"missing key", v1("{'descr': '<f4', 'shape': (1,)}"), false, "lacks"},
		{"extra key", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"), false, "unexpected key"},
		{"duplicate key", v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}"), false, "duplicate"},
		{"complex128 dtype", v1("{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}"), false, "unsupported dtype"},
		{"object dtype", v1("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}"), false, "unsupported dtype"},
		{"bad byte order", v1("{'descr': '!f4', 'fortran_order': False, 'shape': (1,)}"), false, "byte order"},
		{"pipe on wide type", v1("{'descr': '|f4', 'fortran_order': False, 'shape': (1,)}"), false, "multi-byte"},
		{"negative dim", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), false, "non-negative"},
		{"int not tuple", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}"), false, "not a tuple"},
		{"dim overflow", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}"), false, "over the limit"},
		{"fortran flag junk", v1("{'descr': '<f4', 'fortran_order': 1, 'shape': (1,)}"), false, "True or False"},
		{"unterminated string", v1("{'descr: 1"), false, "unterminated"},
		{"escaped string", v1("{'descr': '<f\\4', 'fortran_order': False, 'shape': (1,)}"), false, "escape"},
		{"trailing junk", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x"), false, "trailing"},
		{"too many dims", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (" + strings.Repeat("1,", MaxNpyRank+1) + ")}"), false, "more than"},
		{"file truncated data", readTestdata(t, "bad_truncated_i4.npy"), true, "truncated data"},
		{"file fortran 2-D", readTestdata(t, "bad_fortran_2x3.npy"), false, "fortran_order"},
		{"file structured", readTestdata(t, "bad_structured.npy"), false, "structured"},
		{"file huge shape", readTestdata(t, "bad_huge_shape.npy"), false, "elements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadNpy(bytes.NewReader(tt.in))
			if err == nil {
				t.Fatal("ReadNpy succeeded, want an error")
			}
			if !errors.Is(err, ErrNpy) {
				t.Errorf("error %v does not wrap ErrNpy", err)
			}
			if tt.wantEOF != errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v: wraps io.ErrUnexpectedEOF = %v, want %v", err, !tt.wantEOF, tt.wantEOF)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

// A header claiming 2^31 float64 elements (16 GiB) in front of a few bytes
// must fail as truncated without allocating anywhere near that.
func TestReadNpyLyingHeaderAllocatesLittle(t *testing.T) {
	hdr, err := AppendNpyHeader(nil, Float64, Shape{1 << 15, 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	in := append(hdr, make([]byte, 100)...)
	// A plain stream cannot tell its length, as a network body cannot.
	stream := func() io.Reader { return struct{ io.Reader }{bytes.NewReader(in)} }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := ReadNpy(stream()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("stream: err = %v, want truncation", err)
	}
	if _, err := ReadNpy(bytes.NewReader(in)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("bytes.Reader: err = %v, want truncation", err)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Errorf("ReadNpy of a lying header allocated %d bytes", d)
	}
	if _, err := ReadNpyLimit(bytes.NewReader(in), 1<<20); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("ReadNpyLimit: err = %v, want over the limit", err)
	}
}

// A large array reads back intact whether the reader can tell its length
// (one allocation) or not (growth as data arrives).
func TestReadNpyLarge(t *testing.T) {
	x, err := New(Int32, Shape{3, 700_001})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := 0, x.Int32s(); i < len(v); i++ {
		v[i] = int32(i * 7)
	}
	var buf bytes.Buffer
	if err := WriteNpy(&buf, x); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	path := filepath.Join(t.TempDir(), "large.npy")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    func(t *testing.T) io.Reader
	}{
		{"bytes.Reader", func(t *testing.T) io.Reader { return bytes.NewReader(raw) }},
		{"plain stream", func(t *testing.T) io.Reader { return struct{ io.Reader }{bytes.NewReader(raw)} }},
		{"short reads", func(t *testing.T) io.Reader { return iotest.HalfReader(bytes.NewReader(raw)) }},
		{"file", func(t *testing.T) io.Reader {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, err := ReadNpy(tt.r(t))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(x.Data, y.Data) || !x.Shape.Equal(y.Shape) {
				t.Fatal("large round trip differs")
			}
		})
	}
}

// The upstream person_detection input was written by numpy.save: reading and
// writing it back must give the same bytes, and its data must be the pixel
// bytes of the matching BMP (rows top-down), as the conformance README says.
func TestNpyConformanceFiles(t *testing.T) {
	dir := findShared(t, "conformance/person_detection")
	for _, name := range []string{"person", "no_person"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, name+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			x, err := ReadNpy(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if x.DType != Int8 || !x.Shape.Equal(Shape{1, 96, 96, 1}) {
				t.Fatalf("tensor is %s%v, want int8[1,96,96,1]", x.DType, x.Shape)
			}
			var out bytes.Buffer
			if err := WriteNpy(&out, x); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), raw) {
				t.Errorf("WriteNpy(ReadNpy(%s.npy)) differs from numpy's bytes", name)
			}
			bmp, err := os.ReadFile(filepath.Join(dir, name+".bmp"))
			if err != nil {
				t.Fatal(err)
			}
			if px := bmpGray8TopDown(t, bmp); !bytes.Equal(px, x.Data) {
				t.Errorf("%s.npy data differs from the %s.bmp pixels", name, name)
			}
		})
	}
}

// bmpGray8TopDown returns the pixels of an uncompressed 8-bit BMP with rows
// top-down.
func bmpGray8TopDown(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 54 || string(b[:2]) != "BM" {
		t.Fatal("not a BMP")
	}
	off := int(binary.LittleEndian.Uint32(b[10:]))
	w := int(int32(binary.LittleEndian.Uint32(b[18:])))
	h := int(int32(binary.LittleEndian.Uint32(b[22:])))
	if bpp := binary.LittleEndian.Uint16(b[28:]); bpp != 8 || w <= 0 {
		t.Fatalf("BMP is %d bpp, width %d", bpp, w)
	}
	stride := (w + 3) &^ 3
	rows := h
	if rows < 0 {
		rows = -rows
	}
	if off+rows*stride > len(b) {
		t.Fatal("BMP truncated")
	}
	out := make([]byte, 0, w*rows)
	for r := range rows {
		src := r
		if h > 0 { // bottom-up
			src = rows - 1 - r
		}
		out = append(out, b[off+src*stride:off+src*stride+w]...)
	}
	return out
}

func TestNpyRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		dtype DType
		shape Shape
	}{
		{"scalar float32", Float32, Shape{}},
		{"vector int8", Int8, Shape{7}},
		{"matrix uint16", Uint16, Shape{3, 5}},
		{"rank 4 float64", Float64, Shape{2, 1, 3, 2}},
		{"bool", Bool, Shape{4, 1}},
		{"empty int64", Int64, Shape{0, 4}},
		{"uint32", Uint32, Shape{9}},
		{"float16", Float16, Shape{2, 2}},
		{"int16 wide header", Int16, Shape{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := New(tt.dtype, tt.shape)
			if err != nil {
				t.Fatal(err)
			}
			for i := range x.Data {
				x.Data[i] = byte(i*31 + 7)
			}
			if tt.dtype == Bool {
				for i := range x.Data {
					x.Data[i] &= 1
				}
			}
			var buf bytes.Buffer
			if err := WriteNpy(&buf, x); err != nil {
				t.Fatal(err)
			}
			h, err := ReadNpyHeader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if h.DataOffset%64 != 0 || buf.Bytes()[h.DataOffset-1] != '\n' {
				t.Errorf("header of %d bytes is not padded to 64 and ended by a newline", h.DataOffset)
			}
			y, err := ReadNpy(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if y.DType != x.DType || !y.Shape.Equal(x.Shape) || !bytes.Equal(y.Data, x.Data) {
				t.Errorf("round trip gave %s%v, want %s%v", y.DType, y.Shape, x.DType, x.Shape)
			}
		})
	}
}

func TestWriteNpyErrors(t *testing.T) {
	tests := []struct {
		name string
		x    *Tensor
	}{
		{"nil", nil},
		{"string", &Tensor{DType: String, Shape: Shape{1}, Data: []byte{0}}},
		{"short data", &Tensor{DType: Float32, Shape: Shape{2}, Data: make([]byte, 7)}},
		{"negative shape", &Tensor{DType: Int8, Shape: Shape{-1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteNpy(&buf, tt.x)
			if !errors.Is(err, ErrNpy) {
				t.Errorf("err = %v, want ErrNpy", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestNpyReaderStreams(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		max     int
		batches []int // leading dimension of each Next result
		first   []int8
	}{
		{"by two", "i1_batch_5x2.npy", 2, []int{2, 2, 1}, []int8{0, 1, 2, 3}},
		{"all at once", "i1_batch_5x2.npy", 100, []int{5}, []int8{0, 1, 2, 3, 4, 5, 6, 7, -1, -128}},
		{"empty", "u4_0x3_empty.npy", 4, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nr, err := NewNpyReader(bytes.NewReader(readTestdata(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for {
				x, err := nr.Next(tt.max)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := x.Validate(); err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 && tt.first != nil {
					i8 := x.Int8s()
					for i, v := range tt.first {
						if i8[i] != v {
							t.Fatalf("first batch = %v, want %v", i8, tt.first)
						}
					}
				}
				got = append(got, x.Shape[0])
			}
			if len(got) != len(tt.batches) {
				t.Fatalf("batches %v, want %v", got, tt.batches)
			}
			for i := range got {
				if got[i] != tt.batches[i] {
					t.Fatalf("batches %v, want %v", got, tt.batches)
				}
			}
			if nr.Remaining() != 0 {
				t.Errorf("Remaining = %d", nr.Remaining())
			}
		})
	}
	t.Run("big-endian converted", func(t *testing.T) {
		nr, err := NewNpyReader(bytes.NewReader(readTestdata(t, "i2_be_3_v2.npy")))
		if err != nil {
			t.Fatal(err)
		}
		x, err := nr.Next(3)
		if err != nil {
			t.Fatal(err)
		}
		if v := x.Int16s(); v[2] != 300 {
			t.Errorf("data = %v", v)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		nr, err := NewNpyReader(bytes.NewReader(readTestdata(t, "bad_truncated_i4.npy")))
		if err != nil {
			t.Fatal(err)
		}
		if x, err := nr.Next(3); err != nil || x.Int32s()[2] != 3 {
			t.Fatalf("first three records: %v", err)
		}
		if _, err := nr.Next(3); !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, ErrNpy) {
			t.Errorf("err = %v, want truncation", err)
		}
	})
	t.Run("scalar refused", func(t *testing.T) {
		if _, err := NewNpyReader(bytes.NewReader(readTestdata(t, "u8_scalar.npy"))); !errors.Is(err, ErrNpy) {
			t.Errorf("err = %v, want ErrNpy", err)
		}
	})
	t.Run("bad max", func(t *testing.T) {
		nr, err := NewNpyReader(bytes.NewReader(readTestdata(t, "i1_batch_5x2.npy")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nr.Next(0); !errors.Is(err, ErrNpy) {
			t.Errorf("err = %v, want ErrNpy", err)
		}
	})
}

func FuzzReadNpy(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "npy"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "npy", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Found by fuzzing: 170 million empty records.
	f.Add([]byte("\x93NUMPY\x01\x00C\x00{'descr': '|b1', 'fortran_order': False, 'shape': (170000000,00)  }0"))
	if dir, ok := sharedDir("conformance/person_detection"); ok {
		if b, err := os.ReadFile(filepath.Join(dir, "person.npy")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, herr := ReadNpyHeader(bytes.NewReader(b))
		x, err := ReadNpy(bytes.NewReader(b))
		if (herr != nil) && err == nil {
			t.Fatalf("header failed (%v) but ReadNpy succeeded", herr)
		}
		if err != nil {
			if !errors.Is(err, ErrNpy) {
				t.Fatalf("error %v does not wrap ErrNpy", err)
			}
			return
		}
		if err := x.Validate(); err != nil {
			t.Fatalf("ReadNpy returned an invalid tensor: %v", err)
		}
		if int64(len(x.Data)) != h.DataLen() {
			t.Fatalf("data %d bytes, header says %d", len(x.Data), h.DataLen())
		}
		// What we read, we write and read back identically.
		var buf bytes.Buffer
		if err := WriteNpy(&buf, x); err != nil {
			t.Fatalf("WriteNpy: %v", err)
		}
		y, err := ReadNpy(&buf)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if y.DType != x.DType || !y.Shape.Equal(x.Shape) || !bytes.Equal(y.Data, x.Data) {
			t.Fatal("round trip differs")
		}
		// Streaming the records in uneven batches gives the same data
		// (bounded: a shape like (170000000, 0) has that many empty records).
		if len(x.Shape) == 0 || x.Shape[0] > 10_000 {
			return
		}
		nr, err := NewNpyReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("NewNpyReader: %v", err)
		}
		var streamed []byte
		for k := 1; ; k = k%3 + 1 {
			r, err := nr.Next(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if r.Shape[0] > k || !r.Shape[1:].Equal(x.Shape[1:]) {
				t.Fatalf("Next(%d) gave shape %v of %v", k, r.Shape, x.Shape)
			}
			streamed = append(streamed, r.Data...)
		}
		if !bytes.Equal(streamed, x.Data) {
			t.Fatal("streamed records differ from ReadNpy")
		}
	})
}

func benchInput(b *testing.B) []byte {
	x, err := New(Float32, Shape{64, 224, 224, 3})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteNpy(&buf, x); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkReadNpy(b *testing.B) {
	raw := benchInput(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNpy(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNpyReaderRecords streams a [64,224,224,3] float32 file one
// record at a time, as the batch pipeline does.
func BenchmarkNpyReaderRecords(b *testing.B) {
	raw := benchInput(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		nr, err := NewNpyReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := nr.Next(1)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			records++
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkReadNpyBigEndian(b *testing.B) {
	raw := bytes.Clone(benchInput(b))
	i := bytes.IndexByte(raw, '<')
	raw[i] = '>'
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNpy(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteNpy(b *testing.B) {
	x, err := New(Float32, Shape{64, 224, 224, 3})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(x.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteNpy(io.Discard, x); err != nil {
			b.Fatal(err)
		}
	}
}

func wantFloats(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "npy", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sharedDir finds shared/<rel> by walking up from the package directory.
func sharedDir(rel string) (string, bool) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, "shared", rel)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func findShared(t *testing.T, rel string) string {
	t.Helper()
	p, ok := sharedDir(rel)
	if !ok {
		t.Skipf("shared/%s not found above the package directory", rel)
	}
	return p
}

func TestNpyComplex64(t *testing.T) {
	// numpy writes complex64 as '<c8': interleaved little-endian float32
	// (real, imaginary) pairs.
	x := &Tensor{DType: Complex64, Shape: Shape{2}, Data: make([]byte, 16)}
	for i, f := range []float32{1.5, -2, 0, 3.25} {
		binary.LittleEndian.PutUint32(x.Data[4*i:], math.Float32bits(f))
	}
	var buf bytes.Buffer
	if err := WriteNpy(&buf, x); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "'descr': '<c8'") {
		t.Fatalf("header does not say <c8: %q", buf.String()[:64])
	}
	y, err := ReadNpy(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if y.DType != Complex64 || !y.Shape.Equal(Shape{2}) || !bytes.Equal(y.Data, x.Data) {
		t.Fatalf("read back %s%v %x", y.DType, y.Shape, y.Data)
	}
	be := bytes.Replace(buf.Bytes(), []byte("<c8"), []byte(">c8"), 1)
	if _, err := ReadNpy(bytes.NewReader(be)); !errors.Is(err, ErrNpy) {
		t.Fatalf("big-endian complex: err = %v, want ErrNpy", err)
	}
}
