package batch

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// checkParse fails unless the fast parsers agree with strconv on tok:
// the same acceptance (a JSON number strconv reads without error) and
// the same bits.
func checkParse(t *testing.T, tok string) {
	t.Helper()
	json := isJSONNumber([]byte(tok))
	want32, err32 := strconv.ParseFloat(tok, 32)
	got32, ok32 := parseFloat32([]byte(tok))
	if ok32 != (json && err32 == nil) || (ok32 && math.Float32bits(got32) != math.Float32bits(float32(want32))) {
		t.Fatalf("parseFloat32(%q) = %v, %v; strconv %v, %v (JSON number %v)", tok, got32, ok32, float32(want32), err32, json)
	}
	want64, err64 := strconv.ParseFloat(tok, 64)
	got64, ok64 := parseFloat64([]byte(tok))
	if ok64 != (json && err64 == nil) || (ok64 && math.Float64bits(got64) != math.Float64bits(want64)) {
		t.Fatalf("parseFloat64(%q) = %v, %v; strconv %v, %v", tok, got64, ok64, want64, err64)
	}
	wantI, errI := strconv.ParseInt(tok, 10, 64)
	gotI, okI := parseInt([]byte(tok))
	if okI != (json && errI == nil) || (okI && gotI != wantI) {
		t.Fatalf("parseInt(%q) = %v, %v; strconv %v, %v", tok, gotI, okI, wantI, errI)
	}
}

func TestParseNumbersMatchStrconv(t *testing.T) {
	for _, tok := range []string{"0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.5", "1.25", "16777216", "16777217", "16777218",
		"16777217.5", "1677721.75", "0.16777217", "9007199254740992", "9007199254740993", "1.00000000001", "0.0000000001",
		"0.00000000001", "99999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "1234567890123456789", "12345678901234567890", "3.4028235e38", "3.5e38", "1e-50", "1E5",
		"01", "1.", ".5", "-", "", "+1", "1e", "--1", "0x10", "NaN", "Infinity", "1_000", "1.5.5", " 1", "1 "} {
		checkParse(t, tok)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for range 50000 {
		buf = buf[:0]
		if r.IntN(2) == 0 {
			buf = append(buf, '-')
		}
		ip := r.IntN(12)
		if ip == 0 {
			buf = append(buf, '0')
		} else {
			buf = append(buf, byte('1'+r.IntN(9)))
			for range ip - 1 {
				buf = append(buf, byte('0'+r.IntN(10)))
			}
		}
		if fp := r.IntN(14); fp > 0 {
			buf = append(buf, '.')
			for range fp {
				buf = append(buf, byte('0'+r.IntN(10)))
			}
		}
		checkParse(t, string(buf))
	}
	for range 10000 {
		f := math.Float32frombits(r.Uint32())
		for _, fmt := range []byte{'f', 'g', 'e'} {
			checkParse(t, strconv.FormatFloat(float64(f), fmt, -1, 32))
			checkParse(t, strconv.FormatFloat(float64(f), fmt, r.IntN(12), 32))
		}
	}
}

// checkFormat fails unless appendFloat32 writes what the tensor package
// writes for f.
func checkFormat(t *testing.T, f float32) {
	t.Helper()
	want := tensor.AppendJSONElem(nil, &tensor.Tensor{DType: tensor.Float32, Shape: tensor.Shape{1},
		Data: binary.LittleEndian.AppendUint32(nil, math.Float32bits(f))}, 0)
	if got := appendFloat32(nil, f); string(got) != string(want) {
		t.Fatalf("appendFloat32(%v, bits %#x) = %s, want %s", f, math.Float32bits(f), got, want)
	}
}

func TestAppendFloat32MatchesTensor(t *testing.T) {
	for _, f := range []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-4, 1e6, 999999.94, 999999.9, 1e-4 * 1.0000001, 0.1, 1.2, 24691.5, -1952, 1 << 24, 1<<24 + 2,
		33554432, 1 << 20, 1<<20 + 0.125, 0.0001220703125} {
		checkFormat(t, f)
	}
	// Every short decimal d / 10^k and its neighbours.
	for k := range 8 {
		for d := range 20000 {
			x := float32(float64(d) / math.Pow10(k))
			for _, g := range []float32{x, math.Nextafter32(x, 2e6), math.Nextafter32(x, -1), -x} {
				checkFormat(t, g)
			}
		}
	}
	// Large values near the %e boundary, and powers of two.
	for e := -30; e < 30; e++ {
		p := float32(math.Ldexp(1, e))
		checkFormat(t, p)
		checkFormat(t, math.Nextafter32(p, 0))
		checkFormat(t, math.Nextafter32(p, 1e30))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		checkFormat(t, math.Float32frombits(r.Uint32()))
		// Any value in the range written without strconv.
		checkFormat(t, float32(math.Pow(10, r.Float64()*10-4)))
		// Values in the fast path's range, with few digits.
		checkFormat(t, float32(r.IntN(2000000)-1000000)/float32(int(1)<<r.IntN(12)))
	}
}

// TestAppendFloat32Exhaustive checks every float32 from 1e-4 to 1e6 (the
// range written without strconv) when EDGEINFER_EXHAUSTIVE=1: about 2^30
// values, minutes of CPU.
func TestAppendFloat32Exhaustive(t *testing.T) {
	if os.Getenv("EDGEINFER_EXHAUSTIVE") != "1" {
		t.Skip("set EDGEINFER_EXHAUSTIVE=1 to check every float32 in [1e-4, 1e6)")
	}
	lo, hi := math.Float32bits(1e-4), math.Float32bits(1e6)
	var buf, want []byte
	for b := lo; b <= hi; b++ {
		// The sign only adds a '-': one sign is enough.
		f := math.Float32frombits(b)
		buf = appendFloat32(buf[:0], f)
		want = strconv.AppendFloat(want[:0], float64(f), 'g', -1, 32)
		if string(buf) != string(want) {
			t.Fatalf("appendFloat32(%v) = %s, want %s", f, buf, want)
		}
	}
}

func TestAppendJSONMatchesTensor(t *testing.T) {
	vals := []float32{1, -2.5, 0.1, float32(math.NaN()), float32(math.Inf(-1)), 1e7, 3.25, 0, 1e-5, 123456.5, -0.75, 42}
	var data []byte
	for _, v := range vals {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
	}
	for _, shape := range []tensor.Shape{{12}, {1, 12}, {3, 4}, {2, 3, 2}, {2, 1, 3, 2}} {
		tt := &tensor.Tensor{DType: tensor.Float32, Shape: shape, Data: data}
		if got, want := appendJSON(nil, tt), tensor.AppendJSON(nil, tt); string(got) != string(want) {
			t.Errorf("%s: %s, want %s", shape, got, want)
		}
		for i := range vals {
			if got, want := appendJSONElem(nil, tt, i), tensor.AppendJSONElem(nil, tt, i); string(got) != string(want) {
				t.Errorf("element %d: %s, want %s", i, got, want)
			}
		}
	}
	i8 := &tensor.Tensor{DType: tensor.Int8, Shape: tensor.Shape{1, 3}, Data: []byte{1, 0xff, 7}}
	if got := appendJSON(nil, i8); string(got) != "[[1,-1,7]]" {
		t.Errorf("int8: %s", got)
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-1.25", "16777217", "1e5", "0.1", "12345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) { checkParse(t, tok) })
}

func FuzzAppendFloat32(f *testing.F) {
	for _, v := range []float32{0, 1.5, 0.1, 24691.5, 1e6, 1e-4} {
		f.Add(math.Float32bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint32) { checkFormat(t, math.Float32frombits(bits)) })
}

func BenchmarkAppendFloat32(b *testing.B) {
	vals := []float32{24691.5, -1952, 63.25, 1.2, 0.875, 1234.5, 3, -17.125}
	var dst []byte
	for b.Loop() {
		dst = dst[:0]
		for _, v := range vals {
			dst = appendFloat32(dst, v)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/value")
}

func BenchmarkAppendFloat32Strconv(b *testing.B) {
	vals := []float32{24691.5, -1952, 63.25, 1.2, 0.875, 1234.5, 3, -17.125}
	var dst []byte
	for b.Loop() {
		dst = dst[:0]
		for _, v := range vals {
			dst = strconv.AppendFloat(dst, float64(v), 'g', -1, 32)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/value")
}

func BenchmarkParseFloat32(b *testing.B) {
	toks := [][]byte{[]byte("24691.5"), []byte("-1952"), []byte("63.25"), []byte("0.1"), []byte("999.999"), []byte("3")}
	for b.Loop() {
		for _, t := range toks {
			parseFloat32(t)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(toks)), "ns/value")
}

func BenchmarkParseFloat32Strconv(b *testing.B) {
	toks := []string{"24691.5", "-1952", "63.25", "0.1", "999.999", "3"}
	for b.Loop() {
		for _, t := range toks {
			strconv.ParseFloat(t, 32)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(toks)), "ns/value")
}

// BenchmarkAppendFloat32Typical formats values that are not short
// decimals (model outputs such as 247.91199 or 0.87234563).
func BenchmarkAppendFloat32Typical(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	vals := make([]float32, 1024)
	for i := range vals {
		vals[i] = float32(r.Float64() * 1000)
	}
	for _, fast := range []bool{true, false} {
		name := map[bool]string{true: "fast", false: "strconv"}[fast]
		b.Run(name, func(b *testing.B) {
			var dst []byte
			for b.Loop() {
				dst = dst[:0]
				for _, v := range vals {
					if fast {
						dst = appendFloat32(dst, v)
					} else {
						dst = strconv.AppendFloat(dst, float64(v), 'g', -1, 32)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/value")
		})
	}
}
