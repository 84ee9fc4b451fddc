package shape

// BilinearU8 is ResizeBilinearFloat for uint8 data (TensorFlow Lite's
// reference: float32 arithmetic, + 0.5, truncation) with BilinearF32's
// tables: each output row's two input rows are converted to float32 once
// (exactly: every uint8 is a float32), interpolated with the reference's
// products and sums term for term, and rounded as the reference rounds
// them: v + 0.5 truncated, where v ≥ 0 (non-negative inputs and weights).
// On AVX-512 the row kernel adds the 0.5 and writes the bytes itself;
// elsewhere the Go loop writes float32 values and roundU8 rounds them.
// Bit-identical with ResizeBilinearFloat[uint8].
type BilinearU8 struct {
	t *BilinearF32
}

// NewBilinearU8 returns the tables for p, which must describe a non-empty
// input (InH, InW > 0).
func NewBilinearU8(p ResizeParams) *BilinearU8 { return &BilinearU8{t: NewBilinearF32(p)} }

// ScratchFloats is the float32 scratch Run needs: two input rows and an
// output row.
func (r *BilinearU8) ScratchFloats() int {
	p := &r.t.p
	return 2*p.InW*p.Depth + p.OutW*p.Depth
}

// Run resizes in into out (NHWC uint8, sizes as in the ResizeParams);
// scratch holds ScratchFloats values.
func (r *BilinearU8) Run(out, in []uint8, scratch []float32) {
	t := r.t
	p := &t.p
	d := p.Depth
	row := p.InW * d
	f0, f1, fo := scratch[:row], scratch[row:2*row], scratch[2*row:2*row+p.OutW*d]
	o := 0
	for b := 0; b < p.Batch; b++ {
		img := in[b*p.InH*row : (b+1)*p.InH*row]
		last0, last1 := -1, -1
		for y, ry0 := range t.y0 {
			ry1, dy, ndy := t.y1[y], t.dy[y], t.ndy[y]
			if ry0 != last0 {
				for i, v := range img[ry0 : ry0+row] {
					f0[i] = float32(v)
				}
				last0 = ry0
			}
			if ry1 != last1 {
				for i, v := range img[ry1 : ry1+row] {
					f1[i] = float32(v)
				}
				last1 = ry1
			}
			dst := out[o : o+p.OutW*d]
			o += p.OutW * d
			if bilinearRowVec(f0, f1, t.x0, t.x1, t.dx, t.ndx, d, dy, ndy, dst) {
				continue
			}
			k := 0
			for x, cx0 := range t.x0 {
				cx1, dx, ndx := t.x1[x], t.dx[x], t.ndx[x]
				for c := range d {
					v := float32(float32(f0[cx0+c]*ndy)*ndx) + float32(float32(f1[cx0+c]*dy)*ndx)
					v = v + float32(float32(f0[cx1+c]*ndy)*dx)
					v = v + float32(float32(f1[cx1+c]*dy)*dx)
					fo[k] = v
					k++
				}
			}
			roundU8(fo, dst)
		}
	}
}

// roundU8 sets dst[i] = uint8(src[i] + 0.5), BilinearU8's final
// rounding where the row kernel does not apply it.
func roundU8(src []float32, dst []uint8) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = uint8(v + 0.5)
	}
}
