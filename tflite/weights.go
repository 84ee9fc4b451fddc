package tflite

import (
	"context"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Load-time weight transforms: sparse constants are densified as they are
// parsed, and operators that only turn one constant into another
// (DEQUANTIZE of float16 or quantized weights, DENSIFY) are computed once
// at load, so the convolutions behind them see float32 constants and take
// their packed fast paths.

// foldable lists the operators computed at load when every input is
// constant. DENSIFY's input is already dense (parseTensor densifies sparse
// constants), so it is a copy.
var foldable = map[string]bool{"DEQUANTIZE": true, "DENSIFY": true}

// maxFoldBytes bounds the bytes one model's folded constants may add to
// its file.
const maxFoldBytes = 1 << 30

// foldConstants computes every foldable operator whose inputs are all
// constant, in execution order (so chains like DENSIFY → DEQUANTIZE fold),
// storing the result as its output's constant data and marking the
// operator folded. It runs the operator's own kernel, so a folded model
// computes exactly what the unfolded one does. An operator whose output is
// a subgraph output, or that the resolver does not know, is left to run.
func foldConstants(f *parsed, res *op.Resolver) (int64, error) {
	isOutput := map[int]bool{}
	for _, ti := range f.outputs {
		isOutput[ti] = true
	}
	var added int64
	for i := range f.ops {
		o := &f.ops[i]
		if !foldable[o.name] || len(o.inputs) != 1 || len(o.outputs) != 1 || o.inputs[0] < 0 || isOutput[o.outputs[0]] {
			continue
		}
		in, out := &f.tensors[o.inputs[0]].info, &f.tensors[o.outputs[0]].info
		if !in.IsConst() || out.IsConst() {
			continue
		}
		var data []byte
		if o.name == "DENSIFY" {
			if in.DType != out.DType || !in.Shape.Equal(out.Shape) {
				return 0, invalid("op %d (DENSIFY): input %s%v and output %s%v differ", i, in.DType, in.Shape, out.DType, out.Shape)
			}
			data = in.Const
		} else {
			var err error
			if data, err = evalConst(i, o, in, out, res); err != nil {
				return 0, err
			}
			if data == nil {
				continue
			}
			added += int64(len(data))
			if added > maxFoldBytes {
				return 0, fmt.Errorf("%w: constants computed at load exceed %d bytes", ErrLimit, maxFoldBytes)
			}
		}
		out.Const = data
		o.folded = true
	}
	return added, nil
}

// evalConst runs one operator over its constant input and returns the
// output bytes, or nil when the resolver has no kernel for it.
func evalConst(i int, o *fileOp, in, out *op.TensorInfo, res *op.Resolver) ([]byte, error) {
	prep, ok := res.Lookup(o.name)
	if !ok {
		return nil, nil
	}
	ic, oc := *in, *out
	ic.Shape, oc.Shape = in.Shape.Clone(), out.Shape.Clone()
	n := &op.Node{Index: i, Op: o.name, Version: o.version, Options: o.options,
		Inputs: []*op.TensorInfo{&ic}, Outputs: []*op.TensorInfo{&oc}}
	k, err := prepareSafely(prep, n)
	if err != nil {
		return nil, err
	}
	if k.Eval == nil || !oc.Shape.Equal(out.Shape) {
		return nil, invalid("op %d (%s): output %v computes to %v", i, o.name, out.Shape, oc.Shape)
	}
	if oc.DType.Size() == 0 {
		return nil, nil
	}
	if err := activationSize(&oc, fmt.Sprintf("op %d (%s): output", i, o.name)); err != nil {
		return nil, err
	}
	if k.Scratch < 0 || k.Scratch > maxFoldBytes {
		return nil, invalid("op %d (%s): scratch of %d bytes", i, o.name, k.Scratch)
	}
	size := oc.Shape.Elements() * oc.DType.Size()
	t := &tensor.Tensor{Name: oc.Name, DType: oc.DType, Shape: oc.Shape, Quant: oc.Quant, Data: make([]byte, size)}
	x := &op.Exec{Ctx: context.Background(), Scratch: make([]byte, k.Scratch)}
	if err := evalSafely(k, x, []*tensor.Tensor{ic.ConstTensor()}, []*tensor.Tensor{t}); err != nil {
		return nil, fmt.Errorf("op %d (%s): computing at load: %w", i, o.name, err)
	}
	return aligned(t.Data, max(oc.DType.Size(), 1)), nil
}

// evalSafely runs a kernel at load time (not under a Runner, whose Run
// recovers), turning a panic into an error wrapping ErrPanic.
func evalSafely(k op.Kernel, x *op.Exec, in, out []*tensor.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %w: %v", ErrInvalidModel, ErrPanic, r)
		}
	}()
	return k.Eval(x, in, out)
}

// Sparsity limits: the number of levels a sparse tensor's metadata may
// describe (its dimensions plus block dimensions).
const maxSparseLevels = 2 * maxRank

// DimensionType values of the schema's DimensionMetadata.format.
const (
	dimDense     = 0
	dimSparseCSR = 1
)

// sparseLevel is one level of a sparse tensor's traversal.
type sparseLevel struct {
	dim      int   // dimension it traverses: < rank original, ≥ rank block
	size     int   // extent of that dimension
	csr      bool  // SPARSE_CSR (segments, indices) rather than DENSE
	segments []int // CSR: positions of the children of each parent
	indices  []int // CSR: coordinate of each child
}

// densify decodes a constant tensor stored in TensorFlow Lite's sparse
// format (SparsityParameters: traversal order, block map, per-level
// DENSE/SPARSE_CSR metadata) into its dense bytes. The metadata is
// untrusted: every size, segment and index is checked, and the values
// must fill exactly the positions the metadata describes.
func densify(r *fb, sp table, info *op.TensorInfo, values []byte, what string) ([]byte, error) {
	rank := len(info.Shape)
	order := r.getI32s(sp, 0, "traversal order")
	blockMap := r.getI32s(sp, 1, "block map")
	dm := r.getVec(sp, 2, 4, "dimension metadata")
	if r.err != nil {
		return nil, invalid("%s: sparsity: %v", what, r.err)
	}
	levels := rank + len(blockMap)
	if levels > maxSparseLevels || len(order) != levels || int(dm.n) != levels {
		return nil, invalid("%s: sparsity: %d traversal levels and %d dimension metadata for rank %d with %d block dimensions", what, len(order), dm.n, rank, len(blockMap))
	}
	// Extent of each traversed dimension: original dimensions are divided
	// by their block size, block dimensions have the block's size (given
	// by their DENSE level's dense_size).
	block := make([]int, rank) // block size per original dimension, 1 if none
	for d := range block {
		block[d] = 1
	}
	extent := make([]int, levels)
	seen := make([]bool, levels)
	for _, d := range order {
		if d < 0 || int(d) >= levels || seen[d] {
			return nil, invalid("%s: sparsity: traversal order %v is not a permutation of 0..%d", what, order, levels-1)
		}
		seen[d] = true
	}
	for l := 0; l < levels; l++ {
		if int(order[l]) < rank {
			continue
		}
		t := r.vecTable(dm, uint32(l), "dimension metadata")
		size := int(r.getI32(t, 1, 0, "dense size"))
		if r.err != nil {
			return nil, invalid("%s: sparsity: %v", what, r.err)
		}
		b := int(order[l]) - rank
		d := int(blockMap[b])
		if d < 0 || d >= rank || block[d] != 1 || size < 1 || info.Shape[d]%size != 0 {
			return nil, invalid("%s: sparsity: block dimension %d (size %d) over dimension %d of shape %v", what, b, size, d, info.Shape)
		}
		block[d] = size
		extent[order[l]] = size
	}
	for d := 0; d < rank; d++ {
		extent[d] = info.Shape[d] / block[d]
	}
	lv := make([]sparseLevel, levels)
	parents := 1 // positions at the level above
	for l := range lv {
		t := r.vecTable(dm, uint32(l), "dimension metadata")
		format := r.getU8(t, 0, 0, "dimension format")
		L := &lv[l]
		L.dim = int(order[l])
		L.size = extent[L.dim]
		switch format {
		case dimDense:
			if ds := int(r.getI32(t, 1, 0, "dense size")); ds != L.size {
				return nil, invalid("%s: sparsity: level %d is dense of size %d, dimension %d has %d", what, l, ds, L.dim, L.size)
			}
			parents *= L.size
		case dimSparseCSR:
			if L.dim >= rank {
				return nil, unsupported("%s: sparsity: sparse block dimension", what)
			}
			L.csr = true
			var err error
			if L.segments, err = sparseIndexVector(r, t, 2, what+": array segments"); err != nil {
				return nil, err
			}
			if L.indices, err = sparseIndexVector(r, t, 4, what+": array indices"); err != nil {
				return nil, err
			}
			if len(L.segments) != parents+1 || L.segments[0] != 0 || L.segments[parents] != len(L.indices) {
				return nil, invalid("%s: sparsity: level %d has %d segments for %d parents and %d indices", what, l, len(L.segments), parents, len(L.indices))
			}
			for p := 0; p < parents; p++ {
				lo, hi := L.segments[p], L.segments[p+1]
				if lo > hi {
					return nil, invalid("%s: sparsity: level %d segments decrease at %d", what, l, p)
				}
				for k := lo; k < hi; k++ {
					if L.indices[k] < 0 || L.indices[k] >= L.size || (k > lo && L.indices[k] <= L.indices[k-1]) {
						return nil, invalid("%s: sparsity: level %d index %d is out of range or order for size %d", what, l, L.indices[k], L.size)
					}
				}
			}
			parents = len(L.indices)
		default:
			return nil, unsupported("%s: sparsity: dimension format %d", what, format)
		}
		if r.err != nil {
			return nil, invalid("%s: sparsity: %v", what, r.err)
		}
	}
	es := info.DType.Size()
	if es == 0 {
		return nil, unsupported("%s: sparse %s tensors", what, info.DType)
	}
	if len(values) != parents*es {
		return nil, invalid("%s: sparse buffer holds %d bytes, the metadata describes %d values of %s", what, len(values), parents, info.DType)
	}
	n := info.Shape.Elements()
	dense := make([]byte, n*es, n*es+8)
	strides := make([]int, rank)
	s := 1
	for d := rank - 1; d >= 0; d-- {
		strides[d] = s
		s *= info.Shape[d]
	}
	// Walk the levels; coord holds each traversed dimension's coordinate.
	// The number of leaves is the number of values, so the walk is bounded
	// by the buffer's size.
	coord := make([]int, levels)
	var walk func(l, pos int)
	walk = func(l, pos int) {
		if l == levels {
			off := 0
			for d := 0; d < rank; d++ {
				c := coord[d] * block[d]
				for b, bd := range blockMap {
					if int(bd) == d {
						c += coord[rank+b]
					}
				}
				off += c * strides[d]
			}
			copy(dense[off*es:(off+1)*es], values[pos*es:])
			return
		}
		L := &lv[l]
		if !L.csr {
			for i := 0; i < L.size; i++ {
				coord[L.dim] = i
				walk(l+1, pos*L.size+i)
			}
			return
		}
		for k := L.segments[pos]; k < L.segments[pos+1]; k++ {
			coord[L.dim] = L.indices[k]
			walk(l+1, k)
		}
	}
	walk(0, 0)
	return dense, nil
}

// sparseIndexVector reads the SparseIndexVector union at slot (type) and
// slot+1 (value): a table holding one vector of int32, uint16 or uint8.
func sparseIndexVector(r *fb, t table, slot int, what string) ([]int, error) {
	typ := r.getU8(t, slot, 0, what)
	vt := r.getTable(t, slot+1, what)
	if r.err != nil {
		return nil, invalid("%s: %v", what, r.err)
	}
	if !vt.ok {
		return nil, invalid("%s: missing", what)
	}
	elem := map[uint8]uint32{1: 4, 2: 2, 3: 1}[typ]
	if elem == 0 {
		return nil, invalid("%s: index vector type %d", what, typ)
	}
	v := r.getVec(vt, 0, elem, what)
	if r.err != nil {
		return nil, invalid("%s: %v", what, r.err)
	}
	out := make([]int, v.n)
	for i := range out {
		p := v.start + uint32(i)*elem
		switch elem {
		case 4:
			out[i] = int(int32(uint32(r.b[p]) | uint32(r.b[p+1])<<8 | uint32(r.b[p+2])<<16 | uint32(r.b[p+3])<<24))
		case 2:
			out[i] = int(uint16(r.b[p]) | uint16(r.b[p+1])<<8)
		default:
			out[i] = int(r.b[p])
		}
	}
	return out, nil
}
