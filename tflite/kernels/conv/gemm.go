package conv

// Packed int8 weight layout.
//
// The weights of an int8 CONV_2D or FULLY_CONNECTED form a matrix of O rows
// (output channels) and K columns (KH·KW·I taps, in filter order). PackInt8
// lays them out in panels of PanelN output channels; within a panel, in
// blocks of PanelK consecutive k; within a block, channel-major: the PanelK
// bytes of channel 0, then of channel 1, ... So one block is
// PanelN·PanelK = 32 bytes, the operand shape of a 4-way int8 dot-product
// instruction (x86 VPDPBUSD, arm64 SDOT) over 8 int32 lanes. K is padded
// to a multiple of PanelK and O to a multiple of PanelN with zero weights.
const (
	PanelN = 8 // output channels per panel
	PanelK = 4 // consecutive k per block
)

// PackedInt8 is an int8 weight matrix packed for GemmInt8. It is immutable
// once built and shared by every runner of a model.
type PackedInt8 struct {
	O, K   int    // logical rows (output channels) and columns
	KP     int    // K rounded up to a multiple of PanelK
	Panels int    // ceil(O / PanelN)
	Data   []int8 // Panels × KP/PanelK blocks × PanelN × PanelK
	// RowSum[c] is the sum of the weights of channel c, used to fold the
	// input offset into the bias: Σ w·(x+off) = Σ w·x + off·RowSum.
	RowSum []int32
}

// PackInt8 packs the row-major [o, k] weight matrix w.
func PackInt8(w []int8, o, k int) *PackedInt8 {
	kp := (k + PanelK - 1) / PanelK * PanelK
	panels := (o + PanelN - 1) / PanelN
	p := &PackedInt8{O: o, K: k, KP: kp, Panels: panels,
		Data: make([]int8, panels*kp*PanelN), RowSum: make([]int32, o)}
	for c := 0; c < o; c++ {
		row := w[c*k : (c+1)*k]
		base := (c / PanelN) * kp * PanelN
		lane := c % PanelN
		var s int32
		for i, v := range row {
			p.Data[base+(i/PanelK)*PanelN*PanelK+lane*PanelK+i%PanelK] = v
			s += int32(v)
		}
		p.RowSum[c] = s
	}
	return p
}

// panel returns the packed data of panel i.
func (p *PackedInt8) panel(i int) []int8 {
	n := p.KP * PanelN
	return p.Data[i*n : (i+1)*n]
}

// Epilogue is the output stage of GemmInt8: for channel c,
// out = clamp(MBQM(acc + Bias[c], Mult[c], Shift[c]) + OutputOffset).
type Epilogue struct {
	Bias         []int32 // effective bias per channel, offsets folded in
	Mult         []int32
	Shift        []int
	OutputOffset int32
	Min, Max     int32
}

// FoldBias returns bias[c] + inputOffset·RowSum[c] for every channel (bias
// may be nil): the effective bias that lets the GEMM multiply raw input
// values. int32 arithmetic wraps exactly as TensorFlow Lite's accumulators
// do, so the result is bit-exact.
func (p *PackedInt8) FoldBias(bias []int32, inputOffset int32) []int32 {
	e := make([]int32, p.O)
	for c := range e {
		e[c] = inputOffset * p.RowSum[c]
		if bias != nil {
			e[c] += bias[c]
		}
	}
	return e
}

// GemmInt8 computes out[r·ldo + c] for rows r in [0, rows) and channels c of
// panels [p0, p1): the dot product of a[r·lda : r·lda+K] with channel c's
// weights, passed through e. a needs K valid bytes per row; out is int8.
func GemmInt8(a []int8, lda, rows int, w *PackedInt8, p0, p1 int, e *Epilogue, out []int8, ldo int) {
	for r := 0; r < rows; r++ {
		ar := a[r*lda : r*lda+w.K]
		or := out[r*ldo : r*ldo+w.O]
		for pi := p0; pi < p1; pi++ {
			acc := panelDot(ar, w.panel(pi))
			c0 := pi * PanelN
			n := min(PanelN, w.O-c0)
			for j := 0; j < n; j++ {
				c := c0 + j
				v := mulQ(acc[j]+e.Bias[c], e.Mult[c], e.Shift[c]) + e.OutputOffset
				or[c] = int8(clamp(v, e.Min, e.Max))
			}
		}
	}
}

// panelDot returns the PanelN dot products of a (K values) with the
// channels of one packed panel. It is the generic micro-kernel.
func panelDot(a []int8, w []int8) (acc [PanelN]int32) {
	var c0, c1, c2, c3, c4, c5, c6, c7 int32
	kb := len(a) / PanelK
	for b := 0; b < kb; b++ {
		x := (*[PanelK]int8)(a[b*PanelK:])
		ws := (*[PanelN * PanelK]int8)(w[b*PanelN*PanelK:])
		a0, a1, a2, a3 := int32(x[0]), int32(x[1]), int32(x[2]), int32(x[3])
		c0 += a0*int32(ws[0]) + a1*int32(ws[1]) + a2*int32(ws[2]) + a3*int32(ws[3])
		c1 += a0*int32(ws[4]) + a1*int32(ws[5]) + a2*int32(ws[6]) + a3*int32(ws[7])
		c2 += a0*int32(ws[8]) + a1*int32(ws[9]) + a2*int32(ws[10]) + a3*int32(ws[11])
		c3 += a0*int32(ws[12]) + a1*int32(ws[13]) + a2*int32(ws[14]) + a3*int32(ws[15])
		c4 += a0*int32(ws[16]) + a1*int32(ws[17]) + a2*int32(ws[18]) + a3*int32(ws[19])
		c5 += a0*int32(ws[20]) + a1*int32(ws[21]) + a2*int32(ws[22]) + a3*int32(ws[23])
		c6 += a0*int32(ws[24]) + a1*int32(ws[25]) + a2*int32(ws[26]) + a3*int32(ws[27])
		c7 += a0*int32(ws[28]) + a1*int32(ws[29]) + a2*int32(ws[30]) + a3*int32(ws[31])
	}
	acc = [PanelN]int32{c0, c1, c2, c3, c4, c5, c6, c7}
	if t := len(a) - kb*PanelK; t > 0 {
		ws := w[kb*PanelN*PanelK:]
		for j := 0; j < PanelN; j++ {
			for i := 0; i < t; i++ {
				acc[j] += int32(a[kb*PanelK+i]) * int32(ws[j*PanelK+i])
			}
		}
	}
	return acc
}
