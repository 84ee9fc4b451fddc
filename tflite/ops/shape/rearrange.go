package shape

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	kshape "github.com/edgeinfer/edgeinfer/tflite/kernels/shape"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// tableKernel returns a kernel that copies through a table built over the
// output shape; fill is the value of padded elements (nil: none).
func tableKernel(n *op.Node, in, out *op.TensorInfo, oshape []int, src func(idx []int) int, fill []byte) (op.Kernel, error) {
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	if out.Shape.Elements() > kshape.MaxTableElements {
		return op.Kernel{}, n.Errorf("output has %d elements, at most %d supported", out.Shape.Elements(), kshape.MaxTableElements)
	}
	t := kshape.NewTable(oshape, src)
	es := in.DType.Size()
	if fill == nil {
		fill = make([]byte, es)
	}
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		t.Run(out[0].Data, in[0].Data, es, fill)
		return nil
	}}, nil
}

// zeroFill returns the bytes of a padded element: the zero point of a
// quantized tensor, else zero.
func zeroFill(t *op.TensorInfo) []byte {
	b := make([]byte, t.DType.Size())
	if _, z, ok := t.Scale(); ok {
		switch t.DType {
		case tensor.Int8, tensor.Uint8:
			b[0] = byte(z)
		case tensor.Int16:
			binary.LittleEndian.PutUint16(b, uint16(z))
		}
	}
	return b
}

// prepareTile: output dimension i is input dimension i × multiples[i]
// (multiples constant).
func prepareTile(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	m, err := constInts(n, n.Inputs[1], "multiples")
	if err != nil {
		return op.Kernel{}, err
	}
	if len(m) != len(in.Shape) {
		return op.Kernel{}, n.Invalidf("%d multiples for rank %d", len(m), len(in.Shape))
	}
	oshape := make([]int, len(m))
	for i, v := range m {
		if v < 0 || (v > 0 && in.Shape[i] > tensor.MaxElements/v) {
			return op.Kernel{}, n.Invalidf("multiple %d for dimension %d", v, in.Shape[i])
		}
		oshape[i] = in.Shape[i] * v
	}
	ist := kshape.Strides(in.Shape)
	dims := in.Shape.Clone()
	return tableKernel(n, in, out, oshape, func(idx []int) int {
		s := 0
		for d, i := range idx {
			s += (i % dims[d]) * ist[d]
		}
		return s
	}, nil)
}

// prepareReverse: REVERSE_V2 over the constant axes.
func prepareReverse(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	axes, err := constInts(n, n.Inputs[1], "axis")
	if err != nil {
		return op.Kernel{}, err
	}
	rev := make([]bool, len(in.Shape))
	for _, a := range axes {
		ax, err := normAxis(n, a, len(in.Shape), "axis")
		if err != nil {
			return op.Kernel{}, err
		}
		rev[ax] = true
	}
	ist := kshape.Strides(in.Shape)
	dims := in.Shape.Clone()
	return tableKernel(n, in, out, dims, func(idx []int) int {
		s := 0
		for d, i := range idx {
			if rev[d] {
				i = dims[d] - 1 - i
			}
			s += i * ist[d]
		}
		return s
	}, nil)
}

// blockSize reads the block_size option of SPACE_TO_DEPTH/DEPTH_TO_SPACE.
func blockSize(n *op.Node) (int, error) {
	o, err := options[op.BlockSizeOptions](n)
	if err != nil {
		return 0, err
	}
	if o.BlockSize < 1 || o.BlockSize > 1<<12 {
		return 0, n.Invalidf("block size %d", o.BlockSize)
	}
	return o.BlockSize, nil
}

// prepareSpaceToDepth and prepareDepthToSpace move NHWC blocks of bs×bs
// pixels to and from channels, as TFLite does:
// depth[b, h, w, (dy·bs + dx)·C + c] = space[b, h·bs + dy, w·bs + dx, c].
func prepareSpaceDepth(toDepth bool) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		if err := n.CheckArity(1, 1, 1); err != nil {
			return op.Kernel{}, err
		}
		in, out := n.Inputs[0], n.Outputs[0]
		if err := checkMove(n, in, out); err != nil {
			return op.Kernel{}, err
		}
		if len(in.Shape) != 4 {
			return op.Kernel{}, n.Invalidf("input has rank %d, want 4", len(in.Shape))
		}
		if !sameQuant(in, out) {
			return op.Kernel{}, n.Errorf("input and output quantization differ")
		}
		bs, err := blockSize(n)
		if err != nil {
			return op.Kernel{}, err
		}
		B, H, W, C := in.Shape[0], in.Shape[1], in.Shape[2], in.Shape[3]
		ist := kshape.Strides(in.Shape)
		if toDepth {
			if H%bs != 0 || W%bs != 0 {
				return op.Kernel{}, n.Invalidf("height %d and width %d not divisible by block size %d", H, W, bs)
			}
			return tableKernel(n, in, out, []int{B, H / bs, W / bs, C * bs * bs}, func(i []int) int {
				blk, c := i[3]/C, i[3]%C
				return i[0]*ist[0] + (i[1]*bs+blk/bs)*ist[1] + (i[2]*bs+blk%bs)*ist[2] + c
			}, nil)
		}
		if C%(bs*bs) != 0 {
			return op.Kernel{}, n.Invalidf("depth %d not divisible by block size² %d", C, bs*bs)
		}
		oc := C / (bs * bs)
		return tableKernel(n, in, out, []int{B, H * bs, W * bs, oc}, func(i []int) int {
			dy, dx := i[1]%bs, i[2]%bs
			return i[0]*ist[0] + (i[1]/bs)*ist[1] + (i[2]/bs)*ist[2] + (dy*bs+dx)*oc + i[3]
		}, nil)
	}
}

// constMatrix reads a constant int tensor of shape [rows, 2].
func constPairs(n *op.Node, t *op.TensorInfo, rows int, what string) ([][2]int, error) {
	v, err := constInts(n, t, what)
	if err != nil {
		return nil, err
	}
	if len(t.Shape) != 2 || t.Shape[0] != rows || t.Shape[1] != 2 {
		return nil, n.Invalidf("%s has shape %v, want [%d,2]", what, t.Shape, rows)
	}
	out := make([][2]int, rows)
	for i := range out {
		out[i] = [2]int{v[2*i], v[2*i+1]}
		if out[i][0] < 0 || out[i][1] < 0 {
			return nil, n.Invalidf("%s %v is negative", what, out[i])
		}
	}
	return out, nil
}

// prepareSpaceBatch handles SPACE_TO_BATCH_ND (toBatch) and
// BATCH_TO_SPACE_ND over 3-D or 4-D inputs with constant block shape and
// paddings/crops, as TFLite's reference kernels do (padding takes the
// output zero point).
func prepareSpaceBatch(toBatch bool) op.PrepareFunc {
	return func(n *op.Node) (op.Kernel, error) {
		if err := n.CheckArity(3, 3, 1); err != nil {
			return op.Kernel{}, err
		}
		in, out := n.Inputs[0], n.Outputs[0]
		if err := checkMove(n, in, out); err != nil {
			return op.Kernel{}, err
		}
		if !sameQuant(in, out) {
			return op.Kernel{}, n.Errorf("input and output quantization differ")
		}
		shape := in.Shape.Clone()
		if len(shape) == 3 { // [B, H, C] is [B, H, 1, C]
			shape = tensor.Shape{shape[0], shape[1], 1, shape[2]}
		}
		if len(shape) != 4 {
			return op.Kernel{}, n.Errorf("input rank %d is not supported (3 or 4)", len(in.Shape))
		}
		spatial := len(in.Shape) - 2
		block, err := constInts(n, n.Inputs[1], "block shape")
		if err != nil {
			return op.Kernel{}, err
		}
		if len(block) != spatial {
			return op.Kernel{}, n.Invalidf("block shape has %d values for %d spatial dimensions", len(block), spatial)
		}
		pads, err := constPairs(n, n.Inputs[2], spatial, "paddings")
		if err != nil {
			return op.Kernel{}, err
		}
		bh, bw := block[0], 1
		ph, pw := pads[0], [2]int{}
		if spatial == 2 {
			bw, pw = block[1], pads[1]
		}
		if bh < 1 || bw < 1 || bh > 1<<12 || bw > 1<<12 {
			return op.Kernel{}, n.Invalidf("block shape %v", block)
		}
		B, H, W, C := shape[0], shape[1], shape[2], shape[3]
		ist := kshape.Strides(shape)
		var oshape []int
		var src func(i []int) int
		if toBatch {
			hp, wp := H+ph[0]+ph[1], W+pw[0]+pw[1]
			if hp%bh != 0 || wp%bw != 0 {
				return op.Kernel{}, n.Invalidf("padded size %dx%d not divisible by block %dx%d", hp, wp, bh, bw)
			}
			oshape = []int{B * bh * bw, hp / bh, wp / bw, C}
			src = func(i []int) int {
				b := i[0] % B
				sp := i[0] / B
				h := i[1]*bh + sp/bw - ph[0]
				w := i[2]*bw + sp%bw - pw[0]
				if h < 0 || h >= H || w < 0 || w >= W {
					return -1
				}
				return b*ist[0] + h*ist[1] + w*ist[2] + i[3]
			}
		} else {
			if B%(bh*bw) != 0 {
				return op.Kernel{}, n.Invalidf("batch %d not divisible by block %dx%d", B, bh, bw)
			}
			ob := B / (bh * bw)
			oh, ow := H*bh-ph[0]-ph[1], W*bw-pw[0]-pw[1]
			if oh < 0 || ow < 0 {
				return op.Kernel{}, n.Invalidf("crops %v %v exceed %dx%d", ph, pw, H*bh, W*bw)
			}
			oshape = []int{ob, oh, ow, C}
			src = func(i []int) int {
				h, w := i[1]+ph[0], i[2]+pw[0]
				b := ((h%bh)*bw+w%bw)*ob + i[0]
				return b*ist[0] + (h/bh)*ist[1] + (w/bw)*ist[2] + i[3]
			}
		}
		k, err := tableKernel(n, in, out, oshape, src, zeroFill(out))
		if err != nil {
			return op.Kernel{}, err
		}
		if len(in.Shape) == 3 {
			out.Shape = tensor.Shape{oshape[0], oshape[1], oshape[3]}
		}
		return k, nil
	}
}

// prepareMirrorPad pads with the input's own values mirrored: REFLECT
// excludes the edge, SYMMETRIC repeats it (paddings constant).
func prepareMirrorPad(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	if !sameQuant(in, out) {
		return op.Kernel{}, n.Errorf("input and output quantization differ")
	}
	o, err := options[op.MirrorPadOptions](n)
	if err != nil {
		return op.Kernel{}, err
	}
	if o.Mode != 0 && o.Mode != 1 {
		return op.Kernel{}, n.Invalidf("mirror pad mode %d", o.Mode)
	}
	off := 1 // REFLECT
	if o.Mode == 1 {
		off = 0
	}
	pads, err := constPairs(n, n.Inputs[1], len(in.Shape), "paddings")
	if err != nil {
		return op.Kernel{}, err
	}
	dims := in.Shape.Clone()
	oshape := make([]int, len(dims))
	for d, p := range pads {
		if p[0] > dims[d]-off || p[1] > dims[d]-off {
			return op.Kernel{}, n.Invalidf("paddings %v too large for dimension %d of size %d", p, d, dims[d])
		}
		oshape[d] = dims[d] + p[0] + p[1]
	}
	ist := kshape.Strides(dims)
	return tableKernel(n, in, out, oshape, func(idx []int) int {
		s := 0
		for d, i := range idx {
			j := i - pads[d][0]
			if j < 0 {
				j = -j - 1 + off
			} else if j >= dims[d] {
				j = 2*dims[d] - j - 1 - off
			}
			s += j * ist[d]
		}
		return s
	}, nil)
}

// prepareZerosLike writes zeros of the input's shape and dtype.
func prepareZerosLike(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	in, out := n.Inputs[0], n.Outputs[0]
	if err := checkMove(n, in, out); err != nil {
		return op.Kernel{}, err
	}
	if err := setShape(n, out, in.Shape); err != nil {
		return op.Kernel{}, err
	}
	return op.Kernel{Eval: func(_ *op.Exec, _, out []*tensor.Tensor) error {
		clear(out[0].Data)
		return nil
	}}, nil
}

// prepareFill: output of shape dims (constant) filled with the scalar
// value input.
func prepareFill(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	val, out := n.Inputs[1], n.Outputs[0]
	if !isMoveType(val.DType) || out.DType != val.DType {
		return op.Kernel{}, n.Errorf("value dtype %s with output %s is not supported", val.DType, out.DType)
	}
	if val.Shape.Elements() != 1 || len(val.Shape) > 1 {
		return op.Kernel{}, n.Invalidf("value has shape %v, want a scalar", val.Shape)
	}
	if !sameQuant(val, out) {
		return op.Kernel{}, n.Errorf("value and output quantization differ")
	}
	dims, err := constInts(n, n.Inputs[0], "dims")
	if err != nil {
		return op.Kernel{}, err
	}
	if len(dims) > maxRank {
		return op.Kernel{}, n.Errorf("rank %d, at most %d supported", len(dims), maxRank)
	}
	for _, d := range dims {
		if d < 0 {
			return op.Kernel{}, n.Invalidf("dims %v has a negative value", dims)
		}
	}
	if err := setShape(n, out, dims); err != nil {
		return op.Kernel{}, err
	}
	es := val.DType.Size()
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		v, o := in[1].Data[:es], out[0].Data
		for i := 0; i+es <= len(o); i += es {
			copy(o[i:i+es], v)
		}
		return nil
	}}, nil
}

// prepareGatherND: output shape indices[:-1] + params[k:], k =
// indices[-1]; indices may be non-constant, one out of range fails the Run.
func prepareGatherND(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 1); err != nil {
		return op.Kernel{}, err
	}
	params, idx, out := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if err := checkMove(n, params, out); err != nil {
		return op.Kernel{}, err
	}
	if idx.DType != tensor.Int32 && idx.DType != tensor.Int64 {
		return op.Kernel{}, n.Errorf("indices dtype %s not supported (int32 or int64)", idx.DType)
	}
	if err := checkShape(n, idx, "indices", maxRank); err != nil {
		return op.Kernel{}, err
	}
	if !sameQuant(params, out) {
		return op.Kernel{}, n.Errorf("params and output quantization differ")
	}
	ir := len(idx.Shape)
	if ir == 0 {
		return op.Kernel{}, n.Invalidf("indices must have rank at least 1")
	}
	k := idx.Shape[ir-1]
	if k > len(params.Shape) {
		return op.Kernel{}, n.Invalidf("index depth %d exceeds params rank %d", k, len(params.Shape))
	}
	oshape := append(append([]int{}, idx.Shape[:ir-1]...), params.Shape[k:]...)
	if err := setShape(n, out, oshape); err != nil {
		return op.Kernel{}, err
	}
	es := params.DType.Size()
	slice := product(params.Shape, k, len(params.Shape)) * es
	pst := kshape.Strides(params.Shape)
	dims := params.Shape.Clone()
	count := product(idx.Shape, 0, ir-1)
	wide := idx.DType == tensor.Int64
	return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
		src, dst, ix := in[0].Data, out[0].Data, in[1].Data
		for i := range count {
			off := 0
			for j := range k {
				var v int64
				if wide {
					v = int64(binary.LittleEndian.Uint64(ix[8*(i*k+j):]))
				} else {
					v = int64(int32(binary.LittleEndian.Uint32(ix[4*(i*k+j):])))
				}
				if v < 0 || v >= int64(dims[j]) {
					return fmt.Errorf("index %d out of range [0, %d): %w", v, dims[j], op.ErrInput)
				}
				off += int(v) * pst[j]
			}
			copy(dst[i*slice:(i+1)*slice], src[off*es:off*es+slice])
		}
		return nil
	}}, nil
}

// prepareTopK: the k largest values along the last dimension, in
// descending order (equal values: lower index first), and their int32
// indices; k constant.
func prepareTopK(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 2); err != nil {
		return op.Kernel{}, err
	}
	in, vals, idxs := n.Inputs[0], n.Outputs[0], n.Outputs[1]
	if err := checkMove(n, in, vals); err != nil {
		return op.Kernel{}, err
	}
	if in.DType == tensor.Bool {
		return op.Kernel{}, n.Errorf("bool input is not supported")
	}
	if idxs.DType != tensor.Int32 {
		return op.Kernel{}, n.Errorf("indices dtype %s is not supported (int32)", idxs.DType)
	}
	k, err := constScalarInt(n, n.Inputs[1], "k")
	if err != nil {
		return op.Kernel{}, err
	}
	r := len(in.Shape)
	if r == 0 {
		return op.Kernel{}, n.Invalidf("input must have rank at least 1")
	}
	depth := in.Shape[r-1]
	if k < 0 || k > depth {
		return op.Kernel{}, n.Invalidf("k %d outside [0, %d]", k, depth)
	}
	oshape := append(in.Shape[:r-1:r-1], k)
	if err := setShape(n, vals, oshape); err != nil {
		return op.Kernel{}, err
	}
	if err := setShape(n, idxs, oshape); err != nil {
		return op.Kernel{}, err
	}
	rows := product(in.Shape, 0, r-1)
	key := topKKey(in.DType)
	es := in.DType.Size()
	return op.Kernel{
		Scratch: 8 * (k + 1),
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			top := unsafe.Slice((*int)(unsafe.Pointer(unsafe.SliceData(x.Scratch))), k+1)
			src, dv, di := in[0].Data, out[0].Data, out[1].Data
			for row := range rows {
				data := src[row*depth*es : (row+1)*depth*es]
				// Insertion into the sorted top k: a later equal value
				// ranks below the earlier one.
				m := 0
				for i := range depth {
					v := key(data, i)
					if m == k && (k == 0 || !(v > key(data, top[k-1]))) {
						continue
					}
					j := min(m, k-1)
					for j > 0 && v > key(data, top[j-1]) {
						top[j] = top[j-1]
						j--
					}
					top[j] = i
					m = min(m+1, k)
				}
				for j := range k {
					s := top[j]
					copy(dv[(row*k+j)*es:(row*k+j+1)*es], data[s*es:(s+1)*es])
					binary.LittleEndian.PutUint32(di[4*(row*k+j):], uint32(s))
				}
			}
			return nil
		},
	}, nil
}

func topKKey(dt tensor.DType) func(b []byte, i int) float64 {
	switch dt {
	case tensor.Float32:
		return func(b []byte, i int) float64 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case tensor.Int8:
		return func(b []byte, i int) float64 { return float64(int8(b[i])) }
	case tensor.Uint8:
		return func(b []byte, i int) float64 { return float64(b[i]) }
	case tensor.Int16:
		return func(b []byte, i int) float64 { return float64(int16(binary.LittleEndian.Uint16(b[2*i:]))) }
	case tensor.Int32:
		return func(b []byte, i int) float64 { return float64(int32(binary.LittleEndian.Uint32(b[4*i:]))) }
	}
	return func(b []byte, i int) float64 { return float64(int64(binary.LittleEndian.Uint64(b[8*i:]))) }
}
