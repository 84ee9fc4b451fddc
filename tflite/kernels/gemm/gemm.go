package gemm

import (
	"errors"
	"fmt"
	"math"
)

// Packed layout constants.
const (
	PanelN = 16 // output channels per panel (one 512-bit vector of int32)
	PanelK = 4  // consecutive reduction steps per block
	// MaxShift bounds the magnitude of a requantization shift.
	MaxShift = 31
)

// ErrParams reports requantization parameters the kernels cannot apply.
var ErrParams = errors.New("gemm: invalid requantization parameters")

// PackedInt8 is an int8 weight matrix of O rows (output channels) and K
// columns packed for Int8: panel p holds channels [16p, 16p+16); within a
// panel, block b holds k in [4b, 4b+4) as 16 channels × 4 bytes. K is padded
// to KP (a multiple of 4) and O to Panels·16 with zero weights. Immutable
// once built; share it between goroutines freely.
type PackedInt8 struct {
	O, K   int    // logical output channels and reduction length
	KP     int    // K rounded up to a multiple of PanelK
	Panels int    // ceil(O / PanelN)
	Data   []int8 // Panels × KP/PanelK blocks × PanelN × PanelK
	// ColSum[c] is the sum of channel c's weights.
	ColSum []int32
	// Unsigned marks weights packed by PackUint8: Data holds uint8
	// values (each byte read as unsigned).
	Unsigned bool
	// data16 is Data sign-extended to int16, built only where the AVX2
	// kernel runs.
	data16 []int16
}

// PanelBytes returns the size of one packed panel.
func (p *PackedInt8) PanelBytes() int { return p.KP * PanelN }

// PackInt8 packs the row-major [o, k] weight matrix w (len ≥ o·k).
func PackInt8(w []int8, o, k int) *PackedInt8 {
	kp := (k + PanelK - 1) / PanelK * PanelK
	panels := (o + PanelN - 1) / PanelN
	p := &PackedInt8{O: o, K: k, KP: kp, Panels: panels,
		Data: make([]int8, panels*kp*PanelN), ColSum: make([]int32, o)}
	for c := 0; c < o; c++ {
		row := w[c*k : (c+1)*k]
		base := (c / PanelN) * kp * PanelN
		lane := c % PanelN
		var s int32
		for i, v := range row {
			p.Data[base+(i/PanelK)*PanelN*PanelK+lane*PanelK+i%PanelK] = v
			s += int32(v)
		}
		p.ColSum[c] = s
	}
	if needData16() {
		p.widen()
	}
	return p
}

// PackUint8 packs the row-major [o, k] uint8 weight matrix w like
// PackInt8, the bytes kept as unsigned values (Unsigned): the VNNI
// kernels then take the weights as VPDPBUSD's unsigned operand and the
// activations as they are as its signed one, with no offset of either.
// Int8, Int8Seg, Int8Rows and Int8RowsPairs (PackUint8Pairs) take such
// weights; Int8Acc does not.
func PackUint8(w []uint8, o, k int) *PackedInt8 {
	v := make([]int8, o*k)
	for i, x := range w[:o*k] {
		v[i] = int8(x)
	}
	p := PackInt8(v, o, k)
	p.Unsigned = true
	for c := range p.ColSum {
		var s int32
		for _, x := range w[c*k : (c+1)*k] {
			s += int32(x)
		}
		p.ColSum[c] = s
	}
	if p.data16 != nil {
		p.widen()
	}
	return p
}

// weight returns the packed byte v as a weight value.
func (p *PackedInt8) weight(v int8) int32 {
	if p.Unsigned {
		return int32(uint8(v))
	}
	return int32(v)
}

// widen builds data16.
func (p *PackedInt8) widen() {
	p.data16 = make([]int16, len(p.Data))
	for i, v := range p.Data {
		p.data16[i] = int16(p.weight(v))
	}
}

// ParamWords is the number of int32 words of one panel's parameter block
// (ParamBlocks): bias, mult (even lanes), mult (odd lanes moved to even),
// left shift, right shift, rounding mask, rounding threshold, 16 each.
const ParamWords = 7 * PanelN

// ParamBlocks lays out per-channel requantization parameters as the vector
// kernels read them: one ParamWords block per 16 channels, channels past
// len(bias) zero. mult and shift must satisfy NewRequant's checks.
func ParamBlocks(bias, mult []int32, shift []int) []int32 {
	panels := (len(bias) + PanelN - 1) / PanelN
	blocks := make([]int32, panels*ParamWords)
	for c := range bias {
		blk := blocks[(c/PanelN)*ParamWords:]
		l := c % PanelN
		left, right := max(shift[c], 0), max(-shift[c], 0)
		blk[l] = bias[c]
		if l%2 == 0 {
			blk[PanelN+l] = mult[c]
		} else {
			blk[2*PanelN+l-1] = mult[c]
		}
		blk[3*PanelN+l] = int32(left)
		blk[4*PanelN+l] = int32(right)
		mask := int32(uint32(1)<<uint(right) - 1)
		blk[5*PanelN+l] = mask
		blk[6*PanelN+l] = mask >> 1
	}
	return blocks
}

// blockBytes64 is the size of one panel's block of blocks64: bias, left
// shift, even and odd multipliers (int32, as VPMULDQ reads them), then for
// even and odd channels (int64 each) the rounding addend, the threshold
// below which a product is negative after the first rounding, and the
// total right shift.
const blockBytes64 = 640

// paramBlocks64 lays out the parameters of the fused VNNI epilogue, which
// applies MultiplyByQuantizedMultiplier with one 64-bit rounding: for
// P = (x << left)·m, the result is
//
//	(P + 2^30 + (2^(right-1) − [P < −2^30])·2^31) >> (31 + right)
//
// (for right = 0: (P + 2^30) >> 31), which equals the double rounding of
// the reference because ⌊(⌊y/B⌋ + c)/R⌋ = ⌊(y + cB)/(BR)⌋ for integer c.
func paramBlocks64(bias, mult []int32, shift []int) []int32 {
	panels := (len(bias) + PanelN - 1) / PanelN
	const words = blockBytes64 / 4
	blocks := make([]int32, panels*words)
	put64 := func(blk []int32, word int, v int64) {
		blk[word] = int32(uint32(v))
		blk[word+1] = int32(uint64(v) >> 32)
	}
	for c := range bias {
		blk := blocks[(c/PanelN)*words:]
		l := c % PanelN
		left, right := max(shift[c], 0), max(-shift[c], 0)
		blk[l] = bias[c]
		blk[16+l] = int32(left)
		half := l / 2 // int64 slot of this channel within its parity
		par := l % 2  // 0 even, 1 odd
		blk[32+16*par+2*half] = mult[c]
		add, thr := int64(1)<<30, int64(math.MinInt64)
		if right > 0 {
			add += int64(1) << (right - 1) << 31
			thr = -(1 << 30)
		}
		put64(blk, 64+16*par+2*half, add)
		put64(blk, 96+16*par+2*half, thr)
		put64(blk, 128+16*par+2*half, int64(31+right))
	}
	return blocks
}

// blockBytesFast is the size of one panel's block of paramBlocksFast.
const blockBytesFast = 512

// paramBlocksFast lays out the parameters of the fast VNNI epilogue, or
// returns nil where some channel could leave the int32 range it relies
// on. Per panel: bias (int32, the accumulators' initial value), left+1,
// the even and odd multipliers (int32 in the low half of each int64
// lane), the even and odd addends 2A (int64), the sign shift c and right
// (int32). With x = acc + bias (exact: no int32 wrap), X = x·2^left,
// P = X·m and R = right, the epilogue computes per channel
//
//	h = ⌊(2X·m + 2A) / 2^32⌋ = ⌊(P + A) / 2^31⌋,
//	A = 2^30 + [R > 0]·2^(30+R) + z·2^(31+R)   (z the output offset)
//
// as the high half of a 64-bit product (VPMULDQ, VPADDQ, one VPERMT2D
// gathering the high halves), so h = hi + [R > 0]·2^(R−1) + z·2^R where
// hi = ⌊(P + 2^30) / 2^31⌋ is the first (SaturatingRoundingDoublingHighMul)
// rounding; then, with s = (2X as uint32) >> c, that is [x < 0] for
// c = 31 (R > 0) and 0 for c = 32 (R = 0),
//
//	out = (h − s) >> R = ⌊(hi + 2^(R−1) − s) / 2^R⌋ + z,
//
// the second rounding (ties away from zero) plus z: TensorFlow Lite's is
// ⌊(hi + 2^(R−1) − [hi < 0]) / 2^R⌋ (the identity of paramBlocks64), and
// for R > 0, [x < 0] differs from [hi < 0] only where x < 0 and hi = 0
// (P ∈ [−2^30, 0]), where both give ⌊(2^(R−1) − s) / 2^R⌋ = 0. A final
// saturating int32→int8 narrowing (VPMOVSDB) equals the clamp to
// [−128, 127] of int32 v + z.
//
// Exactness needs every intermediate in int32: with |x| ≤ 128·Σ|w| +
// |bias| (Σ over the channel's weights: the activations are int8),
// 2X must not wrap, and |h| ≤ |X| + 1 + 2^(R−1) + |z|·2^R must stay below
// 2^31 − 1 (so h and h − 1 are exact). Layers whose parameters break
// either bound (never the case for real models) use paramBlocks64.
//
// For unsigned weights (PackUint8) the block takes the form of their
// kernels (requant16 in gen_amd64.go), which apply no left shift: nil
// where a channel has one.
//
// extra widens the bound on |x| (Int8Rows' row terms).
func paramBlocksFast(w *PackedInt8, bias, eff, mult []int32, shift []int, z int32, extra int64) []int32 {
	panels := (len(bias) + PanelN - 1) / PanelN
	const words = blockBytesFast / 4
	blocks := make([]int32, panels*words)
	pb := w.PanelBytes()
	for c := range bias {
		left, right := max(shift[c], 0), max(-shift[c], 0)
		// The bound on |x|: 128·Σ|w| + |bias|.
		p0 := (c / PanelN) * pb
		lane := c % PanelN
		var abs int64
		for k := 0; k < w.KP; k += PanelK {
			for i := 0; i < PanelK; i++ {
				abs += abs64(int64(w.weight(w.Data[p0+k*PanelN+lane*PanelK+i])))
			}
		}
		x := 128*abs + abs64(int64(bias[c])) + extra
		const lim = 1<<31 - 1
		if x<<(left+1) > lim {
			return nil
		}
		h := x<<left + 2 + abs64(int64(z))<<right
		if right > 0 {
			h += 1 << (right - 1)
		}
		if h >= lim {
			return nil
		}
		blk := blocks[(c/PanelN)*words:]
		blk[lane] = eff[c]
		blk[16+lane] = int32(left + 1)
		half, par := lane/2, lane%2
		blk[32+16*par+2*half] = mult[c]
		a := uint64(1)<<31 + uint64(int64(z))<<(32+right)
		cnt := int32(32)
		if right > 0 {
			a += uint64(1) << (31 + right)
			cnt = 31
		}
		if w.Unsigned {
			// The unsigned-weight kernels' form (requant16 in
			// gen_amd64.go): accumulators from eff + 2^30, VPMULUDQ by 2m,
			// the addend less 2^31·m and, for R > 0, one unit of h, which
			// X' >>> 30 gives back where x ≥ 0.
			if left != 0 {
				return nil
			}
			blk[lane] = eff[c] + 1<<30
			blk[16+lane] = 0
			blk[32+16*par+2*half] = int32(uint32(2 * mult[c]))
			a -= uint64(mult[c]) << 31
			cnt = 32
			if right > 0 {
				a -= 1 << 32
				cnt = 30
			}
		}
		blk[64+16*par+2*half] = int32(uint32(a))
		blk[64+16*par+2*half+1] = int32(uint32(a >> 32))
		blk[96+lane] = cnt
		blk[112+lane] = int32(right)
	}
	return blocks
}

func abs64(v int64) int64 { return max(v, -v) }

// Requant is the output stage of Int8 for one weight matrix: for channel c
// and accumulator acc = Σ_k x·w,
//
//	out = clamp(MultiplyByQuantizedMultiplier(acc + Bias[c], Mult[c], Shift[c]) + OutputOffset, Min, Max)
//
// with TensorFlow Lite's double rounding. Build it with NewRequant;
// immutable afterwards.
type Requant struct {
	Bias         []int32 // effective bias: bias + inputOffset·ColSum
	Mult         []int32
	Shift        []int // positive = left
	OutputOffset int32
	Min, Max     int32
	// blocks holds the per-panel parameter blocks of the VNNI kernel
	// (paramBlocks64); their bias includes the −128·ColSum correction of
	// the unsigned activation trick. blocksS holds the ParamBlocks of the
	// signed (AVX2) kernel. fast holds the paramBlocksFast of the VNNI
	// kernel, nil where a channel's range rules that epilogue out.
	blocks, blocksS, fast []int32
	// uni, for unsigned weights with the fast epilogue and one
	// multiplier and shift for every channel, holds the constants of the
	// uniform kernels (uniformParams); nil otherwise.
	uni []int32
}

// NewRequant folds bias (nil for none) and inputOffset (minus the input
// zero point) into per-channel parameters for w. mult and shift have one
// entry per output channel, as kernels.QuantizeMultiplier produces them.
func NewRequant(w *PackedInt8, bias []int32, inputOffset int32, mult []int32, shift []int, outputOffset, lo, hi int32) (*Requant, error) {
	return NewRequantRows(w, bias, inputOffset, mult, shift, outputOffset, lo, hi, 0)
}

// NewRequantRows is NewRequant for Int8Rows, whose row terms are at most
// rowTerm in absolute value.
func NewRequantRows(w *PackedInt8, bias []int32, inputOffset int32, mult []int32, shift []int, outputOffset, lo, hi int32, rowTerm int64) (*Requant, error) {
	if rowTerm < 0 || rowTerm > math.MaxInt32 {
		return nil, fmt.Errorf("%w: row term bound %d", ErrParams, rowTerm)
	}
	if len(mult) != w.O || len(shift) != w.O || (bias != nil && len(bias) != w.O) {
		return nil, fmt.Errorf("%w: %d channels, %d multipliers, %d shifts, %d biases", ErrParams, w.O, len(mult), len(shift), len(bias))
	}
	if lo > hi || lo < math.MinInt8 || hi > math.MaxInt8 {
		return nil, fmt.Errorf("%w: clamp [%d, %d]", ErrParams, lo, hi)
	}
	q := &Requant{Bias: make([]int32, w.O), Mult: mult, Shift: shift, OutputOffset: outputOffset, Min: lo, Max: hi}
	for c := range q.Bias {
		if mult[c] < 0 || shift[c] < -MaxShift || shift[c] > MaxShift {
			return nil, fmt.Errorf("%w: channel %d multiplier %d shift %d", ErrParams, c, mult[c], shift[c])
		}
		q.Bias[c] = inputOffset * w.ColSum[c]
		if bias != nil {
			q.Bias[c] += bias[c]
		}
	}
	eff := make([]int32, w.O)
	for c := range eff {
		eff[c] = q.Bias[c]
		if !w.Unsigned {
			eff[c] -= 128 * w.ColSum[c] // the kernels' activations are x + 128
		}
	}
	q.blocks = paramBlocks64(eff, mult, shift)
	q.fast = paramBlocksFast(w, q.Bias, eff, mult, shift, outputOffset, rowTerm)
	q.blocksS = ParamBlocks(q.Bias, mult, shift)
	if w.Unsigned && q.fast != nil {
		q.uni = uniformParams(mult, shift, outputOffset, lo, hi)
	}
	return q, nil
}

// Words of uniformParams.
const (
	uniM    = 4  // m as an int64 (VPMULDQ), words 4-5
	uniD0   = 6  // D0 as an int64, words 6-7
	uniM2   = 8  // 2m as a uint32 (VPMULUDQ)
	uniThr  = 9  // t
	uniR    = 10 // R
	uniOne  = 11 // 1
	uniSize = 16
)

// uniformParams returns the constants of the uniform output stage of the
// unsigned-weight kernels (requantUniform in gen_amd64.go), or nil where
// the channels do not share one multiplier m and one right shift R
// (left shifts never reach here: paramBlocksFast rules them out for
// unsigned weights). The caller has checked the bounds of
// paramBlocksFast, which hold here too: the accumulators start at
// X' = acc + bias + 2^30 ∈ [0, 2^31) (the row term rt is not added to
// them), and for each row
//
//	D_r = 2m·rt + D0,  D0 = 2A − 2^31·m,  A = 2^30 + [R > 0]·2^(30+R) + z·2^(31+R),
//
// so X'·2m + D_r = 2P + 2A with P = (acc + bias + rt)·m, whose high
// 32 bits (exact modulo 2^64: VPMULUDQ, VPADDQ) are
// h = ⌊(P + A)/2^31⌋ = hi + [R > 0]·2^(R−1) + z·2^R, hi being the first
// (SaturatingRoundingDoublingHighMul) rounding ⌊(P + 2^30)/2^31⌋. The
// second, TensorFlow Lite's RoundingDivideByPOT, is
// ⌊(hi + 2^(R−1) − [hi < 0])/2^R⌋ (see paramBlocks64) for R > 0 and hi
// for R = 0, so the output is
//
//	(h − [h < t]) >> R,  t = 2^(R−1) + z·2^R (hi < 0 ⟺ h < t),
//
// with t = −2^31 for R = 0 (no correction). The words: z, lo, hi, 0,
// m (int64), D0 (int64), 2m, t, R, 1.
func uniformParams(mult []int32, shift []int, z, lo, hi int32) []int32 {
	st, ok := NewUniformStage(mult, shift, z)
	if !ok {
		return nil
	}
	u := make([]int32, uniSize)
	u[0], u[1], u[2] = z, lo, hi
	u[uniM] = st.M
	u[uniD0], u[uniD0+1] = int32(uint32(st.D0)), int32(uint32(st.D0>>32))
	u[uniM2] = int32(uint32(2 * uint32(st.M)))
	u[uniThr] = st.T
	u[uniR] = int32(st.R)
	u[uniOne] = 1
	return u
}

// UniformStage holds the layer constants of the uniform output stage
// (uniformParams): the multiplier m, the right shift R, D0 = 2A − 2^31·m
// (modulo 2^64) and the tie threshold t. conv's stem shares it.
type UniformStage struct {
	M  int32
	R  int
	D0 uint64
	T  int32
}

// NewUniformStage returns the uniform output stage's constants for output
// offset z, or ok=false where the channels do not share one multiplier
// and one right shift (a left shift is refused too) or t does not fit an
// int32.
func NewUniformStage(mult []int32, shift []int, z int32) (st UniformStage, ok bool) {
	if len(mult) == 0 {
		return st, false
	}
	m, s := mult[0], shift[0]
	for c := range mult {
		if mult[c] != m || shift[c] != s {
			return st, false
		}
	}
	if s > 0 {
		return st, false
	}
	right := -s
	a := uint64(1)<<31 + uint64(int64(z))<<(32+right) // 2A
	thr := int64(math.MinInt32)
	if right > 0 {
		a += uint64(1) << (31 + right)
		thr = int64(1)<<(right-1) + int64(z)<<right
	}
	if thr != int64(int32(thr)) {
		return st, false
	}
	return UniformStage{M: m, R: right, D0: a - uint64(m)<<31, T: int32(thr)}, true
}

// Uniform reports whether q has the uniform output stage (one multiplier
// and shift for every channel, unsigned weights, the fast epilogue's
// range): what Int8RowsKPairs needs.
func (q *Requant) Uniform() bool { return q.uni != nil }

// FastEpilogue reports whether the VNNI kernels apply q with their fast
// output stage (the only one of the unsigned-weight kernels, PackUint8:
// without it they fall back to the generic loop).
func (q *Requant) FastEpilogue() bool { return q.fast != nil }

// Int8 computes out[r·ldo + c] for rows r in [0, rows) and the channels c
// of panels [p0, p1): the requantized dot product of a[r·lda : r·lda+K]
// with channel c's weights. Rows of a may be read up to KP bytes (the
// padding bytes meet zero weights); out receives only valid channels.
func Int8(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	if rows <= 0 || p0 >= p1 {
		return
	}
	// The vector kernels read KP bytes of every row; fall back for a last
	// row that ends before that.
	if need := (rows-1)*lda + w.KP; len(a) < need {
		Int8(a, lda, rows-1, w, q, p0, p1, out, ldo)
		int8Generic(a[(rows-1)*lda:], lda, 1, w, q, p0, p1, out[(rows-1)*ldo:], ldo)
		return
	}
	if w.Unsigned && !unsignedFast() {
		int8Generic(a, lda, rows, w, q, p0, p1, out, ldo)
		return
	}
	int8Fast(a, lda, rows, w, q, p0, p1, out, ldo)
}

// RowTermsFast reports whether Int8Rows runs a vector kernel on this
// machine (elsewhere it is correct, not fast).
func RowTermsFast() bool { return rowTermsFast() }

// Int8Rows is Int8 with rt[r] added to every channel's accumulator of row r
// before the output stage: out[r·ldo + c] is the requantized
// acc + Bias[c] + rt[r]. q must come from NewRequantRows with a bound on
// |rt[r]|, and every accumulator plus bias plus row term must fit int32.
func Int8Rows(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int, rt []int32) {
	if rows <= 0 || p0 >= p1 {
		return
	}
	_ = rt[rows-1]
	if need := (rows-1)*lda + w.KP; len(a) < need {
		Int8Rows(a, lda, rows-1, w, q, p0, p1, out, ldo, rt)
		int8GenericRows(a[(rows-1)*lda:], lda, 1, w, q, p0, p1, out[(rows-1)*ldo:], ldo, rt[rows-1:])
		return
	}
	if !int8RowsFast(a, lda, rows, w, q, p0, p1, out, ldo, rt) {
		int8GenericRows(a, lda, rows, w, q, p0, p1, out, ldo, rt)
	}
}

// PackInt8Pairs packs the row-major [o, k] weight matrix w (o ≤ 8) for
// Int8RowsPairs: one 16-channel matrix whose channels c and 8 + c are
// both channel c of w (zero for c ≥ o).
func PackInt8Pairs(w []int8, o, k int) *PackedInt8 {
	if o > PanelN/2 {
		panic(fmt.Sprintf("gemm: PackInt8Pairs: %d channels", o))
	}
	return PackInt8(Pairs(w[:o*k], k), PanelN, k)
}

// PackUint8Pairs is PackInt8Pairs for uint8 weights (PackUint8).
func PackUint8Pairs(w []uint8, o, k int) *PackedInt8 {
	if o > PanelN/2 {
		panic(fmt.Sprintf("gemm: PackUint8Pairs: %d channels", o))
	}
	return PackUint8(Pairs(w[:o*k], k), PanelN, k)
}

// Pairs returns v (per-channel values, every run of n values one
// channel, at most 8 channels) laid out for a pair panel: channel c
// at c and 8 + c, zeros elsewhere.
func Pairs[T any](v []T, n int) []T {
	o := len(v) / n
	d := make([]T, PanelN*n)
	copy(d, v[:o*n])
	copy(d[PanelN/2*n:], v[:o*n])
	return d
}

// Int8RowsPairs is Int8Rows for at most 8 output channels with the
// weights packed by PackInt8Pairs or PackUint8Pairs and q built from them (NewRequantRows
// with Pairs of the bias, multipliers and shifts): two rows run in one
// vector of 16 lanes. rows must be even and o is the real channel count.
// It reports false, doing nothing, where it has no vector kernel (no
// AVX-512 VNNI, or q rules out the fast epilogue).
func Int8RowsPairs(a []int8, lda, rows int, w *PackedInt8, q *Requant, o int, out []int8, ldo int, rt []int32) bool {
	if rows <= 0 || rows%2 != 0 || w.O != PanelN || o < 1 || o > PanelN/2 {
		return false
	}
	_ = a[(rows-1)*lda+w.KP-1]
	_ = out[(rows-1)*ldo+o-1]
	_ = rt[rows-1]
	return int8RowsPairsFast(a, lda, rows, w, q, o, out, ldo, rt)
}

// SegmentedFast reports whether Int8Seg runs a vector kernel on this
// machine; elsewhere it gathers every row first (correct, not fast).
func SegmentedFast() bool { return segmentedFast() }

// Int8Seg is Int8 for rows whose KP reduction values lie in segs equal
// segments of KP/segs values (KP/segs a multiple of PanelK): row r's
// segment s starts at a[r·lda + s·segStride]. A convolution reads its
// windows in place this way (one segment per filter row) with the filter
// packed to match, zero weights over the values a segment reads past its
// filter row. len(a) must be at least (rows-1)·lda + (segs-1)·segStride +
// KP/segs.
func Int8Seg(a []int8, lda, rows, segs, segStride int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	if rows <= 0 || p0 >= p1 {
		return
	}
	segLen := w.KP / segs
	if segs <= 0 || segLen*segs != w.KP || segLen%PanelK != 0 {
		panic(fmt.Sprintf("gemm: Int8Seg: %d segments of KP %d", segs, w.KP))
	}
	_ = a[(rows-1)*lda+(segs-1)*segStride+segLen-1]
	if int8SegFast(a, lda, rows, segs, segStride, w, q, p0, p1, out, ldo) {
		return
	}
	row := make([]int8, w.KP)
	for r := 0; r < rows; r++ {
		for s := 0; s < segs; s++ {
			copy(row[s*segLen:(s+1)*segLen], a[r*lda+s*segStride:])
		}
		int8Generic(row, w.KP, 1, w, q, p0, p1, out[r*ldo:], ldo)
	}
}

// Unpack returns the row-major [O, K] weight matrix PackInt8 packed.
func (p *PackedInt8) Unpack() []int8 {
	w := make([]int8, p.O*p.K)
	for c := 0; c < p.O; c++ {
		base := (c / PanelN) * p.KP * PanelN
		lane := c % PanelN
		for i := 0; i < p.K; i++ {
			w[c*p.K+i] = p.Data[base+(i/PanelK)*PanelN*PanelK+lane*PanelK+i%PanelK]
		}
	}
	return w
}

// Int8Generic is Int8 through the pure-Go kernel, whatever the CPU.
func Int8Generic(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	int8Generic(a, lda, rows, w, q, p0, p1, out, ldo)
}

func int8Generic(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	int8GenericRows(a, lda, rows, w, q, p0, p1, out, ldo, nil)
}

// int8GenericRows is int8Generic with the row terms rt (nil for none).
func int8GenericRows(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int, rt []int32) {
	pb := w.PanelBytes()
	for r := 0; r < rows; r++ {
		var t int32
		if rt != nil {
			t = rt[r]
		}
		ar := a[r*lda : r*lda+w.K]
		or := out[r*ldo : r*ldo+w.O]
		for pi := p0; pi < p1; pi++ {
			var acc [PanelN]int32
			if w.Unsigned {
				acc = panelDotU(ar, w.Data[pi*pb:(pi+1)*pb])
			} else {
				acc = panelDot(ar, w.Data[pi*pb:(pi+1)*pb])
			}
			c0 := pi * PanelN
			n := min(PanelN, w.O-c0)
			for j := 0; j < n; j++ {
				c := c0 + j
				v := MulQ(acc[j]+q.Bias[c]+t, q.Mult[c], q.Shift[c]) + q.OutputOffset
				or[c] = int8(min(max(v, q.Min), q.Max))
			}
		}
	}
}

// panelDot returns the PanelN dot products of a (K values) with the
// channels of one packed panel.
func panelDot(a []int8, w []int8) (acc [PanelN]int32) {
	kb := len(a) / PanelK
	for b := 0; b < kb; b++ {
		x := (*[PanelK]int8)(a[b*PanelK:])
		ws := (*[PanelN * PanelK]int8)(w[b*PanelN*PanelK:])
		a0, a1, a2, a3 := int32(x[0]), int32(x[1]), int32(x[2]), int32(x[3])
		for j := range acc {
			acc[j] += a0*int32(ws[4*j]) + a1*int32(ws[4*j+1]) + a2*int32(ws[4*j+2]) + a3*int32(ws[4*j+3])
		}
	}
	if t := len(a) - kb*PanelK; t > 0 {
		ws := w[kb*PanelN*PanelK:]
		for j := range acc {
			for i := 0; i < t; i++ {
				acc[j] += int32(a[kb*PanelK+i]) * int32(ws[j*PanelK+i])
			}
		}
	}
	return acc
}

// panelDotU is panelDot for unsigned weights (PackUint8).
func panelDotU(a []int8, w []int8) (acc [PanelN]int32) {
	for i, x := range a {
		ws := w[i/PanelK*PanelN*PanelK+i%PanelK:]
		for j := range acc {
			acc[j] += int32(x) * int32(uint8(ws[j*PanelK]))
		}
	}
	return acc
}

// MulQ is TensorFlow Lite's MultiplyByQuantizedMultiplier: x·2^left, then
// the saturating rounding doubling high multiply by m, then a rounding
// right shift (ties away from zero).
func MulQ(x, m int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	x <<= uint(left)
	var hi int32
	if x == math.MinInt32 && m == math.MinInt32 {
		hi = math.MaxInt32
	} else {
		ab := int64(x) * int64(m)
		if ab >= 0 {
			hi = int32((ab + 1<<30) >> 31)
		} else {
			hi = int32((ab + 1 - 1<<30) / (1 << 31))
		}
	}
	mask := int32(1)<<uint(right) - 1
	rem := hi & mask
	thr := mask >> 1
	if hi < 0 {
		thr++
	}
	r := hi >> uint(right)
	if rem > thr {
		r++
	}
	return r
}

// KPairs is a uint8 weight matrix of at most 8 output channels packed
// for Int8RowsKPairs (PackUint8KPairs): per 8 reduction steps, 16 lanes
// of 4 bytes, lane 2c holding channel c's weights of the first four
// steps and lane 2c+1 those of the last four; where KP ≡ 4 (mod 8), a
// last block with the final four steps in the even lanes and zeros in
// the odd ones. Channels past O and steps past K are zero. Immutable.
type KPairs struct {
	O, K, KP int    // channels, reduction length, K rounded up to a multiple of PanelK
	Data     []int8 // ⌈KP/8⌉ blocks of 64 bytes (uint8 values)
}

// PackUint8KPairs packs the row-major [o, k] uint8 weight matrix w
// (o ≤ 8) for Int8RowsKPairs.
func PackUint8KPairs(w []uint8, o, k int) *KPairs {
	if o < 1 || o > PanelN/2 {
		panic(fmt.Sprintf("gemm: PackUint8KPairs: %d channels", o))
	}
	kp := (k + PanelK - 1) / PanelK * PanelK
	p := &KPairs{O: o, K: k, KP: kp, Data: make([]int8, (kp+7)/8*64)}
	for c := 0; c < o; c++ {
		for i, v := range w[c*k : (c+1)*k] {
			blk, half, j := i/8, i%8/4, i%4
			p.Data[blk*64+(2*c+half)*4+j] = int8(v)
		}
	}
	return p
}

// Int8RowsKPairs is Int8RowsPairs for weights packed by PackUint8KPairs
// (one row per vector, 8 channels × 8 reduction steps per multiply-add,
// no merged broadcasts) and q built by NewRequantRows from the
// PackUint8Pairs packing of the same weights with Pairs of the bias and
// one multiplier and shift for all 16 lanes (Requant.uni). rows must be
// even; rows of a are read up to KP bytes. It reports false, doing
// nothing, where it has no kernel (no AVX-512 VNNI, or q has no uniform
// output stage).
func Int8RowsKPairs(a []int8, lda, rows int, w *KPairs, q *Requant, out []int8, ldo int, rt []int32) bool {
	if rows <= 0 || rows%2 != 0 || q.uni == nil || q.fast == nil {
		return false
	}
	_ = a[(rows-1)*lda+w.KP-1]
	_ = out[(rows-1)*ldo+w.O-1]
	_ = rt[rows-1]
	return int8RowsKPairsFast(a, lda, rows, w, q, out, ldo, rt)
}
