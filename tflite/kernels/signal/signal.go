package signal

import "math/bits"

// ApplyWindow multiplies in by window (Q-format with shift fractional
// bits) into out, saturating to int16 (signal/src/window.cc).
func ApplyWindow(in, window []int16, shift int, out []int16) {
	for i, x := range in {
		v := (int32(x) * int32(window[i])) >> shift
		out[i] = int16(min(max(v, -32768), 32767))
	}
}

// msb32 is MostSignificantBit32 as TFLM builds it with GCC: the position of
// the highest set bit (1-based), and 32 for zero.
func msb32(x uint32) int {
	if x == 0 {
		return 32
	}
	return bits.Len32(x)
}

// msb64 is MostSignificantBit64 (64 for zero).
func msb64(x uint64) int {
	if x == 0 {
		return 64
	}
	return bits.Len64(x)
}

// maxAbs16 is MaxAbs16: the largest |x|, compared in int and stored as
// int16 as the reference does (so -32768 stores as -32768, and any later
// value then compares larger).
func maxAbs16(in []int16) int16 {
	var m int16
	for _, v := range in {
		if int32(v) > int32(m) {
			m = v
		} else if -int32(v) > int32(m) {
			m = int16(-int32(v))
		}
	}
	return m
}

// FftAutoScale shifts in left as far as its largest magnitude allows into
// out and returns the shift (signal/src/fft_auto_scale.cc).
func FftAutoScale(in, out []int16) int32 {
	scale := 16 - msb32(uint32(int32(maxAbs16(in)))) - 1
	if scale <= 0 {
		scale = 0
	}
	for i, v := range in {
		out[i] = int16(int32(v) * (1 << scale))
	}
	return int32(scale)
}

// SpectrumToEnergy writes re²+im² of the complex values in[start:end] to
// out[start:end] (signal/src/energy.cc); the rest of out is untouched.
func SpectrumToEnergy(in []Complex16, start, end int, out []uint32) {
	for i := start; i < end; i++ {
		r, im := int32(in[i].R), int32(in[i].I)
		out[i] = uint32(r*r + im*im)
	}
}

// FilterBank is a mel filter bank's configuration (signal/src/filter_bank.h):
// channel i+1 (i = -1 is scratch) sums Widths[i] bins from FreqStarts[i]
// with Weights/Unweights from WeightStarts[i].
type FilterBank struct {
	Weights, Unweights               []int16
	FreqStarts, WeightStarts, Widths []int16
	Channels                         int
}

// Accumulate computes the Channels outputs of the filter bank over in into
// out (FilterbankAccumulateChannels, without its scratch channel 0).
func (fb *FilterBank) Accumulate(in []uint32, out []uint64) {
	var weight, unweight uint64
	for i := 0; i <= fb.Channels; i++ {
		fs, ws := int(fb.FreqStarts[i]), int(fb.WeightStarts[i])
		for j := 0; j < int(fb.Widths[i]); j++ {
			x := uint64(in[fs+j])
			// int16 weight × uint64 sample: C converts the weight to
			// uint64 (sign-extended), products wrap modulo 2^64.
			weight += uint64(int64(fb.Weights[ws+j])) * x
			unweight += uint64(int64(fb.Unweights[ws+j])) * x
		}
		if i > 0 {
			out[i-1] = weight
		}
		weight, unweight = unweight, 0
	}
}

// sqrt32 is Sqrt32 (signal/src/square_root_32.cc): the rounded integer
// square root.
func sqrt32(num uint32) uint16 {
	if num == 0 {
		return 0
	}
	var res uint32
	maxBit := (32 - msb32(num)) | 1
	bit := uint32(1) << (31 - maxBit)
	for it := (31-maxBit)/2 + 1; it > 0; it-- {
		if num >= res+bit {
			num -= res + bit
			res = res>>1 + bit
		} else {
			res >>= 1
		}
		bit >>= 2
	}
	if num > res && res != 0xFFFF {
		res++
	}
	return uint16(res)
}

// Sqrt64 is Sqrt64 (signal/src/square_root_64.cc), with its 32-bit
// shortcut when the upper word is clear.
func Sqrt64(num uint64) uint32 {
	if num>>32 == 0 {
		return uint32(sqrt32(uint32(num)))
	}
	var res uint64
	maxBit := (64 - msb64(num)) | 1
	bit := uint64(1) << (63 - maxBit)
	for it := (63-maxBit)/2 + 1; it > 0; it-- {
		if num >= res+bit {
			num -= res + bit
			res = res>>1 + bit
		} else {
			res >>= 1
		}
		bit >>= 2
	}
	if num > res && res != 0xFFFFFFFF {
		res++
	}
	return uint32(res)
}

// FilterBankSqrt writes sqrt(in[i]) >> shift (FilterbankSqrt). shift comes
// from a tensor at run time: C's shift of a 32-bit value by 32 or more is
// undefined, x86 masks the count, and so does this.
func FilterBankSqrt(in []uint64, shift int32, out []uint32) {
	s := uint(shift) & 31
	for i, v := range in {
		out[i] = Sqrt64(v) >> s
	}
}

// SpectralSubtraction is the configuration of the noise-estimate filter
// (signal/src/filter_bank_spectral_subtraction.h).
type SpectralSubtraction struct {
	Smoothing, OneMinusSmoothing                   uint32
	AlternateSmoothing, AlternateOneMinusSmoothing uint32
	MinSignalRemaining                             uint32
	SmoothingBits, SpectralSubtractionBits         uint32
	Clamping                                       bool
}

// Apply subtracts the running noise estimate (updated in place) from in
// into out (FilterbankSpectralSubtraction).
func (c *SpectralSubtraction) Apply(in, out, noise []uint32) {
	sb, ssb := c.SmoothingBits&31, c.SpectralSubtractionBits&63
	for i, x := range in {
		smoothing, oneMinus := c.Smoothing, c.OneMinusSmoothing
		if i&1 == 1 {
			smoothing, oneMinus = c.AlternateSmoothing, c.AlternateOneMinusSmoothing
		}
		up := x << sb
		noise[i] = uint32((uint64(up)*uint64(smoothing) + uint64(noise[i])*uint64(oneMinus)) >> ssb)
		est := noise[i]
		if est > up {
			est = up
			if c.Clamping {
				noise[i] = est
			}
		}
		floor := uint32((uint64(x) * uint64(c.MinSignalRemaining)) >> ssb)
		sub := (up - est) >> sb
		out[i] = max(sub, floor)
	}
}

// PCAN constants (signal/src/pcan_argc_fixed.h).
const (
	pcanSnrBits    = 12
	pcanOutputBits = 6
)

// PcanLUTLen is the number of gain-table entries WideDynamicFunction may
// read (4·32 − 6 + 3).
const PcanLUTLen = 125

// wideDynamic is WideDynamicFunction: the gain for noise estimate x from
// lut (PcanLUTLen entries).
func wideDynamic(x uint32, lut []int16) int16 {
	if x <= 2 {
		return lut[x]
	}
	interval := int16(msb32(x))
	l := lut[4*int(interval)-6:]
	var f uint32
	if interval < 11 {
		f = x << (11 - interval)
	} else {
		f = x >> (interval - 11)
	}
	frac := int32(int16(f & 0x3FF))
	result := (int32(l[2]) * frac) >> 5
	result += int32(uint32(int32(l[1])) << 5)
	result *= frac
	result = (result + 1<<14) >> 15
	result += int32(l[0])
	return int16(result)
}

func pcanShrink(x uint32) uint32 {
	if x < 2<<pcanSnrBits {
		return (x * x) >> (2 + 2*pcanSnrBits - pcanOutputBits)
	}
	return x>>(pcanSnrBits-pcanOutputBits) - 1<<pcanOutputBits
}

// Pcan applies per-channel automatic gain control (ApplyPcanAutoGainControlFixed)
// to in into out, with gains from lut (PcanLUTLen entries) at the given
// noise estimates.
func Pcan(in, noise []uint32, lut []int16, snrShift int32, out []uint32) {
	s := uint(snrShift) & 63
	for i, x := range in {
		gain := uint32(int32(wideDynamic(noise[i], lut)))
		snr := uint32((uint64(x) * uint64(gain)) >> s)
		out[i] = pcanShrink(snr)
	}
}

var logLUT = [...]uint16{
	0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163,
	2329, 2490, 2646, 2797, 2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848,
	3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791, 4864, 4934,
	5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507,
	5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633,
	5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370,
	5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762,
	4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848,
	3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659,
	2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224,
	1094, 963, 830, 695, 559, 421, 282, 142, 0, 0,
}

// log2Fraction is Log2FractionPart32: the interpolated fractional part of
// log2(x) in Q16, given its integer part.
func log2Fraction(x, log2x uint32) uint32 {
	frac := int32(uint32(int64(x) - int64(1)<<log2x))
	if log2x < 16 {
		frac <<= 16 - log2x
	} else {
		frac >>= log2x - 16
	}
	base := uint32(frac) >> (16 - 7)
	const segUnit = (1 << 16) >> 7
	c0 := int32(logLUT[base])
	c1 := int32(logLUT[base+1])
	segBase := int32(segUnit * base)
	rel := ((c1 - c0) * (frac - segBase)) >> 16
	return uint32(frac + c0 + rel)
}

// Log32 is the fixed-point natural log of x (x > 1) scaled by
// outScale/65536 (signal/src/log.cc).
func Log32(x, outScale uint32) uint32 {
	integer := uint32(msb32(x)) - 1
	fraction := log2Fraction(x, integer)
	log2 := integer<<16 + fraction
	const round = 1 << 15
	loge := uint32((uint64(45426)*uint64(log2) + round) >> 16)
	return (outScale*loge + round) >> 16
}

// FilterBankLog writes the scaled log of each channel, saturated to
// int16, 0 for inputs that are 0 or 1 after the correction shift
// (FilterbankLog).
func FilterBankLog(in []uint32, outScale int32, correctionBits int32, out []int16) {
	cb := uint(correctionBits) & 31
	for i, x := range in {
		scaled := x << cb
		if scaled > 1 {
			v := Log32(scaled, uint32(outScale))
			out[i] = int16(min(v, 32767))
		} else {
			out[i] = 0
		}
	}
}
