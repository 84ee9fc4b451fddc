package conv

import (
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

// Stem is the direct uint8 CONV_2D of the first layer of the MobileNet
// family: a 3×3 window, stride 2, no dilation, over three input channels
// (an RGB image), with a multiple of 8 output channels. The general path
// (im2col rows of 27 bytes, a separate pass for the row terms of a uint8
// filter, a GEMM whose 16 lanes are output channels) spends most of its
// time copying and, for 8 channels, half its lanes on nothing; here the
// 16 lanes of a vector are 16 output pixels of one channel instead.
//
// For a tile of 16 pixels along an output row and each window row, two
// VPERMI2B gather from 128 input bytes the first two 4-byte groups of
// every pixel's 9 window bytes (its 3 pixels × 3 channels), and a masked
// VPERMI2B puts the 9th byte into byte ky of a group shared by the three
// window rows; VPDPBUSD multiplies the groups, as unsigned bytes, by each
// channel's 4 weights broadcast: 7 groups (27 of 28 bytes used) make a
// channel's 16 sums. The tile's groups are gathered once for all its
// channels. With a the input bytes (uint8 values; pads read the zero
// point za), v = w − 128 (fits int8) and cr = 128 − zw,
//
//	Σ (a − za)(w − zw) = Σ a·v + cr·Σ a − za·Σ v − cr·za·K
//
// (K = 27): the first sum is the VPDPBUSDs, the second 7 more VPDPBUSD
// against ones per tile (shared by all channels) and a multiply by cr,
// the rest a constant per channel folded into the bias. The output stage
// is TensorFlow Lite's MultiplyByQuantizedMultiplier, output offset and
// clamp in int8 terms: where every channel has the same multiplier and
// shift (per-tensor quantization), gemm's uniform output stage with the
// row term folded into each pixel's 64-bit addend, 9 vector instructions
// per channel and 16 pixels from registers (uniformStem); else 11 with
// each channel's parameters broadcast (stemChannelParams). 8 channels ×
// 16 pixels are packed to bytes and transposed to NHWC by two VPERMI2B. Exact: equal to ConvRef
// for every input (integer sums that fit int32 and the output stage's
// bounds, checked at construction). Immutable; safe for concurrent use.
type Stem struct {
	g      Geom
	groups int     // OutC / 8
	w      []int8  // per group of 8 channels, stemGroupBytes: see stemGroupBytes
	params []int32 // stemParamWords per channel
	cr     int32   // 128 − zw
	inXor  uint8   // 0x80 when the input bytes are the flipped int8 ones
	outXor uint8   // 0x80 when the output bytes are uint8 (not flipped)
	lo, hi int8    // the clamp bounds in int8 terms
	// uniform: every channel has the same multiplier and shift, and no
	// left shift (stemTilesU).
	uniform bool
	// padSpan is a span of the input byte (as stored) of the zero point:
	// what windows read outside the input.
	padSpan [128]uint8
	consts  *[10][64]uint8
}

// stemGroupBytes is the weights of a group of 8 channels: for each window
// row ky and 4-byte group j of its first 8 bytes, 8 channels × 4 bytes
// at (2ky + j)·32; then the 9th bytes of the three window rows (and a
// zero) for the 8 channels at 192.
const stemGroupBytes = 7 * 32

// stemParamWords is the parameter block of one output channel, as the
// assembly reads it (int32 words): the constant (bias, zero-point terms
// and 2^(30−left)), left, 2m as an int64, the addend D as an int64, the
// shift cnt of the rounding unit and the right shift R
// (stemChannelParams); then, for stemTilesU, m and D0 as int64s, t and 1
// (uniformStem).
const stemParamWords = 16

// stemTables holds the gather indices of the three 4-byte groups (pixel p
// of a tile reads bytes 6p + 4j .. 6p + 4j + 3 of its 128-byte span), the
// ones (the row sums: 4, 4 and 1 real bytes per group), the transposes
// of 8 channels × 16 pixels to pixels 0-7 and 8-15, the joins of two
// groups' pixels into 16-byte pieces (int64 indices), the byte masks of
// the 9th bytes, and the gather of the products' high halves (int32
// indices).
var stemTables = func() *[10][64]uint8 {
	var t [10][64]uint8
	for p := range 16 {
		for b := range 4 {
			for j := range 2 {
				t[j][4*p+b] = uint8(6*p + 4*j + b)
			}
			t[2][4*p+b] = uint8(6*p + 8) // every byte: the 9th's index
		}
	}
	// The ones of the row sums as 4-byte patterns: groups 0 and 1, then
	// the 9th bytes of the three window rows (and a zero).
	t[3] = [64]uint8{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}
	// After the packs, byte 16L + q of the first (second) vector is
	// channel q/4 (+4) of pixel 4L + q%4.
	for half := range 2 {
		for p := range 8 {
			for c := range 8 {
				px := p + 8*half
				t[4+half][8*p+c] = uint8(64*(c/4) + 16*(px/4) + 4*(c%4) + px%4)
			}
		}
	}
	// The VPERMI2Q indices joining a pair of groups' pixels 0-7 (or 8-15)
	// into 16-byte pieces: pixels 0-3, then 4-7, each the first group's
	// 8 bytes and the second's.
	for k := range 4 {
		t[6][16*k], t[6][16*k+8] = uint8(k), uint8(8+k)
		t[7][16*k], t[7][16*k+8] = uint8(4+k), uint8(12+k)
	}
	// The byte masks of a dword's bytes 0, 1 and 2: where each window
	// row's 9th byte goes in the 9th-byte group.
	for ky := range 3 {
		for i := range 8 {
			t[8][8*ky+i] = 0x11 << ky
		}
	}
	// The VPERMT2D index of the products' high halves: lane 2i from the
	// even products' qword i, lane 2i+1 from the odd ones'.
	for i := range 8 {
		t[9][8*i] = uint8(2*i + 1)
		t[9][8*i+4] = uint8(16 + 2*i + 1)
	}
	return &t
}()

// stemRowBound bounds |Σ a·v + cr·Σ a| of a window: 27 bytes of at most
// 255 times weights and cr of at most 128.
const stemRowBound = 27 * 255 * (128 + 128)

// NewStem returns the stem kernel of g, or nil where it does not apply
// (another geometry, no AVX-512 VBMI/VNNI, or parameters whose sums could
// leave int32). w is the uint8 [OutC, 3, 3, 3] filter with zero point zw,
// q the uint8 output stage (InputOffset = −zx, OutputOffset = zy, Min and
// Max in uint8), bias optional. flippedIn: the input arrives as int8
// bytes x ^ 0x80; flippedOut: write y ^ 0x80.
func NewStem(g Geom, w []uint8, zw int32, q *Requant, bias []int32, flippedIn, flippedOut bool) *Stem {
	if !hasStem || g.KH != 3 || g.KW != 3 || g.StrideH != 2 || g.StrideW != 2 || g.DilH != 1 || g.DilW != 1 ||
		g.InC != 3 || g.FilterInC != 3 || g.OutC%8 != 0 || g.OutC == 0 || g.OutC > 64 ||
		len(w) != g.OutC*27 || len(q.Mult) != g.OutC || len(q.Shift) != g.OutC || (bias != nil && len(bias) != g.OutC) {
		return nil
	}
	za := -q.InputOffset
	if za < 0 || za > 255 || zw < 0 || zw > 255 || q.Min < 0 || q.Max > 255 || q.Min > q.Max {
		return nil
	}
	s := &Stem{g: g, groups: g.OutC / 8, cr: 128 - zw, consts: stemTables,
		w: make([]int8, g.OutC*stemGroupBytes/8), params: make([]int32, g.OutC*stemParamWords)}
	pad := uint8(za)
	if flippedIn {
		s.inXor = 0x80
		pad ^= 0x80
	}
	for i := range s.padSpan {
		s.padSpan[i] = pad
	}
	s.lo, s.hi = int8(q.Min-128), int8(q.Max-128)
	if !flippedOut {
		s.outXor = 0x80 // the output stage writes int8 bytes y − 128
	}
	zo := q.OutputOffset - 128 // the output stage runs in int8 terms
	for c := range g.OutC {
		grp, l := c/8, c%8
		var sumV int64
		blk := s.w[grp*stemGroupBytes:]
		for ky := range 3 {
			for k := range 9 {
				v := int8(int32(w[c*27+ky*9+k]) - 128)
				if k < 8 { // group k/4 of window row ky
					blk[(ky*2+k/4)*32+l*4+k%4] = v
				} else { // the 9th-byte group: byte ky
					blk[6*32+l*4+ky] = v
				}
				sumV += int64(v)
			}
		}
		var bc int64
		if bias != nil {
			bc = int64(bias[c])
		}
		konst := bc - int64(za)*sumV - int64(s.cr)*int64(za)*27
		left, right := max(q.Shift[c], 0), max(-q.Shift[c], 0)
		// stemChannelParams needs |x·2^left| < 2^30 and h = ⌊(P + A)/2^31⌋
		// in int32 (with room for h − 1), for x = sums + konst with
		// |sums| ≤ stemRowBound.
		x := max(konst, -konst) + stemRowBound
		const lim = math.MaxInt32
		h := x<<left + 2 + int64(max(zo, -zo))<<right
		if right > 0 {
			h += 1 << (right - 1)
		}
		if q.Mult[c] < 0 || right > 31 || left > 30 || x<<(left+1) > lim || h >= lim {
			return nil
		}
		stemChannelParams(s.params[c*stemParamWords:], konst, q.Mult[c], left, right, zo)
	}
	s.uniform = uniformStem(s.params, q.Mult, q.Shift, zo)
	return s
}

// uniformStem reports whether stemTilesU applies (every channel has the
// same multiplier m and right shift R ≥ 0, and t below fits int32) and
// then completes the channels' parameter blocks p with its words: m
// (int64), D0 (int64), t and 1 (gemm.NewUniformStage computes them). Its
// output stage is gemm's uniform one (uniformParams there): the sums start at x − rt + 2^30 (rt the row
// term, not added), X' ∈ (0, 2^31) (the bound of stemChannelParams, which
// holds without rt too), and each pixel's 64-bit row addend is
//
//	D_r = 2m·rt + D0,  D0 = 2A − 2^31·m,  A = 2^30 + [R > 0]·2^(30+R) + z·2^(31+R)
//
// (VPMULDQ by m, doubled: |2m·rt| < 2^52), so X'·2m + D_r = 2P + 2A for
// P = x·m, whose high half is h = ⌊(P + A)/2^31⌋ = hi + t with t =
// 2^(R−1) + z·2^R (R > 0), hi the first rounding; TensorFlow Lite's
// second is (hi + 2^(R−1) − [hi < 0]) >> R, so the output is
//
//	(h − [h < t]) >> R,
//
// t = −2^31 (no correction) for R = 0. 9 vector instructions per channel:
// VPMULUDQ, VPSRLQ, VPMULUDQ, 2 VPADDQ, VPERMT2D, VPCMPD, VPSUBD, VPSRAVD.
func uniformStem(p []int32, mult []int32, shift []int, z int32) bool {
	st, ok := gemm.NewUniformStage(mult, shift, z)
	if !ok {
		return false
	}
	for c := range mult {
		b := p[c*stemParamWords:]
		b[8] = st.M // an int64 (high word 0): VPMULDQ reads its low half
		b[10], b[11] = int32(uint32(st.D0)), int32(uint32(st.D0>>32))
		b[12], b[13] = st.T, 1
	}
	return true
}

// stemChannelParams writes a channel's parameter block p (stemParamWords)
// for the output stage of stemTilesC, per channel on 16 pixels' sums,
// with konst the channel's constant, multiplier m, shifts left and right
// (R) and output offset z (int8 terms). With x the exact sum (bias, zero
// point and row terms included), the sums start at the constant, which
// carries 2^(30−left); with the row term added and shifted left,
//
//	X' = x·2^left + 2^30 ∈ (0, 2^31)
//
// (the bound checked by NewStem). Per 64-bit lane (even pixels from the
// low halves, odd pixels shifted down; VPMULUDQ), X'·2m + D with
//
//	D = 2A − 2^31·m − [R > 0]·2^32,  A = 2^30 + [R > 0]·2^(30+R) + z·2^(31+R)
//
// equals 2P + 2A − [R > 0]·2^32 for P = x·2^left·m (exact modulo 2^64),
// whose high half is h' = h − [R > 0] with h = ⌊(P + A)/2^31⌋ =
// hi + [R > 0]·2^(R−1) + z·2^R, hi the first rounding
// (SaturatingRoundingDoublingHighMul); a VPERMT2D gathers the high
// halves. u = X' >> cnt is [x ≥ 0] for cnt = 30 (R > 0) and 0 for
// cnt = 32 (R = 0), so
//
//	(h' + u) >> R = (h − [R > 0]·[x < 0]) >> R
//
// which is TensorFlow Lite's second rounding plus z, as in gemm's fast
// epilogue (paramBlocksFast: [x < 0] may stand for [hi < 0]). 11 vector
// instructions: VPADDD (the row term), VPSLLVD, VPMULUDQ, VPSRLQ,
// VPMULUDQ, 2 VPADDQ, VPERMT2D, VPSRLVD, VPADDD, VPSRAVD.
func stemChannelParams(p []int32, konst int64, m int32, left, right int, z int32) {
	m2 := uint64(m)
	d := uint64(1)<<31 + uint64(int64(z))<<(32+right) - m2<<31 // 2A − 2^31·m
	cnt := int32(32)
	if right > 0 {
		d += uint64(1)<<(31+right) - 1<<32
		cnt = 30
	}
	p[0] = int32(konst + 1<<(30-left))
	p[1] = int32(left)
	p[2] = int32(uint32(2 * m2)) // an int64 (high word 0): VPMULUDQ reads its low half
	p[4], p[5] = int32(uint32(d)), int32(uint32(d>>32))
	p[6], p[7] = cnt, int32(right)
}

// stemArgs is the argument block of stemTilesU and stemTilesC (layout
// fixed by the assembly).
type stemArgs struct {
	in      [3]unsafe.Pointer // the 128-byte spans of window rows 0-2, first tile
	out     unsafe.Pointer
	tiles   int // tiles of 16 pixels
	inStep  int // bytes from one tile's spans to the next's
	outStep int // bytes from one tile's output to the next's
	w       unsafe.Pointer
	params  unsafe.Pointer
	consts  unsafe.Pointer
	groups  int
	outC    int
	cr      int32
	inXor   uint32 // the byte, repeated
	outXor  uint32 // the byte, repeated
	lo, hi  uint32 // the clamp bounds in int8 terms, the byte repeated
	_       uint32
	scatter [8]int64  // 0, OutC, 2·OutC, ...: where pixels' 8-byte pieces go
	pend    int64     // the assembly's: a pair's first group waits
	masks   [6]uint64 // bytes read of each window row's span: 0-63, 64-127
	pad     uint32    // the pad byte (as the input stores it), repeated
	clamp   uint32    // nonzero where the clamp is not [−128, 127]
}

// ScratchBytes is the scratch Rows needs: three padded spans and one
// tile's output.
func (s *Stem) ScratchBytes() int { return 3*128 + 16*s.g.OutC }

// Rows computes output rows [lo, hi) of the Batch·OutH rows into out
// ([Batch, OutH, OutW, OutC] bytes) from in ([Batch, InH, InW, 3]).
// scratch holds ScratchBytes bytes.
func (s *Stem) Rows(in, out, scratch []byte, lo, hi int) {
	g := &s.g
	rowBytes := g.InW * 3
	imgBytes := g.InH * rowBytes
	pix := g.OutC
	a := stemArgs{inStep: 96, outStep: 16 * pix, w: unsafe.Pointer(&s.w[0]),
		params: unsafe.Pointer(&s.params[0]), consts: unsafe.Pointer(&s.consts[0][0]),
		groups: s.groups, outC: g.OutC, cr: s.cr,
		inXor: uint32(s.inXor) * 0x01010101, outXor: uint32(s.outXor) * 0x01010101,
		lo: uint32(uint8(s.lo)) * 0x01010101, hi: uint32(uint8(s.hi)) * 0x01010101,
		pad: uint32(s.padSpan[0]) * 0x01010101}
	if s.lo != math.MinInt8 || s.hi != math.MaxInt8 {
		a.clamp = 1
	}
	for i := range a.scatter {
		a.scatter[i] = int64(i * pix)
	}
	spans := scratch[:3*128]
	tmpOut := scratch[3*128 : 3*128+16*pix]
	for row := lo; row < hi; row++ {
		b, oy := row/g.OutH, row%g.OutH
		img := in[b*imgBytes : (b+1)*imgBytes]
		orow := out[row*g.OutW*pix : (row+1)*g.OutW*pix]
		iy0 := oy*2 - g.PadH
		ox := 0
		for ox < g.OutW {
			ix0 := ox*2 - g.PadW
			if ix0 < 0 {
				ox += s.leftTile(&a, img, orow, spans, tmpOut, iy0, ix0, ox)
				continue
			}
			// Tiles reading 128 bytes of every window row inside the
			// image run together; a tile nearer the right edge reads
			// the bytes its row has left, the pad byte past them.
			n := 0
			for ox+16*(n+1) <= g.OutW && (g.InW-(ix0+32*n))*3 >= 128 {
				n++
			}
			avail := 128
			if n == 0 {
				n, avail = 1, max(0, (g.InW-ix0)*3)
			}
			for ky := range 3 {
				a.in[ky] = unsafe.Pointer(&img[0])
				v := 0
				if iy := iy0 + ky; iy >= 0 && iy < g.InH && avail > 0 {
					a.in[ky] = unsafe.Pointer(&img[iy*rowBytes+ix0*3])
					v = avail
				}
				a.masks[2*ky], a.masks[2*ky+1] = byteMask(v), byteMask(v-64)
			}
			a.tiles = n
			if ox+16*n <= g.OutW {
				a.out = unsafe.Pointer(&orow[ox*pix])
				s.tiles(&a)
				ox += 16 * n
				continue
			}
			a.out = unsafe.Pointer(&tmpOut[0]) // a last partial tile
			s.tiles(&a)
			copy(orow[ox*pix:], tmpOut[:(g.OutW-ox)*pix])
			ox = g.OutW
		}
	}
}

// tiles runs the kernel of s's output stage on a.
func (s *Stem) tiles(a *stemArgs) {
	if s.uniform {
		stemTilesU(a)
		return
	}
	stemTilesC(a)
}

// byteMask is the mask of the first v of 64 bytes (all for v ≥ 64, none
// for v ≤ 0).
func byteMask(v int) uint64 {
	switch {
	case v >= 64:
		return ^uint64(0)
	case v <= 0:
		return 0
	}
	return 1<<uint(v) - 1
}

// leftTile computes the tile at ox whose windows start left of the image
// (ix0 < 0: SAME padding of an odd width) through padded spans in scratch
// and a scratch output, and returns how many pixels it wrote.
func (s *Stem) leftTile(a *stemArgs, img, orow, spans, tmpOut []byte, iy0, ix0, ox int) int {
	g := &s.g
	rowBytes, pix := g.InW*3, g.OutC
	for ky := range 3 {
		sp := spans[ky*128 : ky*128+128]
		copy(sp, s.padSpan[:])
		// The input columns the 16 windows cover (34 with the span's
		// spare), where they exist.
		iy, c0, c1 := iy0+ky, max(ix0, 0), min(ix0+34, g.InW)
		if iy >= 0 && iy < g.InH && c0 < c1 {
			copy(sp[(c0-ix0)*3:], img[iy*rowBytes+c0*3:iy*rowBytes+c1*3])
		}
		a.in[ky] = unsafe.Pointer(&sp[0])
		a.masks[2*ky], a.masks[2*ky+1] = ^uint64(0), ^uint64(0)
	}
	a.out = unsafe.Pointer(&tmpOut[0])
	a.tiles = 1
	s.tiles(a)
	m := min(16, g.OutW-ox)
	copy(orow[ox*pix:(ox+m)*pix], tmpOut[:m*pix])
	return m
}
