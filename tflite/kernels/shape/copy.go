package shape

// MaxRank is the largest number of dimensions a CopyPlan or ReducePlan
// handles. Operators validate ranks against it before building plans.
const MaxRank = 8

// CopyPlan is a precomputed strided copy: for every index (i0, ..., ik) below
// Count, the element at SrcBase + Σ ij·Src[j] of the source is copied to
// DstBase + Σ ij·Dst[j] of the destination (offsets and strides in
// elements). It covers slice, strided slice, transpose, pad, concatenation,
// split, pack and unpack. Build it with NewCopyPlan; the zero value copies
// nothing.
type CopyPlan struct {
	rank             int
	count            [MaxRank]int
	src, dst         [MaxRank]int
	srcBase, dstBase int
	elem             int // element size in bytes
	empty            bool
}

// NewCopyPlan builds a plan from per-dimension counts and source and
// destination strides (all of one length, at most MaxRank), base offsets,
// and the element size in bytes. Dimensions of count 1 are dropped and
// adjacent dimensions that are contiguous in both source and destination
// are merged, so that the innermost run is as long as possible.
// It reports false when the lengths disagree or exceed MaxRank.
func NewCopyPlan(count, src, dst []int, srcBase, dstBase, elem int) (CopyPlan, bool) {
	if len(count) != len(src) || len(count) != len(dst) || len(count) > MaxRank || elem <= 0 {
		return CopyPlan{}, false
	}
	p := CopyPlan{srcBase: srcBase, dstBase: dstBase, elem: elem}
	for i, c := range count {
		if c <= 0 {
			p.empty = true
			return p, true
		}
		if c == 1 {
			continue
		}
		if p.rank > 0 {
			j := p.rank - 1
			if p.src[j] == src[i]*c && p.dst[j] == dst[i]*c {
				// Merge the previous (outer) dimension into this one.
				p.count[j] *= c
				p.src[j] = src[i]
				p.dst[j] = dst[i]
				continue
			}
		}
		p.count[p.rank], p.src[p.rank], p.dst[p.rank] = c, src[i], dst[i]
		p.rank++
	}
	p.longInner()
	return p, true
}

// longInner makes the longest dimension the innermost one when the
// innermost is short (a layout change such as NCHW → NHWC of 3 channels
// would otherwise run 3-element inner loops under a full odometer step
// each). Every element is still copied exactly once, so the order cannot
// change the result — unless destinations overlap (a zero destination
// stride), where the plan keeps its order.
func (p *CopyPlan) longInner() {
	in := p.rank - 1
	if in < 1 || p.count[in] >= 16 {
		return
	}
	best := in
	for d := 0; d < in; d++ {
		if p.dst[d] == 0 {
			return
		}
		if p.count[d] > p.count[best] {
			best = d
		}
	}
	if p.dst[in] == 0 || best == in || p.count[best] < 64 {
		return
	}
	c, s, t := p.count[best], p.src[best], p.dst[best]
	copy(p.count[best:in], p.count[best+1:in+1])
	copy(p.src[best:in], p.src[best+1:in+1])
	copy(p.dst[best:in], p.dst[best+1:in+1])
	p.count[in], p.src[in], p.dst[in] = c, s, t
}

// Elements returns the number of elements the plan copies.
func (p *CopyPlan) Elements() int {
	if p.empty {
		return 0
	}
	n := 1
	for i := 0; i < p.rank; i++ {
		n *= p.count[i]
	}
	return n
}

// Run copies from src to dst as planned. Both slices hold raw element bytes
// and must be large enough for every offset the plan touches.
func (p *CopyPlan) Run(dst, src []byte) {
	if p.empty {
		return
	}
	es := p.elem
	if p.rank == 0 {
		copy(dst[p.dstBase*es:(p.dstBase+1)*es], src[p.srcBase*es:(p.srcBase+1)*es])
		return
	}
	if p.interleave(dst, src) {
		return
	}
	in := p.rank - 1
	n, ss, ds := p.count[in], p.src[in], p.dst[in]
	var idx [MaxRank]int
	so, do := p.srcBase, p.dstBase
	for {
		if ss == 1 && ds == 1 {
			copy(dst[do*es:(do+n)*es], src[so*es:(so+n)*es])
		} else {
			stridedRun(dst, src, do, so, ds, ss, n, es)
		}
		// Advance the outer index (odometer), keeping offsets incremental.
		d := in - 1
		for ; d >= 0; d-- {
			idx[d]++
			so += p.src[d]
			do += p.dst[d]
			if idx[d] < p.count[d] {
				break
			}
			so -= p.src[d] * p.count[d]
			do -= p.dst[d] * p.count[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// interleave runs the byte plans of a planar-to-interleaved layout change
// (NCHW → NHWC of 2 to 4 channels: a short outer dimension contiguous in
// the destination over a long inner one contiguous in the source) as one
// pass that writes each destination pixel whole, instead of one strided
// pass per channel. It reports whether it applied.
func (p *CopyPlan) interleave(dst, src []byte) bool {
	if p.rank != 2 || p.elem != 1 || p.count[0] < 2 || p.count[0] > 4 || p.dst[0] != 1 || p.src[1] != 1 || p.dst[1] != p.count[0] {
		return false
	}
	c, n, plane := p.count[0], p.count[1], p.src[0]
	if plane < n || plane < 0 {
		return false
	}
	d := dst[p.dstBase : p.dstBase+c*n]
	s0 := src[p.srcBase : p.srcBase+n]
	s1 := src[p.srcBase+plane : p.srcBase+plane+n]
	switch c {
	case 2:
		for i, v := range s0 {
			d[2*i], d[2*i+1] = v, s1[i]
		}
	case 3:
		s2 := src[p.srcBase+2*plane : p.srcBase+2*plane+n]
		d = d[:3*len(s0)]
		for i, v := range s0 {
			o := d[3*i : 3*i+3 : 3*i+3]
			o[0], o[1], o[2] = v, s1[i], s2[i]
		}
	case 4:
		s2 := src[p.srcBase+2*plane : p.srcBase+2*plane+n]
		s3 := src[p.srcBase+3*plane : p.srcBase+3*plane+n]
		for i, v := range s0 {
			o := d[4*i : 4*i+4 : 4*i+4]
			o[0], o[1], o[2], o[3] = v, s1[i], s2[i], s3[i]
		}
	}
	return true
}

// Outer returns the extent of the plan's outermost dimension: RunOuter
// splits the copy along it.
func (p *CopyPlan) Outer() int {
	if p.empty {
		return 0
	}
	if p.rank == 0 {
		return 1
	}
	return p.count[0]
}

// RunOuter is Run restricted to outermost indices [lo, hi) (0 ≤ lo ≤ hi ≤
// Outer()). Calls on disjoint ranges write disjoint elements, so they may
// run concurrently.
func (p *CopyPlan) RunOuter(dst, src []byte, lo, hi int) {
	if p.empty || lo >= hi {
		return
	}
	if p.rank == 0 {
		p.Run(dst, src)
		return
	}
	q := *p
	q.srcBase += lo * p.src[0]
	q.dstBase += lo * p.dst[0]
	q.count[0] = hi - lo
	q.Run(dst, src)
}

// stridedRun copies n elements of es bytes from src[so + k*ss] to
// dst[do + k*ds] (offsets in elements).
func stridedRun(dst, src []byte, do, so, ds, ss, n, es int) {
	switch es {
	case 1:
		for k := 0; k < n; k++ {
			dst[do] = src[so]
			do += ds
			so += ss
		}
	case 2:
		d, s := view[uint16](dst), view[uint16](src)
		for k := 0; k < n; k++ {
			d[do] = s[so]
			do += ds
			so += ss
		}
	case 4:
		d, s := view[uint32](dst), view[uint32](src)
		for k := 0; k < n; k++ {
			d[do] = s[so]
			do += ds
			so += ss
		}
	case 8:
		d, s := view[uint64](dst), view[uint64](src)
		for k := 0; k < n; k++ {
			d[do] = s[so]
			do += ds
			so += ss
		}
	default:
		for k := 0; k < n; k++ {
			copy(dst[do*es:(do+1)*es], src[so*es:(so+1)*es])
			do += ds
			so += ss
		}
	}
}

// Fill sets every element of dst (raw bytes, a whole number of elements of
// len(value) bytes) to value, by doubling copies.
func Fill(dst, value []byte) {
	if len(dst) == 0 || len(value) == 0 {
		return
	}
	n := copy(dst, value)
	for n < len(dst) {
		n += copy(dst[n:], dst[:n])
	}
}

// ContiguousStrides returns the row-major strides (in elements) of shape
// into out, which must be at least len(shape) long, and returns out.
func ContiguousStrides(shape []int, out []int) []int {
	out = out[:len(shape)]
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		out[i] = s
		s *= shape[i]
	}
	return out
}
