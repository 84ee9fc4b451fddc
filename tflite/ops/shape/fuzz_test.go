package shape_test

import (
	"errors"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// naiveStridedSlice is an index-by-index STRIDED_SLICE following the
// definition: expand the ellipsis (or an implicit trailing one) into full
// ranges, then walk each addressed dimension with a plain for loop from the
// normalised begin towards the normalised end.
func naiveStridedSlice(shape []int, begin, end, strides []int, o *op.StridedSliceOptions) (idx [][]int, outShape []int) {
	bit := func(m, i int) bool { return m>>uint(i)&1 != 0 }
	consume := 0
	hasEllipsis := false
	for i := range begin {
		if bit(o.EllipsisMask, i) {
			hasEllipsis = true
		} else if !bit(o.NewAxisMask, i) {
			consume++
		}
	}
	type entry struct {
		b, e, s               int
		bm, em, shrink, isNew bool
		full                  bool
	}
	var spec []entry
	for i := range begin {
		switch {
		case bit(o.EllipsisMask, i) && hasEllipsis:
			for k := 0; k < len(shape)-consume; k++ {
				spec = append(spec, entry{full: true})
			}
			hasEllipsis = false // only the first counts
		case bit(o.NewAxisMask, i):
			spec = append(spec, entry{isNew: true})
		default:
			spec = append(spec, entry{b: begin[i], e: end[i], s: strides[i], bm: bit(o.BeginMask, i), em: bit(o.EndMask, i), shrink: bit(o.ShrinkAxisMask, i)})
		}
	}
	dim := 0
	for _, en := range spec {
		if en.isNew {
			outShape = append(outShape, 1)
			continue
		}
		if dim >= len(shape) {
			break
		}
		n := shape[dim]
		var list []int
		switch {
		case en.full:
			for k := 0; k < n; k++ {
				list = append(list, k)
			}
			outShape = append(outShape, n)
		case en.shrink:
			b := en.b
			if b < 0 {
				b += n
			}
			list = []int{b}
		default:
			b, e := en.b, en.e
			if b < 0 {
				b += n
			}
			if en.s > 0 {
				b = min(max(b, 0), n)
			} else {
				b = min(max(b, -1), n-1)
			}
			if en.bm {
				if en.s > 0 {
					b = 0
				} else {
					b = n - 1
				}
			}
			if o.Offset {
				e += b
			}
			if e < 0 {
				e += n
			}
			if en.s > 0 {
				e = min(max(e, 0), n)
			} else {
				e = min(max(e, -1), n-1)
			}
			if en.em {
				if en.s > 0 {
					e = n
				} else {
					e = -1
				}
			}
			for k := b; (en.s > 0 && k < e) || (en.s < 0 && k > e); k += en.s {
				list = append(list, k)
			}
			outShape = append(outShape, len(list))
		}
		idx = append(idx, list)
		dim++
	}
	for ; dim < len(shape); dim++ {
		var list []int
		for k := 0; k < shape[dim]; k++ {
			list = append(list, k)
		}
		idx = append(idx, list)
		outShape = append(outShape, shape[dim])
	}
	if outShape == nil {
		outShape = []int{}
	}
	return idx, outShape
}

// gatherIndex enumerates the row-major flat input offsets of the cartesian
// product of per-dimension index lists.
func gatherIndex(shape []int, idx [][]int) []int {
	flat := []int{0}
	for d, list := range idx {
		var next []int
		for _, f := range flat {
			for _, k := range list {
				next = append(next, f*shape[d]+k)
			}
		}
		flat = next
	}
	return flat
}

func FuzzStridedSlice(f *testing.F) {
	f.Add([]byte{2, 3, 4}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), false)
	f.Add([]byte{2, 3, 4}, []byte{255, 0, 1, 250, 4, 255, 2, 3, 1}, uint8(1), uint8(2), uint8(0), uint8(0), uint8(4), false)
	f.Add([]byte{3, 3}, []byte{0, 1, 2, 2, 1, 1}, uint8(0), uint8(0), uint8(1), uint8(2), uint8(0), true)
	f.Fuzz(func(t *testing.T, dims []byte, params []byte, bm, em, ell, na, sh uint8, offset bool) {
		if len(dims) > 5 || len(params) > 24 || len(params)%3 != 0 {
			return
		}
		shp := make([]int, len(dims))
		total := 1
		for i, d := range dims {
			shp[i] = int(d % 6)
			total *= shp[i]
		}
		k := len(params) / 3
		b, e, s := make([]int32, k), make([]int32, k), make([]int32, k)
		for i := 0; i < k; i++ {
			b[i] = int32(int8(params[3*i])) % 9
			e[i] = int32(int8(params[3*i+1])) % 9
			s[i] = int32(int8(params[3*i+2])) % 4
		}
		o := &op.StridedSliceOptions{BeginMask: int(bm), EndMask: int(em), EllipsisMask: int(ell), NewAxisMask: int(na), ShrinkAxisMask: int(sh), Offset: offset}
		in := f32(shp, seq(total)...)
		out, err := run(t, "STRIDED_SLICE", o, []*tv{in, ci32(b...), ci32(e...), ci32(s...)}, o1())
		if err != nil {
			if !errors.Is(err, op.ErrInvalidModel) && !errors.Is(err, op.ErrUnsupported) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		toInt := func(v []int32) []int {
			r := make([]int, len(v))
			for i, x := range v {
				r[i] = int(x)
			}
			return r
		}
		idx, wantShape := naiveStridedSlice(shp, toInt(b), toInt(e), toInt(s), o)
		if !out[0].Shape.Equal(wantShape) {
			t.Fatalf("shape %v, naive %v (in %v)", out[0].Shape, wantShape, shp)
		}
		want := gatherIndex(shp, idx)
		got := values(out[0])
		if len(got) != len(want) {
			t.Fatalf("%d values, naive %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != float64(want[i]) {
				t.Fatalf("value %d = %v, naive %v", i, got[i], want[i])
			}
		}
	})
}

func o1() []*op.TensorInfo { return []*op.TensorInfo{outInfo(tensor.Float32)} }

func FuzzTranspose(f *testing.F) {
	f.Add([]byte{2, 3, 4}, []byte{2, 0, 1})
	f.Add([]byte{1, 2, 1, 3, 2, 2}, []byte{5, 4, 3, 2, 1, 0})
	f.Fuzz(func(t *testing.T, dims, perm []byte) {
		if len(dims) > 7 || len(perm) > 7 {
			return
		}
		shp := make([]int, len(dims))
		total := 1
		for i, d := range dims {
			shp[i] = int(d%4) + 1
			total *= shp[i]
		}
		p := make([]int32, len(perm))
		for i, x := range perm {
			p[i] = int32(int8(x)) % 8
		}
		out, err := run(t, "TRANSPOSE", nil, []*tv{f32(shp, seq(total)...), ci32(p...)}, o1())
		if err != nil {
			if !errors.Is(err, op.ErrInvalidModel) && !errors.Is(err, op.ErrUnsupported) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		rank := len(shp)
		perm2 := make([]int, rank)
		for i := range p {
			perm2[i] = (int(p[i]) + rank) % rank
		}
		// Naive: walk output indices, read input at the permuted index.
		oshape := out[0].Shape
		got := values(out[0])
		oi := make([]int, rank)
		for flat := range got {
			r := flat
			for d := rank - 1; d >= 0; d-- {
				oi[d] = r % oshape[d]
				r /= oshape[d]
			}
			src := 0
			ii := make([]int, rank)
			for d := range rank {
				ii[perm2[d]] = oi[d]
			}
			for d := range rank {
				src = src*shp[d] + ii[d]
			}
			if got[flat] != float64(src) {
				t.Fatalf("out[%v] = %v, want %d", oi, got[flat], src)
			}
		}
	})
}

func FuzzReshape(f *testing.F) {
	f.Add([]byte{2, 3, 4}, []byte{255, 4})
	f.Add([]byte{4, 3}, []byte{1, 3})
	f.Fuzz(func(t *testing.T, dims, want []byte) {
		if len(dims) > 6 || len(want) > 7 {
			return
		}
		shp := make([]int, len(dims))
		total := 1
		for i, d := range dims {
			shp[i] = int(d % 5)
			total *= shp[i]
		}
		ws := make([]int32, len(want))
		for i, x := range want {
			ws[i] = int32(int8(x)) % 7
		}
		out, err := run(t, "RESHAPE", nil, []*tv{f32(shp, seq(total)...), ci32(ws...)}, o1())
		if err != nil {
			if !errors.Is(err, op.ErrInvalidModel) && !errors.Is(err, op.ErrUnsupported) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if n := out[0].Shape.Elements(); n != total {
			t.Fatalf("reshape %v by %v gave %v (%d elements, want %d)", shp, ws, out[0].Shape, n, total)
		}
		for i, v := range values(out[0]) {
			if v != float64(i) {
				t.Fatalf("value %d = %v", i, v)
			}
		}
		// Every given non-negative dimension is kept, except a rescaled batch.
		for i, d := range ws {
			if d >= 0 && i > 0 && out[0].Shape[i] != int(d) {
				t.Fatalf("dimension %d is %d, asked %d", i, out[0].Shape[i], d)
			}
		}
	})
}
