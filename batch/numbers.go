package batch

import (
	"math"
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
)

// shortDecimal reads tok when it is a JSON number without an exponent of
// at most 19 digits: -?(0|[1-9][0-9]*)(\.[0-9]+)? is mant / 10^frac,
// negated when neg. ok is false for anything else (which may still be a
// JSON number: the caller then asks strconv).
func shortDecimal(tok []byte) (mant uint64, frac int, neg, ok bool) {
	i := 0
	if len(tok) > 0 && tok[0] == '-' {
		neg, i = true, 1
	}
	if i == len(tok) {
		return 0, 0, false, false
	}
	digits := 0
	if tok[i] == '0' {
		i++
	} else {
		start := i
		for i < len(tok) && tok[i]-'0' < 10 {
			mant = mant*10 + uint64(tok[i]-'0')
			i++
		}
		digits = i - start
		if digits == 0 {
			return 0, 0, false, false
		}
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		start := i
		for i < len(tok) && tok[i]-'0' < 10 {
			mant = mant*10 + uint64(tok[i]-'0')
			i++
		}
		frac = i - start
		if frac == 0 {
			return 0, 0, false, false
		}
		digits += frac
	}
	return mant, frac, neg, i == len(tok) && digits <= 19
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
	bits := math.Float32bits(f)
	exp := int(bits>>23) & 0xff
	switch {
	case bits == 0:
		return append(dst, '0')
	case bits == 1<<31:
		return append(dst, "-0"...)
	case exp == 0xff && bits&(1<<23-1) != 0:
		return append(dst, `"NaN"`...)
	case exp == 0xff && f > 0:
		return append(dst, `"Infinity"`...)
	case exp == 0xff:
		return append(dst, `"-Infinity"`...)
	}
	a := math.Abs(float64(f))
	if a < 1e-4 || a >= 1e6 {
		return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	}
	// ulp is the spacing of float32s at f: 2^(exp-127-23).
	ulp := math.Ldexp(1, exp-150)
	for k := range 8 {
		// Exact: a has 24 significant bits, 10^k (k <= 7) at most 17.
		y := a * pow10f64[k]
		if y != math.Floor(y) {
			continue
		}
		// f is exactly y / 10^k, whose last digit is at 10^-k (or above).
		// Any decimal with fewer significant digits is at least 10^-k
		// away from f; when that is more than half an ulp, it does not
		// read back as f, so y / 10^k is the shortest decimal that does
		// (and the closest of its length: it is f itself).
		if ulp*pow10f64[k] > 1 {
			break
		}
		if f < 0 {
			dst = append(dst, '-')
		}
		v := uint64(y)
		ip, fp := v/uint64(pow10f64[k]), v%uint64(pow10f64[k])
		dst = strconv.AppendUint(dst, ip, 10)
		if k > 0 {
			dst = append(dst, '.')
			var buf [8]byte
			for i := k - 1; i >= 0; i-- {
				buf[i] = byte('0' + fp%10)
				fp /= 10
			}
			dst = append(dst, buf[:k]...)
		}
		return dst
	}
	return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
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
