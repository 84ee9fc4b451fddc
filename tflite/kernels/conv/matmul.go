package conv

// MatMul is the geometry of a BATCH_MATMUL: Batches products of an M×K
// left matrix and a K×N right matrix, with each operand optionally stored
// transposed (AdjX: left stored K×M; AdjY: right stored N×K). LhsOff[b]
// and RhsOff[b] are the element offsets of batch b's matrices, which
// encodes the broadcast of the batch dimensions.
type MatMul struct {
	Batches        int
	M, K, N        int
	AdjX, AdjY     bool
	LhsOff, RhsOff []int
}

// Strides returns the element strides of the operands: left row i and
// depth k (xi, xk), right depth k and column j (yk, yj).
func (p *MatMul) Strides() (xi, xk, yk, yj int) { return p.strides() }

func (p *MatMul) strides() (xi, xk, yk, yj int) {
	xi, xk = p.K, 1
	if p.AdjX {
		xi, xk = 1, p.M
	}
	yk, yj = p.N, 1
	if p.AdjY {
		yk, yj = 1, p.K
	}
	return
}

// BatchMatMulQ is TensorFlow Lite's reference quantized BATCH_MATMUL over
// rows [lo, hi) of the Batches·M output rows: Σ (x+InputOffset)·
// (y+FilterOffset), scaled by Mult[0], Shift[0], plus OutputOffset,
// clamped. A is int32 for int8 and int64 for int16.
func BatchMatMulQ[T qint, A accum](p *MatMul, q *Requant, x, y, out []T, lo, hi int) {
	xi, xk, yk, yj := p.strides()
	for r := lo; r < hi; r++ {
		b, i := r/p.M, r%p.M
		xs, ys := x[p.LhsOff[b]+i*xi:], y[p.RhsOff[b]:]
		o := out[r*p.N : (r+1)*p.N]
		for j := range o {
			var acc A
			for k := 0; k < p.K; k++ {
				acc += A(int32(xs[k*xk])+q.InputOffset) * A(int32(ys[k*yk+j*yj])+q.FilterOffset)
			}
			v := scale(acc, q.Mult[0], q.Shift[0]) + q.OutputOffset
			o[j] = T(clamp(v, q.Min, q.Max))
		}
	}
}

// BatchMatMulFloat is the float BATCH_MATMUL over rows [lo, hi).
func BatchMatMulFloat(p *MatMul, x, y, out []float32, lo, hi int) {
	xi, xk, yk, yj := p.strides()
	for r := lo; r < hi; r++ {
		b, i := r/p.M, r%p.M
		xs, ys := x[p.LhsOff[b]+i*xi:], y[p.RhsOff[b]:]
		o := out[r*p.N : (r+1)*p.N]
		for j := range o {
			var acc float32
			for k := 0; k < p.K; k++ {
				acc += xs[k*xk] * ys[k*yk+j*yj]
			}
			o[j] = acc
		}
	}
}
