package elementwise

import (
	"errors"
	"fmt"
)

// MaxDims is the largest rank a broadcasting operator accepts, as in
// TensorFlow Lite's BroadcastBinaryOpSimple (6-D).
const MaxDims = 6

// ErrBroadcast reports shapes that cannot be broadcast together.
var ErrBroadcast = errors.New("shapes do not broadcast")

// BroadcastShape returns the NumPy-style broadcast of shapes a and b: both
// are right-aligned, and each pair of dimensions must be equal or one of
// them 1. It returns an error wrapping ErrBroadcast for incompatible
// shapes, negative dimensions, or a rank above MaxDims.
func BroadcastShape(a, b []int) ([]int, error) {
	if len(a) > MaxDims || len(b) > MaxDims {
		return nil, fmt.Errorf("%w: rank %d and %d, at most %d supported", ErrBroadcast, len(a), len(b), MaxDims)
	}
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 1; i <= n; i++ {
		da, db := 1, 1
		if i <= len(a) {
			da = a[len(a)-i]
		}
		if i <= len(b) {
			db = b[len(b)-i]
		}
		if da < 0 || db < 0 {
			return nil, fmt.Errorf("%w: negative dimension in %v, %v", ErrBroadcast, a, b)
		}
		switch {
		case da == db:
			out[n-i] = da
		case da == 1:
			out[n-i] = db
		case db == 1:
			out[n-i] = da
		default:
			return nil, fmt.Errorf("%w: %v and %v differ at dimension %d (%d vs %d)", ErrBroadcast, a, b, n-i, da, db)
		}
	}
	return out, nil
}

// Plan is a broadcast iteration plan for one binary operator over fixed
// shapes: the output seen as Rows() rows of Inner() elements, and for each
// operand the stride of every compressed dimension (0 where it broadcasts).
// The zero value is not valid; use NewPlan. A Plan is immutable.
type Plan struct {
	n        int // compressed rank, at least 1
	dims     [MaxDims]int
	sa, sb   [MaxDims]int
	rows     int
	la, lb   int // row slice lengths of a and b: Inner() or 1
	elements int
}

// NewPlan returns the plan for operands of shapes a and b producing out,
// which must be BroadcastShape(a, b).
func NewPlan(a, b, out []int) Plan {
	var p Plan
	r := len(out)
	dimA := func(i int) int { // a extended to rank r with leading 1s
		if j := i - (r - len(a)); j >= 0 {
			return a[j]
		}
		return 1
	}
	dimB := func(i int) int {
		if j := i - (r - len(b)); j >= 0 {
			return b[j]
		}
		return 1
	}
	p.elements = 1
	var fullA, fullB [MaxDims]bool
	for i := range r {
		d := out[i]
		p.elements *= d
		if d == 1 {
			continue
		}
		fa, fb := dimA(i) == d, dimB(i) == d
		if p.n > 0 && fullA[p.n-1] == fa && fullB[p.n-1] == fb {
			p.dims[p.n-1] *= d
			continue
		}
		p.dims[p.n], fullA[p.n], fullB[p.n] = d, fa, fb
		p.n++
	}
	if p.n == 0 {
		p.n, p.dims[0], fullA[0], fullB[0] = 1, 1, true, true
	}
	if p.elements == 0 {
		p.n, p.dims[0], p.rows = 1, 0, 0
		return p
	}
	stA, stB := 1, 1
	for i := p.n - 1; i >= 0; i-- {
		if fullA[i] {
			p.sa[i] = stA
			stA *= p.dims[i]
		}
		if fullB[i] {
			p.sb[i] = stB
			stB *= p.dims[i]
		}
	}
	p.rows = 1
	for i := 0; i < p.n-1; i++ {
		p.rows *= p.dims[i]
	}
	inner := p.dims[p.n-1]
	p.la, p.lb = 1, 1
	if fullA[p.n-1] {
		p.la = inner
	}
	if fullB[p.n-1] {
		p.lb = inner
	}
	return p
}

// Elements returns the number of output elements.
func (p *Plan) Elements() int { return p.elements }

// Rows returns the number of output rows Binary calls its row function on.
func (p *Plan) Rows() int { return p.rows }

// Inner returns the length of one output row.
func (p *Plan) Inner() int { return p.dims[p.n-1] }

// Same reports whether no operand broadcasts: both inputs are read in step
// with the output, so the operator is one flat loop.
func (p *Plan) Same() bool { return p.rows <= 1 && p.la == p.lb }

// RepeatedRow reports whether the output is Rows() rows of Inner()
// elements in which one operand is read in full, in step with the output,
// and the other is the same Inner()-long row every time (a per-channel
// vector against a tensor): 2 when b is the repeated row, 1 when a is,
// 0 otherwise.
func (p *Plan) RepeatedRow() int {
	if p.n != 2 || p.rows < 2 || p.la != p.dims[1] || p.lb != p.dims[1] {
		return 0
	}
	switch inner := p.dims[1]; {
	case p.sa[0] == inner && p.sb[0] == 0:
		return 2
	case p.sa[0] == 0 && p.sb[0] == inner:
		return 1
	}
	return 0
}

// TileRows returns how many copies of an Inner()-long row BinaryTiled's
// tile holds: enough that each call of the row function covers about
// 1024 elements (at least one row).
func (p *Plan) TileRows() int { return max(1, min(p.rows, 1024/max(1, p.dims[p.n-1]))) }

// BinaryTiled is Binary for a plan with RepeatedRow() != 0: the repeated
// row is copied TileRows() times into tile (of A when a repeats, of B when
// b repeats; len(tile) ≥ TileRows()·Inner()) and row is called on
// TileRows() output rows at a time, with equal-length slices, instead of
// once per row. Every row function is elementwise, so the results are
// Binary's.
func BinaryTiled[A, B, U any](p *Plan, a []A, b []B, out []U, tileA []A, tileB []B, row func(a []A, b []B, out []U)) {
	inner := p.dims[p.n-1]
	k := p.TileRows()
	n := p.rows * inner
	out = out[:n]
	if p.RepeatedRow() == 2 {
		t := tileB[:k*inner]
		for i := 0; i < k; i++ {
			copy(t[i*inner:(i+1)*inner], b[:inner])
		}
		a = a[:n]
		for i := 0; i < n; i += k * inner {
			j := min(n, i+k*inner)
			row(a[i:j], t[:j-i], out[i:j])
		}
		return
	}
	t := tileA[:k*inner]
	for i := 0; i < k; i++ {
		copy(t[i*inner:(i+1)*inner], a[:inner])
	}
	b = b[:n]
	for i := 0; i < n; i += k * inner {
		j := min(n, i+k*inner)
		row(t[:j-i], b[i:j], out[i:j])
	}
}

// Binary walks the plan, calling row for each output row with the matching
// slices of a and b. Each input slice has either the row's length or length
// 1 (a broadcast scalar); row must handle both.
func Binary[A, B, U any](p *Plan, a []A, b []B, out []U, row func(a []A, b []B, out []U)) {
	if p.rows == 0 {
		return
	}
	inner := p.dims[p.n-1]
	if p.rows == 1 {
		row(a[:p.la], b[:p.lb], out[:inner])
		return
	}
	var idx [MaxDims]int
	offA, offB, offO := 0, 0, 0
	last := p.n - 2
	for range p.rows {
		row(a[offA:offA+p.la], b[offB:offB+p.lb], out[offO:offO+inner])
		offO += inner
		for d := last; d >= 0; d-- {
			idx[d]++
			offA += p.sa[d]
			offB += p.sb[d]
			if idx[d] < p.dims[d] {
				break
			}
			offA -= p.sa[d] * p.dims[d]
			offB -= p.sb[d] * p.dims[d]
			idx[d] = 0
		}
	}
}
