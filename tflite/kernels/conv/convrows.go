package conv

import "github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"

// ConvRows runs a uint8 CONV_2D (groups = 1) on the int8 GEMM with no
// outlier channels at all: the uint8 weights w themselves are the
// unsigned operand of the VNNI dot products (gemm.PackUint8) and the
// flipped activations a = x − 128 the signed one, read as they are (no
// offset in the kernel's loop), and the filter zero point goes into a
// term per output pixel. With the window row a (the flipped input where
// the window lies, −off where it leaves the input: off = 128 − zx, so
// a + off = x − zx or 0),
//
//	Σ_k (x_k − zx)(w_k − zw) = Σ_k a_k·w_k + off·Σ_k w_k − K·off·zw − zw·Σ_k a_k,
//
// the first sum being what the GEMM computes, the next two constants per
// channel folded into the bias, and the last the same for every output
// channel of the pixel: gemm.Int8Rows adds it, −zw·Σ_k a_k, to the
// accumulators before the fused output stage. Those terms come from one
// vector pass over the rows the GEMM reads (rowTerms: the input itself
// for a 1×1 stride-1 unpadded convolution, im2col tiles otherwise).
// Exact: integer sums, equal to ConvRef's accumulator, which fits int32
// (|acc| ≤ 255·255·K). An int8 CONV_2D runs on it too, its weights as
// w + 128 with zw = 128 and its own output stage (InputOffset = −zx, a
// the int8 input). Immutable; safe for concurrent use.
type ConvRows struct {
	c      *ConvInt8     // geometry, packed w, tiles (no in-place path)
	q      *gemm.Requant // with the row-term bound
	k      int32
	mulRow int32 // −zw
	// pw and pq, for at most 8 output channels, are the weights and
	// output stage of gemm.Int8RowsPairs (two pixels per vector).
	pw *gemm.PackedInt8
	pq *gemm.Requant
	// kw, where the channels share one multiplier and shift, is pw packed
	// for gemm.Int8RowsKPairs (one pixel per vector, 8 channels × 8
	// steps per multiply-add), with pq.
	kw *gemm.KPairs
	// tw and tq, for more than 8 channels of which the last panel holds
	// at most 8 (24, 56, ...) and one multiplier and shift, run those
	// channels, from tc0 on, on gemm.Int8RowsKPairs (half the
	// multiply-adds and output stages of their half-empty panel).
	tw  *gemm.KPairs
	tq  *gemm.Requant
	tc0 int
}

// maxRowTile bounds the rows one GEMM call takes (their terms live on the
// stack).
const maxRowTile = 96

// directRowTile bounds the rows of one GEMM call that reads the input
// itself (1×1 stride-1 unpadded): their terms live on the stack.
const directRowTile = 384

// kpairMinK is the shortest padded reduction (KP) that ConvRows runs on
// the k-pair kernels: below it their longer output stage outweighs the
// merged broadcasts they save (BenchmarkConvRows, 8 channels at 56x56:
// KP 16 and 20 +6%, 24 -8%, 32 -15%, 48 -26% against the pair kernels).
const kpairMinK = 24

// NewConvRows prepares the convolution of geometry g with the uint8 filter
// w ([OutC, KH·KW·InC], zero point zw), q its int8 output stage
// (Uint8AsInt8: InputOffset = 128 − zx) and bias optional. It returns nil
// where gemm.Int8Rows has no vector kernel (the outlier paths are faster
// than its generic loop), the windows are too long for int32 row terms,
// the output stage shifts left (multipliers of 1 or more) or leaves the
// range of the kernels' fast output stage.
func NewConvRows(g Geom, w []uint8, zw int32, q *Requant, bias []int32) (*ConvRows, error) {
	k := g.KH * g.KW * g.InC
	if !gemm.RowTermsFast() || g.FilterInC != g.InC || k > 1<<15 || zw < 0 || zw > 255 {
		return nil, nil
	}
	for _, s := range q.Shift {
		if s > 0 {
			return nil, nil // the unsigned-weight kernels' fast output stage has no left shift
		}
	}
	packed := gemm.PackUint8(w, g.OutC, k)
	c, err := NewConvInt8(g, packed, q, bias)
	if err != nil {
		return nil, err
	}
	c.seg = nil // the row sums need the rows the GEMM reads
	c.tileRows = max(1, min(maxRowTile, tileBytes/packed.KP)/gemmRows) * gemmRows
	// The bias takes −K·off·zw; NewRequantRows adds off·Σ_k w_k.
	fold := -int64(k) * int64(q.InputOffset) * int64(zw)
	b := make([]int32, g.OutC)
	for i := range b {
		v := fold
		if bias != nil {
			v += int64(bias[i])
		}
		if v != int64(int32(v)) {
			return nil, nil
		}
		b[i] = int32(v)
	}
	bound := int64(zw) * int64(k) * 128
	gq, err := gemm.NewRequantRows(packed, b, q.InputOffset, q.Mult, q.Shift, q.OutputOffset, q.Min, q.Max, bound)
	if err != nil {
		return nil, err
	}
	if !gq.FastEpilogue() {
		return nil, nil // the unsigned-weight kernels would take the generic loop
	}
	cr := &ConvRows{c: c, q: gq, k: int32(k), mulRow: -zw}
	if g.OutC <= gemm.PanelN/2 {
		cr.pw = gemm.PackUint8Pairs(w, g.OutC, k)
		mult, shift := gemm.Pairs(q.Mult, 1), gemm.Pairs(q.Shift, 1)
		uniform := uniformQuant(q)
		if uniform {
			// The lanes past the channels (zero weights and bias, their
			// outputs never stored) take the same multiplier and shift:
			// one output stage for all 16 lanes (the k-pair kernels').
			for i := range mult {
				mult[i], shift[i] = q.Mult[0], q.Shift[0]
			}
		}
		cr.pq, err = gemm.NewRequantRows(cr.pw, gemm.Pairs(b, 1), q.InputOffset, mult, shift,
			q.OutputOffset, q.Min, q.Max, bound)
		if err != nil {
			return nil, err
		}
		if uniform && k > kpairMinK-gemm.PanelK {
			cr.kw = gemm.PackUint8KPairs(w, g.OutC, k)
		}
	}
	if t := g.OutC % gemm.PanelN; g.OutC > gemm.PanelN && t > 0 && t <= gemm.PanelN/2 && k > kpairMinK-gemm.PanelK && uniformQuant(q) {
		c0 := g.OutC - t
		tw := w[c0*k : g.OutC*k]
		mult, shift := make([]int32, gemm.PanelN), make([]int, gemm.PanelN)
		for i := range mult {
			mult[i], shift[i] = q.Mult[0], q.Shift[0]
		}
		tq, err := gemm.NewRequantRows(gemm.PackUint8Pairs(tw, t, k), gemm.Pairs(b[c0:], 1), q.InputOffset, mult, shift,
			q.OutputOffset, q.Min, q.Max, bound)
		if err != nil {
			return nil, err
		}
		if tq.Uniform() {
			cr.tw, cr.tq, cr.tc0 = gemm.PackUint8KPairs(tw, t, k), tq, c0
		}
	}
	return cr, nil
}

// uniformQuant reports whether every channel of q has the same
// multiplier and shift.
func uniformQuant(q *Requant) bool {
	for i := range q.Mult {
		if q.Mult[i] != q.Mult[0] || q.Shift[i] != q.Shift[0] {
			return false
		}
	}
	return true
}

// gemm runs rows of a (terms rt) into out: pairs of rows on
// gemm.Int8RowsPairs where it applies, the rest on gemm.Int8Rows.
func (r *ConvRows) gemm(a []int8, lda, rows int, out []int8, rt []int32) {
	c := r.c
	o := c.G.OutC
	if r.pw != nil {
		even := rows &^ 1
		for even > 0 && len(a) < (even-1)*lda+r.pw.KP {
			even -= 2 // the pair kernel reads KP bytes of every row
		}
		if even > 0 && ((r.kw != nil && gemm.Int8RowsKPairs(a, lda, even, r.kw, r.pq, out, o, rt)) ||
			gemm.Int8RowsPairs(a, lda, even, r.pw, r.pq, o, out, o, rt)) {
			if even == rows {
				return
			}
			a, out, rt, rows = a[even*lda:], out[even*o:], rt[even:], rows-even
		}
	}
	p1 := c.W.Panels
	if r.tw != nil {
		// The last panel's channels: pairs of rows on the k-pair kernels,
		// the rest (an odd row, rows too short for their reads, no
		// kernel) on the panel's tiles.
		p1--
		even := rows &^ 1
		for even > 0 && len(a) < (even-1)*lda+r.tw.KP {
			even -= 2
		}
		if even == 0 || !gemm.Int8RowsKPairs(a, lda, even, r.tw, r.tq, out[r.tc0:], o, rt) {
			even = 0
		}
		if even < rows {
			gemm.Int8Rows(a[even*lda:], lda, rows-even, c.W, r.q, p1, p1+1, out[even*o:], o, rt[even:])
		}
	}
	gemm.Int8Rows(a, lda, rows, c.W, r.q, 0, p1, out, o, rt)
}

// ScratchBytes returns the scratch RunParts needs.
func (r *ConvRows) ScratchBytes() int { return r.c.ScratchBytes() }

// Parts is ConvInt8.Parts.
func (r *ConvRows) Parts(workers int) int { return r.c.Parts(workers) }

// terms sets rt[i] = −zw·Σ_k a_k for the rows of a.
func (r *ConvRows) terms(a []int8, lda int, rt []int32) {
	if r.mulRow == 0 {
		clear(rt)
		return
	}
	rowTerms(a, lda, int(r.k), r.mulRow, rt)
}

// RunParts computes parts [lo, hi) of the n = Parts(workers) parts of the
// convolution of the flipped input in into out (int8, the flipped
// output); calls on disjoint ranges may run concurrently.
func (r *ConvRows) RunParts(in, out []int8, scratch []int8, n, lo, hi int) {
	c := r.c
	g := &c.G
	m := g.Batch * g.OutH * g.OutW
	var rt [max(maxRowTile, directRowTile)]int32
	if c.direct {
		r0, r1 := lo*gemmRows, min(m, hi*gemmRows)
		for t0 := r0; t0 < r1; t0 += directRowTile {
			t1 := min(r1, t0+directRowTile)
			a := in[t0*g.InC:]
			r.terms(a, g.InC, rt[:t1-t0])
			r.gemm(a, g.InC, t1-t0, out[t0*g.OutC:], rt[:t1-t0])
		}
		return
	}
	tiles := (m + c.tileRows - 1) / c.tileRows
	kp := c.W.KP
	for s := lo; s < hi; s++ {
		buf := scratch[s*c.tileRows*kp : (s+1)*c.tileRows*kp]
		for t := s; t < tiles; t += n {
			r0, r1 := t*c.tileRows, min(m, (t+1)*c.tileRows)
			if c.shortRows {
				im2colShortRuns(g, in, r0, r1, buf, kp, c.pad)
			} else {
				im2colTile(g, in, r0, r1, buf, kp, c.pad)
			}
			r.terms(buf, kp, rt[:r1-r0])
			r.gemm(buf, kp, r1-r0, out[r0*g.OutC:], rt[:r1-r0])
		}
	}
}
