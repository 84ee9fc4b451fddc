package elementwise

import (
	"math"
	"math/bits"

	"github.com/edgeinfer/edgeinfer/tflite/kernels"
)

// Fixed-point helpers in the style of gemmlowp's FixedPoint<int32_t, N>:
// a raw int32 with N integer bits and 31-N fractional bits. Sums wrap as
// the upstream int32 arithmetic does; products use the saturating rounding
// doubling high multiply.

// srdhm is kernels.SaturatingRoundingDoublingHighMul and rdpot
// kernels.RoundingDivideByPOT, as functions (not variables) so that the
// compiler can inline them into the per-element loops.
func srdhm(a, b int32) int32 { return kernels.SaturatingRoundingDoublingHighMul(a, b) }

func rdpot(x int32, exponent int) int32 { return kernels.RoundingDivideByPOT(x, exponent) }

// satShl multiplies x by 2^e (e >= 0), saturating to the int32 range
// (gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent).
func satShl(x int32, e int) int32 {
	if e == 0 {
		return x
	}
	thr := int32(1)<<uint(31-e) - 1
	if x > thr {
		return math.MaxInt32
	}
	if x < -thr {
		return math.MinInt32
	}
	return x << uint(e)
}

// rescale converts a raw value from src to dst integer bits.
func rescale(x int32, src, dst int) int32 {
	e := src - dst
	switch {
	case e > 0:
		return satShl(x, e)
	case e < 0:
		return rdpot(x, -e)
	}
	return x
}

// roundingHalfSum returns (a+b)/2 rounded half away from zero.
func roundingHalfSum(a, b int32) int32 {
	s := int64(a) + int64(b)
	if s >= 0 {
		return int32((s + 1) / 2)
	}
	return int32((s - 1) / 2)
}

// expQuarter returns exp(a) for a in [-1/4, 0), a and result in Q0.31.
func expQuarter(a int32) int32 {
	const constTerm = 1895147668 // exp(-1/8)
	const oneThird = 715827883
	x := a + 1<<28
	x2 := srdhm(x, x)
	x3 := srdhm(x2, x)
	x4 := srdhm(x2, x2)
	x4o4 := rdpot(x4, 2)
	t := rdpot(srdhm(x4o4+x3, oneThird)+x2, 1)
	return constTerm + srdhm(constTerm, x+t)
}

// expBarrel holds exp(-2^k) in Q0.31 for k = -2..4.
var expBarrel = [7]int32{1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242}

// expNeg returns exp(a) for a <= 0 given with ib integer bits, in Q0.31
// (gemmlowp exp_on_negative_values).
func expNeg(a int32, ib int) int32 {
	frac := 31 - ib
	quarter := int32(1) << uint(frac-2)
	amq := (a & (quarter - 1)) - quarter
	result := expQuarter(rescale(amq, ib, 0))
	rem := amq - a
	for i, m := range expBarrel {
		k := i - 2
		if ib > k && rem&(int32(1)<<uint(frac+k)) != 0 {
			result = srdhm(result, m)
		}
	}
	if ib > 5 && a < -(int32(1)<<uint(36-ib)) {
		result = 0
	}
	if a == 0 {
		result = math.MaxInt32
	}
	return result
}

// newtonRecip runs gemmlowp's Newton-Raphson division for 1/(1+a), a in
// Q0.31 within [0, 1), and returns x in Q2.29 (x ≈ 2/(1+a)).
func newtonRecip(a int32) int32 {
	const c48over17 = 1515870810
	const cNeg32over17 = -1010580540
	const one2 = int32(1) << 29
	half := roundingHalfSum(a, math.MaxInt32)
	x := c48over17 + srdhm(half, cNeg32over17)
	for range 3 {
		hx := srdhm(half, x)
		x = x + satShl(srdhm(x, one2-hx), 2)
	}
	return x
}

// oneOverOnePlusX returns 1/(1+a) for a in [0, 1), both in Q0.31.
func oneOverOnePlusX(a int32) int32 { return satShl(newtonRecip(a), 1) }

// oneMinusXOverOnePlusX returns (1-a)/(1+a) for a in [0, 1), in Q0.31.
func oneMinusXOverOnePlusX(a int32) int32 { return satShl(newtonRecip(a)-int32(1)<<29, 2) }

// fixedLogistic returns 1/(1+exp(-a)) in Q0.31 for a with ib integer bits.
func fixedLogistic(a int32, ib int) int32 {
	if a == 0 {
		return 1 << 30
	}
	abs := a
	if a < 0 {
		abs = -a
	}
	pos := oneOverOnePlusX(expNeg(-abs, ib))
	if a > 0 {
		return pos
	}
	return math.MaxInt32 - pos
}

// fixedTanh returns tanh(a) in Q0.31 for a with ib integer bits.
func fixedTanh(a int32, ib int) int32 {
	if a == 0 {
		return 0
	}
	n := a
	if a > 0 {
		n = -a
	}
	t := oneMinusXOverOnePlusX(expNeg(n, ib+1))
	if a < 0 {
		return -t
	}
	return t
}

// clz32 counts the leading zero bits of x.
func clz32(x uint32) int { return bits.LeadingZeros32(x) }

// countLeadingSignBits returns the number of redundant sign bits of x.
func countLeadingSignBits(x int32) int {
	switch {
	case x >= 0:
		return clz32(uint32(x)) - 1
	case x != math.MinInt32:
		return clz32(2*uint32(-x) - 1)
	}
	return 0
}

// reciprocal returns 1/x as a Q0.31 value scaled by 2^-numBitsOverUnit,
// for x > 0 with xIntBits integer bits (TFLite GetReciprocal).
func reciprocal(x int32, xIntBits int) (inv int32, numBitsOverUnit int) {
	hp1 := clz32(uint32(x))
	numBitsOverUnit = xIntBits - hp1
	shiftedMinusOne := int32(uint32(x)<<uint(hp1) - 1<<31)
	return oneOverOnePlusX(shiftedMinusOne), numBitsOverUnit
}

// srdhm16 is gemmlowp's 16-bit SaturatingRoundingDoublingHighMul.
func srdhm16(a, b int16) int16 {
	if a == b && a == math.MinInt16 {
		return math.MaxInt16
	}
	ab := int32(a) * int32(b)
	nudge := int32(1 << 14)
	if ab < 0 {
		nudge = 1 - 1<<14
	}
	return int16((ab + nudge) / (1 << 15))
}

// roundF32 is roundf on a float32.
func roundF32(x float32) float32 { return float32(math.Round(float64(x))) }
