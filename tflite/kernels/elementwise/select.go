package elementwise

// Plan3 is a broadcast iteration plan for a three-operand operator
// (SELECT_V2): the output shape and, per operand, the element stride of
// every output dimension (0 where the operand broadcasts). Immutable.
type Plan3 struct {
	dims    []int
	strides [3][]int
	n       int
}

// NewPlan3 returns the plan for operands of shapes s[0..2] producing out,
// which must be their broadcast shape (see BroadcastShape).
func NewPlan3(s [3][]int, out []int) Plan3 {
	p := Plan3{dims: append([]int(nil), out...), n: 1}
	for _, d := range out {
		p.n *= d
	}
	r := len(out)
	for k, sh := range s {
		st := make([]int, r)
		acc := 1
		for i := r - 1; i >= 0; i-- {
			j := i - (r - len(sh))
			if j >= 0 && sh[j] != 1 {
				st[i] = acc
				acc *= sh[j]
			}
		}
		p.strides[k] = st
	}
	return p
}

// Elements returns the number of output elements.
func (p *Plan3) Elements() int { return p.n }

// MaxSelectRank is the largest output rank Select handles.
const MaxSelectRank = 8

// Select writes x where cond is true (non-zero) and y elsewhere, with
// broadcasting as planned (output rank at most MaxSelectRank).
func Select[T any](p *Plan3, cond []uint8, x, y, out []T) {
	r := len(p.dims)
	if r == 0 {
		if p.n == 1 {
			out[0] = pick(cond[0], x[0], y[0])
		}
		return
	}
	var idx [MaxSelectRank]int
	var o [3]int
	for i := range p.n {
		out[i] = pick(cond[o[0]], x[o[1]], y[o[2]])
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			for k := range 3 {
				o[k] += p.strides[k][d]
			}
			if idx[d] < p.dims[d] {
				break
			}
			for k := range 3 {
				o[k] -= p.strides[k][d] * p.dims[d]
			}
			idx[d] = 0
		}
	}
}

func pick[T any](c uint8, x, y T) T {
	if c != 0 {
		return x
	}
	return y
}
