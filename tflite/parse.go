package tflite

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Structural limits. They bound what a file can make the loader allocate
// beyond its own size.
const (
	maxRank      = 8
	maxTensors   = 1 << 20
	maxOperators = 1 << 20
	maxSubgraphs = 1 << 10
)

// fileTensor is a tensor as the file declares it.
type fileTensor struct {
	info      op.TensorInfo
	signature []int // shape_signature, nil when absent
}

// fileOp is an operator as the file declares it.
type fileOp struct {
	name    string
	version int
	inputs  []int // -1 for an absent optional input
	outputs []int
	options any
	folded  bool   // computed at load (foldConstants): runs no kernel
	custom  []byte // custom_options of a CUSTOM operator (nil when absent)
}

// subgraph is one validated subgraph of a model file.
type subgraph struct {
	index   int // position in the file's subgraph list
	name    string
	tensors []fileTensor
	ops     []fileOp
	inputs  []int
	outputs []int
	// err is why the subgraph could not be parsed (an unsupported tensor
	// type, ...): an error only when an operator calls the subgraph.
	err error
}

// parsed is the validated content of a model file. The embedded subgraph
// is the one the signature (or, without one, subgraph 0) names; the others
// run only when a control-flow operator calls them.
type parsed struct {
	data []byte // the file, as given to parse
	*subgraph
	description string
	sigKey      string
	inNames     []string
	outNames    []string
	subgraphs   []*subgraph // every subgraph, in file order
	main        int         // index of the embedded subgraph in subgraphs
}

// tensorTypes maps schema TensorType values to dtypes the engine knows.
var tensorTypes = map[uint8]tensor.DType{
	0: tensor.Float32, 1: tensor.Float16, 2: tensor.Int32, 3: tensor.Uint8,
	4: tensor.Int64, 5: tensor.String, 6: tensor.Bool, 7: tensor.Int16,
	8: tensor.Complex64, 9: tensor.Int8, 10: tensor.Float64, 12: tensor.Uint64,
	13: tensor.Resource, 15: tensor.Uint32, 16: tensor.Uint16,
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidModel, fmt.Sprintf(format, args...))
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// parse validates a model file and extracts the subgraph to run.
func parse(data []byte) (*parsed, error) {
	if len(data) < 8 {
		return nil, invalid("file is %d bytes, too short for a flatbuffer", len(data))
	}
	if uint64(len(data)) >= math.MaxUint32 {
		return nil, unsupported("file is %d bytes; files over 4 GiB are not supported", len(data))
	}
	if id := string(data[4:8]); id != "TFL3" {
		return nil, invalid("file identifier is %q, want \"TFL3\" (not a TensorFlow Lite model?)", id)
	}
	r := &fb{b: data}
	root := r.tableAt(r.u32(0, "root offset"), "model")
	if r.err != nil {
		return nil, invalid("%v", r.err)
	}
	if v := r.getU32(root, 0, 0, "model version"); v != 3 {
		return nil, unsupported("schema version %d (want 3)", v)
	}
	p := &parsed{data: data, description: r.getString(root, 3, "description")}

	// Operator codes.
	codes := r.getVec(root, 1, 4, "operator_codes")
	opNames := make([]string, codes.n)
	opVersions := make([]int, codes.n)
	for i := uint32(0); i < codes.n && r.err == nil; i++ {
		t := r.vecTable(codes, i, "operator code")
		code := int32(int8(r.getU8(t, 0, 0, "deprecated_builtin_code")))
		if c := r.getI32(t, 3, 0, "builtin_code"); c > code {
			code = c
		}
		custom := r.getString(t, 1, "custom_code")
		opVersions[i] = int(r.getI32(t, 2, 1, "version"))
		switch {
		case code == 32 || custom != "":
			opNames[i] = "CUSTOM:" + custom
		case code < 0 || int(code) >= len(builtinNames) || builtinNames[code] == "":
			opNames[i] = fmt.Sprintf("BUILTIN_%d", code)
		default:
			opNames[i] = builtinNames[code]
		}
	}

	// Buffers.
	bufs := r.getVec(root, 4, 4, "buffers")
	buffers := make([][]byte, bufs.n)
	for i := uint32(0); i < bufs.n && r.err == nil; i++ {
		t := r.vecTable(bufs, i, "buffer")
		buffers[i] = r.getBytes(t, 0, "buffer data")
		off, size := r.getU64(t, 1, 0, "buffer offset"), r.getU64(t, 2, 0, "buffer size")
		if off > 1 && r.err == nil {
			if off+size < off || off+size > uint64(len(data)) {
				return nil, invalid("buffer %d: offset %d + size %d outside the %d-byte file", i, off, size, len(data))
			}
			buffers[i] = data[off : off+size : off+size]
		}
	}
	if r.err != nil {
		return nil, invalid("%v", r.err)
	}

	// Signature: which subgraph, and the public names of its inputs/outputs.
	subgraphIndex := uint32(0)
	sigs := r.getVec(root, 7, 4, "signature_defs")
	var sigIn, sigOut map[int]string
	if sigs.n > 0 {
		t := r.vecTable(sigs, 0, "signature def")
		p.sigKey = r.getString(t, 2, "signature key")
		subgraphIndex = r.getU32(t, 4, 0, "signature subgraph index")
		sigIn = tensorMaps(r, r.getVec(t, 0, 4, "signature inputs"))
		sigOut = tensorMaps(r, r.getVec(t, 1, 4, "signature outputs"))
	}
	subgraphs := r.getVec(root, 2, 4, "subgraphs")
	if r.err != nil {
		return nil, invalid("%v", r.err)
	}
	if subgraphs.n == 0 {
		return nil, invalid("model has no subgraphs")
	}
	if subgraphs.n > maxSubgraphs {
		return nil, unsupported("%d subgraphs (limit %d)", subgraphs.n, maxSubgraphs)
	}
	if subgraphIndex >= subgraphs.n {
		return nil, invalid("signature refers to subgraph %d of %d", subgraphIndex, subgraphs.n)
	}
	codeInfo := opcodes{names: opNames, versions: opVersions}
	p.subgraphs = make([]*subgraph, subgraphs.n)
	for i := range p.subgraphs {
		sg, err := parseSubgraph(r, r.vecTable(subgraphs, uint32(i), "subgraph"), buffers, codeInfo)
		if err != nil {
			if uint32(i) == subgraphIndex {
				return nil, err
			}
			// Another subgraph is an error only if an operator calls it.
			sg = &subgraph{err: err}
		}
		sg.index = i
		p.subgraphs[i] = sg
	}
	p.main = int(subgraphIndex)
	p.subgraph = p.subgraphs[p.main]
	if len(p.inputs) == 0 || len(p.outputs) == 0 {
		return nil, invalid("subgraph has %d inputs and %d outputs; want at least one of each", len(p.inputs), len(p.outputs))
	}

	// Public names: the signature's when present, else tensor names.
	names := func(list []int, sig map[int]string) ([]string, error) {
		out := make([]string, len(list))
		seen := map[string]bool{}
		for i, ti := range list {
			n, ok := sig[ti]
			if !ok {
				n = p.tensors[ti].info.Name
			}
			if n == "" || seen[n] {
				n = fmt.Sprintf("%s_%d", n, i)
				if n[0] == '_' {
					n = "tensor" + n
				}
			}
			seen[n] = true
			out[i] = n
		}
		return out, nil
	}
	p.inNames, _ = names(p.inputs, sigIn)
	p.outNames, _ = names(p.outputs, sigOut)
	return p, nil
}

type opcodes struct {
	names    []string
	versions []int
}

// parseSubgraph validates one subgraph: its tensors, inputs, outputs and
// operators (every index in range).
func parseSubgraph(r *fb, sg table, buffers [][]byte, codes opcodes) (*subgraph, error) {
	p := &subgraph{name: r.getString(sg, 4, "subgraph name")}
	tv := r.getVec(sg, 0, 4, "tensors")
	if tv.n > maxTensors {
		return nil, unsupported("%d tensors (limit %d)", tv.n, maxTensors)
	}
	p.tensors = make([]fileTensor, tv.n)
	for i := uint32(0); i < tv.n && r.err == nil; i++ {
		if err := parseTensor(r, r.vecTable(tv, i, "tensor"), int(i), buffers, &p.tensors[i]); err != nil {
			return nil, err
		}
	}
	if r.err != nil {
		return nil, invalid("%v", r.err)
	}
	nt := len(p.tensors)
	idx := func(v int32, what string, optional bool) (int, error) {
		if optional && v == -1 {
			return -1, nil
		}
		if v < 0 || int(v) >= nt {
			return 0, invalid("%s refers to tensor %d of %d", what, v, nt)
		}
		return int(v), nil
	}
	indices := func(t table, slot int, what string, optional bool) ([]int, error) {
		raw := r.getI32s(t, slot, what)
		out := make([]int, len(raw))
		for i, v := range raw {
			var err error
			if out[i], err = idx(v, what, optional); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	var err error
	if p.inputs, err = indices(sg, 1, "subgraph input", false); err != nil {
		return nil, err
	}
	if p.outputs, err = indices(sg, 2, "subgraph output", false); err != nil {
		return nil, err
	}
	for _, ti := range p.inputs {
		if p.tensors[ti].info.Variable {
			return nil, invalid("subgraph input %d (%q) is a variable tensor", ti, p.tensors[ti].info.Name)
		}
	}

	// Operators.
	ov := r.getVec(sg, 3, 4, "operators")
	if ov.n > maxOperators {
		return nil, unsupported("%d operators (limit %d)", ov.n, maxOperators)
	}
	p.ops = make([]fileOp, ov.n)
	for i := uint32(0); i < ov.n && r.err == nil; i++ {
		t := r.vecTable(ov, i, "operator")
		o := &p.ops[i]
		oc := r.getU32(t, 0, 0, "opcode index")
		if r.err != nil {
			// A failed read returns zero, which is not an index to trust.
			return nil, invalid("%v", r.err)
		}
		if oc >= uint32(len(codes.names)) {
			return nil, invalid("operator %d uses opcode %d of %d", i, oc, len(codes.names))
		}
		o.name, o.version = codes.names[oc], codes.versions[oc]
		where := fmt.Sprintf("op %d (%s) input", i, o.name)
		if o.inputs, err = indices(t, 1, where, true); err != nil {
			return nil, err
		}
		if o.outputs, err = indices(t, 2, fmt.Sprintf("op %d (%s) output", i, o.name), false); err != nil {
			return nil, err
		}
		if dec, ok := optionDecoders[o.name]; ok {
			ut := r.getU8(t, 3, 0, "builtin options type")
			if ut != 0 && ut != dec.union {
				return nil, invalid("op %d (%s): options of type %d, want %d", i, o.name, ut, dec.union)
			}
			if ot := r.getTable(t, 4, "builtin options"); ot.ok && ut != 0 {
				o.options = dec.decode(r, ot)
			}
		}
		if strings.HasPrefix(o.name, "CUSTOM:") {
			o.custom = r.getBytes(t, 5, "custom options")
		}
	}
	if r.err != nil {
		return nil, invalid("%v", r.err)
	}
	return p, nil
}

// tensorMaps reads a signature's TensorMap vector into index → name.
func tensorMaps(r *fb, v vec) map[int]string {
	m := make(map[int]string, v.n)
	for i := uint32(0); i < v.n && r.err == nil; i++ {
		t := r.vecTable(v, i, "signature tensor")
		m[int(r.getU32(t, 1, 0, "tensor index"))] = r.getString(t, 0, "signature name")
	}
	return m
}

func parseTensor(r *fb, t table, i int, buffers [][]byte, out *fileTensor) error {
	info := &out.info
	info.Index = i
	info.Name = r.getString(t, 3, "tensor name")
	what := fmt.Sprintf("tensor %d (%q)", i, info.Name)
	tt := r.getU8(t, 1, 0, "tensor type")
	dt, ok := tensorTypes[tt]
	if r.err != nil {
		return invalid("%s: %v", what, r.err)
	}
	if !ok {
		return unsupported("%s: tensor type %d", what, tt)
	}
	info.DType = dt
	shape := r.getI32s(t, 0, "tensor shape")
	if len(shape) > maxRank {
		return unsupported("%s: rank %d (limit %d)", what, len(shape), maxRank)
	}
	info.Shape = make(tensor.Shape, len(shape))
	for k, d := range shape {
		if d < 0 {
			return invalid("%s: negative dimension %d in shape %v", what, d, shape)
		}
		info.Shape[k] = int(d)
	}
	n, err := info.Shape.NumElements()
	if err != nil {
		return invalid("%s: %v", what, err)
	}
	if sig := r.getI32s(t, 7, "shape signature"); sig != nil {
		if len(sig) != len(shape) {
			return invalid("%s: shape signature %v has a different rank from shape %v", what, sig, shape)
		}
		out.signature = make([]int, len(sig))
		for k, d := range sig {
			if d < -1 || (d >= 0 && int(d) != info.Shape[k]) {
				return invalid("%s: shape signature %v disagrees with shape %v", what, sig, shape)
			}
			out.signature[k] = int(d)
		}
	}
	sparsity := r.getTable(t, 6, "sparsity")
	info.Variable = r.getU8(t, 5, 0, "is_variable") != 0
	if q := r.getTable(t, 4, "quantization"); q.ok {
		if info.Quant, err = parseQuant(r, q, info, what); err != nil {
			return err
		}
	}
	b := r.getU32(t, 2, 0, "tensor buffer")
	if r.err != nil {
		return invalid("%s: %v", what, r.err)
	}
	if sparsity.ok && (b == 0 || int(b) >= len(buffers) || len(buffers[b]) == 0) {
		return unsupported("%s: sparse tensors without constant data", what)
	}
	if int(b) >= len(buffers) && !(b == 0 && len(buffers) == 0) {
		return invalid("%s: buffer %d of %d", what, b, len(buffers))
	}
	// A variable tensor's buffer, if any, is ignored: TFLite Micro
	// allocates variables in its arena and resets them to zero (the zero
	// point for int8) whatever the file holds.
	if b != 0 && len(buffers[b]) > 0 && !info.Variable {
		if dt == tensor.String {
			return unsupported("%s: constant string tensors", what)
		}
		if sparsity.ok {
			info.Const, err = densify(r, sparsity, info, buffers[b], what)
			return err
		}
		want := n * dt.Size()
		if len(buffers[b]) != want {
			return invalid("%s: buffer %d holds %d bytes, shape %v of %s needs %d", what, b, len(buffers[b]), info.Shape, dt, want)
		}
		info.Const = aligned(buffers[b], dt.Size())
	}
	return nil
}

// aligned returns b, or a copy of it when b is not aligned for elements of
// the given size.
func aligned(b []byte, size int) []byte {
	if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%uintptr(size) == 0 {
		return b
	}
	c := make([]byte, len(b), len(b)+8)
	copy(c, b)
	return c
}

func parseQuant(r *fb, t table, info *op.TensorInfo, what string) (*tensor.Quant, error) {
	sv := r.getVec(t, 2, 4, "quantization scale")
	zv := r.getVec(t, 3, 8, "quantization zero point")
	axis := int(r.getI32(t, 6, 0, "quantized dimension"))
	if r.getU8(t, 4, 0, "quantization details type") != 0 {
		return nil, unsupported("%s: custom quantization details", what)
	}
	if r.err != nil {
		return nil, invalid("%s: %v", what, r.err)
	}
	if sv.n == 0 && zv.n == 0 {
		return nil, nil // min/max only: not quantized for our purposes
	}
	if sv.n == 0 || (zv.n != sv.n && zv.n != 0) {
		return nil, invalid("%s: %d scales and %d zero points", what, sv.n, zv.n)
	}
	q := &tensor.Quant{Scale: make([]float32, sv.n), ZeroPoint: make([]int64, sv.n), Axis: axis}
	if sv.n > 1 {
		if len(info.Shape) == 1 && axis != 0 && int(sv.n) == info.Shape[0] {
			// Converters copy the filter's quantized dimension onto 1-D
			// biases; the only axis a vector has is 0.
			axis = 0
			q.Axis = 0
		}
		if axis < 0 || axis >= len(info.Shape) {
			return nil, invalid("%s: quantized dimension %d outside rank %d", what, axis, len(info.Shape))
		}
		if int(sv.n) != info.Shape[axis] {
			return nil, invalid("%s: %d per-channel scales for dimension %d of size %d", what, sv.n, axis, info.Shape[axis])
		}
	}
	lo, hi, isInt := op.IntRange(info.DType)
	for i := uint32(0); i < sv.n; i++ {
		s := r.vecF32(sv, i)
		if !(s >= 0) || math.IsInf(float64(s), 0) {
			return nil, invalid("%s: quantization scale %v", what, s)
		}
		q.Scale[i] = s
		if zv.n > 0 {
			z := r.vecI64(zv, i)
			if isInt && (z < int64(lo) || z > int64(hi)) {
				return nil, invalid("%s: zero point %d outside the range of %s", what, z, info.DType)
			}
			q.ZeroPoint[i] = z
		}
	}
	return q, nil
}
