package batch

import (
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// Fast paths for the numbers of the usual records: short decimals in, and
// float32 results out. Each gives exactly what strconv gives (tested over
// millions of values and by fuzzing) and hands anything else to strconv.

// pow10f32 and pow10f64 are the powers of ten exact in float32 (5^10 <
// 2^24) and float64 (5^22 < 2^53).
var (
	pow10f32 = [...]float32{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}
	pow10f64 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
	// pow10u64 are the powers of ten in uint64.
	pow10u64 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}
)

// shortDecimal reads tok when it is a JSON number without an exponent of
// at most 19 digits: -?(0|[1-9][0-9]*)(\.[0-9]+)? is mant / 10^frac,
// negated when neg. ok is false for anything else (which may still be a
// JSON number: the caller then asks strconv).
func shortDecimal(tok []byte) (mant uint64, frac int, neg, ok bool) {
	mant, frac, neg, end, ok := decimalAt(tok, 0)
	return mant, frac, neg, ok && end == len(tok)
}

// decimalAt reads the longest prefix of b[i:] that is such a number and
// returns its end; ok is false when there is none or it has more than 19
// digits.
func decimalAt(b []byte, i int) (mant uint64, frac int, neg bool, end int, ok bool) {
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	if i == len(b) {
		return 0, 0, false, i, false
	}
	digits := 0
	if b[i] == '0' {
		i++
	} else {
		start := i
		for i < len(b) && b[i]-'0' < 10 {
			mant = mant*10 + uint64(b[i]-'0')
			i++
		}
		digits = i - start
		if digits == 0 {
			return 0, 0, false, i, false
		}
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i]-'0' < 10 {
			mant = mant*10 + uint64(b[i]-'0')
			i++
		}
		frac = i - start
		if frac == 0 {
			return 0, 0, false, i, false
		}
		digits += frac
	}
	return mant, frac, neg, i, digits <= 19
}

// float32At reads a short decimal float32 at b[i:] that ends at a JSON
// array delimiter (',', ']', a space or the end), as parseFloat32 would
// read the token; ok is false when there is none (the caller then
// tokenizes and asks parseFloat32).
func float32At(b []byte, i int) (float32, int, bool) {
	mant, frac, neg, end, ok := decimalAt(b, i)
	if !ok || mant > 1<<24 || frac >= len(pow10f32) || (end < len(b) && b[end] != ',' && b[end] != ']' && !isSpace(b[end])) {
		return 0, 0, false
	}
	f := float32(mant) / pow10f32[frac]
	if neg {
		f = -f
	}
	return f, end, true
}

// parseFloat32 returns strconv.ParseFloat(tok, 32) for a JSON number
// literal tok; ok is false when tok is not one or is out of range.
func parseFloat32(tok []byte) (float32, bool) {
	if mant, frac, neg, ok := shortDecimal(tok); ok && mant <= 1<<24 && frac < len(pow10f32) {
		// Both operands are exact, and one IEEE division rounds
		// correctly: the float32 nearest the decimal, as strconv finds.
		f := float32(mant) / pow10f32[frac]
		if neg {
			f = -f
		}
		return f, true
	}
	if !isJSONNumber(tok) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(tok), 32)
	return float32(f), err == nil
}

// parseFloat64 is parseFloat32 for float64.
func parseFloat64(tok []byte) (float64, bool) {
	if mant, frac, neg, ok := shortDecimal(tok); ok && mant <= 1<<53 && frac < len(pow10f64) {
		f := float64(mant) / pow10f64[frac]
		if neg {
			f = -f
		}
		return f, true
	}
	if !isJSONNumber(tok) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	return f, err == nil
}

// parseInt returns the JSON integer literal tok (no fraction, no
// exponent) as strconv.ParseInt(tok, 10, 64) does; ok is false for
// anything else.
func parseInt(tok []byte) (int64, bool) {
	if mant, frac, neg, ok := shortDecimal(tok); ok && frac == 0 && mant <= math.MaxInt64 {
		if neg {
			return -int64(mant), true
		}
		return int64(mant), true
	}
	if !isJSONNumber(tok) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(tok), 10, 64)
	return v, err == nil
}

// appendFloat32 appends f as tensor.AppendJSONElem writes a float32 (the
// shortest decimal that reads back as f, in strconv's 'g' form; NaN and
// infinities as quoted names). A value that is exactly a short decimal
// between 1e-4 and 1e6 (1.5, 24691.25, -3) is written directly; any other
// goes to strconv.
func appendFloat32(dst []byte, f float32) []byte {
	b := math.Float32bits(f)
	exp := int(b>>23) & 0xff
	switch {
	case b == 0:
		return append(dst, '0')
	case b == 1<<31:
		return append(dst, "-0"...)
	case exp == 0xff && b&(1<<23-1) != 0:
		return append(dst, `"NaN"`...)
	case exp == 0xff && f > 0:
		return append(dst, `"Infinity"`...)
	case exp == 0xff:
		return append(dst, `"-Infinity"`...)
	}
	if a := math.Abs(float64(f)); a < 1e-4 || a >= 1e6 {
		return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	}
	// |f| = m * 2^-s with m the 24-bit significand; s > 0 in this range.
	m := uint64(b&(1<<23-1) | 1<<23)
	s := 150 - exp
	// f * 10^k = m * 5^k * 2^(k-s) is an integer from k = s - tz(m) on.
	k := max(s-bits.TrailingZeros64(m), 0)
	// f is then exactly y / 10^k, whose last digit is at 10^-k (or
	// above). Any decimal with fewer significant digits is at least 10^-k
	// away from f; when that is more than half the spacing of float32s
	// at f (2^-s), it does not read back as f, so y / 10^k is the
	// shortest decimal that does (and the closest of its length: it is f
	// itself). 10^k <= 2^s is enough.
	if k < 8 && pow10u64[k] <= 1<<s {
		y := m * pow10u64[k] >> s // exact: m * 10^k < 2^24 * 10^7 < 2^48
		return appendFixed(dst, f, y, k)
	}
	if m == 1<<23 {
		// A power of two: the gap below is half the gap above.
		return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	}
	// The decimals that read back as f are those strictly inside (lo, hi),
	// lo and hi the midpoints to f's neighbours (a midpoint itself reads
	// back as f only when m is even; it is left to strconv). The shortest
	// is at the first k for which (lo, hi) * 10^k holds an integer (if
	// one k does, every larger k does), and the closest of them to f is
	// f * 10^k rounded: the interval is narrower than 10 there, so it
	// holds no multiple of 10 (else an earlier k would have one), and
	// every candidate has as many digits. The interval is at least 1 wide
	// from the first k with 10^k >= 2^s on, so the search goes down from
	// there. All products are exact in float64: 2m±1 < 2^25 and 5^k <=
	// 5^12 < 2^28, as k <= 12 (s <= 37).
	a := math.Abs(float64(f))
	half := math.Float64frombits(uint64(1023-s-1) << 52) // 2^(-s-1)
	lo, hi := a-half, a+half
	// Products are below 2^53 here: float64(uint64(x)) truncates exactly.
	hit := func(k int) bool {
		p := pow10f64[k]
		l, h := lo*p, hi*p
		c := float64(uint64(l)) // ceil(l)
		if c < l {
			c++
		}
		return c > l && c < h
	}
	k = s * 1233 >> 12                                           // floor(s * log10(2)) or one less
	for pow10f64[k] < math.Float64frombits(uint64(1023+s)<<52) { // 2^s
		k++
	}
	if !hit(k) {
		return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	}
	for k > 0 && hit(k-1) {
		k--
	}
	fk := a * pow10f64[k] // < 10 * 2^24: fk + 0.5 is exact
	r := float64(uint64(fk + 0.5))
	if p := pow10f64[k]; r <= lo*p || r >= hi*p || fk-float64(uint64(fk)) == 0.5 {
		// A tie between two candidates: strconv decides.
		return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	}
	return appendFixed(dst, f, uint64(r), k)
}

// appendFixed appends f, whose shortest decimal is ±y / 10^k, in
// strconv's %f form (no trailing zeros after the point: y does not end in
// 0 when k > 0); when the decimal's exponent is out of the [-4, 6) range
// where 'g' writes %f, strconv writes f.
func appendFixed(dst []byte, f float32, y uint64, k int) []byte {
	nd := bits.Len64(y) * 1233 >> 12 // digits of y, or one more
	if y < pow10u64[nd] {
		nd--
	}
	nd++
	if e := nd - k - 1; e < -4 || e >= 6 || y == 0 {
		return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	}
	// The digits go straight into dst, from the last one back.
	n := max(nd, k+1) // digits written, with the leading zeros of 0.00ddd
	if k > 0 {
		n++ // the point
	}
	if f < 0 {
		dst = append(dst, '-')
	}
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	i := start + n - 1
	if k > 0 {
		i, y = putDigits(dst, i, y, k)
		dst[i] = '.'
		i--
	}
	putDigits(dst, i, y, i-start+1)
	return dst
}

// digits2 is "00" to "99".
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// putDigits writes the last cnt decimal digits of y (zero-padded) into
// dst, ending at index i, and returns the index before them and y without
// them.
func putDigits(dst []byte, i int, y uint64, cnt int) (int, uint64) {
	for ; cnt >= 2; cnt -= 2 {
		q := y / 100
		r := (y - q*100) * 2
		dst[i], dst[i-1] = digits2[r+1], digits2[r]
		i -= 2
		y = q
	}
	if cnt == 1 {
		dst[i] = byte('0' + y%10)
		i--
		y /= 10
	}
	return i, y
}

// appendJSON appends t as tensor.AppendJSON does, with the float32 fast
// path above.
func appendJSON(dst []byte, t *tensor.Tensor) []byte {
	if t.DType != tensor.Float32 || len(t.Shape) == 0 {
		return tensor.AppendJSON(dst, t)
	}
	vals := t.Float32s()
	i := 0
	return appendNestedF32(dst, vals, t.Shape, &i)
}

func appendNestedF32(dst []byte, vals []float32, shape tensor.Shape, i *int) []byte {
	dst = append(dst, '[')
	if len(shape) == 1 {
		for k := range shape[0] {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendFloat32(dst, vals[*i])
			*i++
		}
		return append(dst, ']')
	}
	for k := range shape[0] {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = appendNestedF32(dst, vals, shape[1:], i)
	}
	return append(dst, ']')
}

// appendJSONElem is tensor.AppendJSONElem with the float32 fast path.
func appendJSONElem(dst []byte, t *tensor.Tensor, i int) []byte {
	if t.DType == tensor.Float32 {
		return appendFloat32(dst, t.Float32s()[i])
	}
	return tensor.AppendJSONElem(dst, t, i)
}
