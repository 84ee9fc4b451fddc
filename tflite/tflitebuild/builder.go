package tflitebuild

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// ErrBuild reports a model description the Builder cannot write, or one
// that Bytes finds inconsistent (a tensor index out of range, data that does
// not match its shape, ...). Every error of this package wraps it.
var ErrBuild = errors.New("tflitebuild: bad model")

// FileIdentifier is the flatbuffer file identifier of TFLite models, stored
// at bytes 4..8 of every file Bytes returns.
const FileIdentifier = "TFL3"

// SchemaVersion is the TFLite schema version written into Model.version.
const SchemaVersion = 3

// Builder describes one TFLite model and writes it as a flatbuffer. It
// starts with one subgraph, the main one (index 0, which signatures
// describe); AddSubgraph adds more for control-flow operators to call.
// Tensor, Op, Inputs and the like act on the current subgraph. Methods record the first error, which Bytes returns; a
// Builder is not safe for concurrent use. The zero Builder is not ready: use
// New.
type Builder struct {
	subs    []subgraphRec
	cur     int      // index of the current subgraph in subs
	buffers [][]byte // buffers[0] is the empty sentinel
	codes   []opcode
	sigs    []signature
	desc    string
	err     error
}

type subgraphRec struct {
	name    string
	tensors []tensorRec
	ops     []operator
	inputs  []int
	outputs []int
}

type tensorRec struct {
	name   string
	dt     tensor.DType
	shape  []int
	sig    []int // shape_signature, nil when absent
	quant  *tensor.Quant
	buffer int
	vari   bool // is_variable
	// sparsity, when set, makes the buffer hold only the stored values.
	sparsity *Sparsity
}

type opcode struct {
	builtin int32
	custom  string
	version int
}

type operator struct {
	name      string
	opcode    int
	inputs    []int
	outputs   []int
	unionType uint8
	options   *table
	custom    []byte
}

type signature struct {
	key     string
	in, out []string
}

// New returns an empty Builder. The model's description defaults to
// "edgeinfer tflitebuild" and its subgraph name to "main".
func New() *Builder {
	return &Builder{buffers: [][]byte{nil}, desc: "edgeinfer tflitebuild", subs: []subgraphRec{{name: "main"}}}
}

// sg returns the current subgraph.
func (b *Builder) sg() *subgraphRec { return &b.subs[b.cur] }

// AddSubgraph appends an empty subgraph named name, makes it the current
// one and returns its index (the index control-flow options refer to).
func (b *Builder) AddSubgraph(name string) int {
	b.subs = append(b.subs, subgraphRec{name: name})
	b.cur = len(b.subs) - 1
	return b.cur
}

// SetSubgraph makes subgraph i the current one.
func (b *Builder) SetSubgraph(i int) {
	if i < 0 || i >= len(b.subs) {
		b.fail("SetSubgraph: subgraph %d of %d", i, len(b.subs))
		return
	}
	b.cur = i
}

func (b *Builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("%w: %s", ErrBuild, fmt.Sprintf(format, args...))
	}
}

// Err returns the first error recorded so far.
func (b *Builder) Err() error { return b.err }

// Description sets the model's description string.
func (b *Builder) Description(s string) { b.desc = s }

// SubgraphName sets the name of the current subgraph.
func (b *Builder) SubgraphName(s string) { b.sg().name = s }

// Tensor adds a tensor and returns its index. shape is the static shape
// (use 1 for a dynamic batch dimension and declare it with ShapeSignature).
// quant may be nil. data is the constant content (little-endian, C order,
// len = elements × dtype size), copied into a buffer of its own; nil makes
// an activation tensor (buffer 0).
func (b *Builder) Tensor(name string, dt tensor.DType, shape []int, quant *tensor.Quant, data []byte) int {
	if _, ok := tensorType(dt); !ok {
		b.fail("tensor %q: dtype %s has no TFLite tensor type", name, dt)
	}
	t := tensorRec{name: name, dt: dt, shape: slices.Clone(shape)}
	if t.shape == nil {
		t.shape = []int{}
	}
	if quant != nil {
		q := &tensor.Quant{Scale: slices.Clone(quant.Scale), ZeroPoint: slices.Clone(quant.ZeroPoint), Axis: quant.Axis}
		t.quant = q
	}
	if data != nil {
		t.buffer = len(b.buffers)
		b.buffers = append(b.buffers, slices.Clone(data))
	}
	b.sg().tensors = append(b.sg().tensors, t)
	return len(b.sg().tensors) - 1
}

// Const adds a constant tensor whose data is values encoded with Encode
// (float32, int8, uint8, int16, int32, int64 or bool slices) and returns its
// index. The dtype follows from the slice type.
func (b *Builder) Const(name string, shape []int, quant *tensor.Quant, values any) int {
	dt, data, err := Encode(values)
	if err != nil {
		b.fail("tensor %q: %v", name, err)
		return b.Tensor(name, tensor.Float32, shape, quant, nil)
	}
	return b.Tensor(name, dt, shape, quant, data)
}

// ShapeSignature sets tensor t's shape_signature: the shape with -1 for
// each dynamic dimension (a dynamic batch is -1 in position 0).
func (b *Builder) ShapeSignature(t int, sig []int) {
	if t < 0 || t >= len(b.sg().tensors) {
		b.fail("ShapeSignature: tensor %d of %d", t, len(b.sg().tensors))
		return
	}
	b.sg().tensors[t].sig = slices.Clone(sig)
	if b.sg().tensors[t].sig == nil {
		b.sg().tensors[t].sig = []int{}
	}
}

// Variable marks tensor t as a variable tensor (is_variable): state that
// operators such as UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF read and write in
// place. It must be an activation (no data).
func (b *Builder) Variable(t int) {
	if t < 0 || t >= len(b.sg().tensors) {
		b.fail("Variable: tensor %d of %d", t, len(b.sg().tensors))
		return
	}
	if b.sg().tensors[t].buffer != 0 {
		b.fail("Variable: tensor %d %q has constant data", t, b.sg().tensors[t].name)
		return
	}
	b.sg().tensors[t].vari = true
}

// Op appends a builtin operator (version 1) to the execution order and
// returns its index. name is the schema's BuiltinOperator name ("CONV_2D").
// An input of -1 is an absent optional input. options is nil or the op's
// options from package op (pointer or value): *op.Conv2DOptions for CONV_2D,
// *op.ArithOptions for ADD/SUB/MUL/DIV, *op.Pool2DOptions for the pools,
// *op.ReducerOptions for MEAN/SUM/REDUCE_*, and so on; every field is
// written, defaults included.
func (b *Builder) Op(name string, inputs, outputs []int, options any) int {
	return b.OpVersion(name, 1, inputs, outputs, options)
}

// OpVersion is Op with an explicit operator version.
func (b *Builder) OpVersion(name string, version int, inputs, outputs []int, options any) int {
	code, ok := builtinCode(name)
	if !ok {
		b.fail("unknown builtin operator %q", name)
	}
	ut, opts, err := encodeOptions(name, options)
	if err != nil && b.err == nil {
		b.err = err
	}
	return b.addOp(operator{name: name, inputs: slices.Clone(inputs), outputs: slices.Clone(outputs), unionType: ut, options: opts},
		opcode{builtin: code, version: version})
}

// CustomOp appends a custom operator with the given custom code and raw
// custom options (may be nil) and returns its index.
func (b *Builder) CustomOp(code string, inputs, outputs []int, customOptions []byte) int {
	return b.CustomOpVersion(code, 1, inputs, outputs, customOptions)
}

// CustomOpVersion is CustomOp with an explicit operator version.
func (b *Builder) CustomOpVersion(code string, version int, inputs, outputs []int, customOptions []byte) int {
	if code == "" {
		b.fail("custom operator with an empty code")
	}
	return b.addOp(operator{name: "CUSTOM:" + code, inputs: slices.Clone(inputs), outputs: slices.Clone(outputs), custom: slices.Clone(customOptions)},
		opcode{builtin: 32, custom: code, version: version})
}

func (b *Builder) addOp(o operator, c opcode) int {
	o.opcode = slices.Index(b.codes, c)
	if o.opcode < 0 {
		o.opcode = len(b.codes)
		b.codes = append(b.codes, c)
	}
	b.sg().ops = append(b.sg().ops, o)
	return len(b.sg().ops) - 1
}

// Inputs sets the subgraph's input tensors, in order.
func (b *Builder) Inputs(ts ...int) { b.sg().inputs = slices.Clone(ts) }

// Outputs sets the subgraph's output tensors, in order.
func (b *Builder) Outputs(ts ...int) { b.sg().outputs = slices.Clone(ts) }

// Signature adds a signature def for the subgraph: inputNames[i] names the
// i-th subgraph input (as set by Inputs) and outputNames[i] the i-th output.
// Bytes checks that the counts match. TFLite converters name the default
// signature "serving_default".
func (b *Builder) Signature(key string, inputNames, outputNames []string) {
	b.sigs = append(b.sigs, signature{key: key, in: slices.Clone(inputNames), out: slices.Clone(outputNames)})
}

// Bytes checks the model for consistency (indices in range, data lengths,
// shapes, signatures) and returns its flatbuffer. The same description
// always gives the same bytes.
func (b *Builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	return b.encode(), nil
}

// UncheckedBytes returns the flatbuffer without Bytes's consistency checks,
// so that tests can write well-formed flatbuffers of invalid models (an
// index out of range, data of the wrong length, no inputs). It still fails
// on what cannot be encoded at all: an unknown operator name, options of the
// wrong type, a dtype with no TFLite type.
func (b *Builder) UncheckedBytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.encode(), nil
}

// check validates the description.
func (b *Builder) check() error {
	cur := b.cur
	defer func() { b.cur = cur }()
	for i := range b.subs {
		b.cur = i
		if err := b.checkSubgraph(); err != nil {
			if len(b.subs) > 1 {
				return fmt.Errorf("subgraph %d: %w", i, err)
			}
			return err
		}
	}
	b.cur = 0
	for _, s := range b.sigs {
		if s.key == "" {
			return fmt.Errorf("%w: signature with an empty key", ErrBuild)
		}
		if len(s.in) != len(b.sg().inputs) || len(s.out) != len(b.sg().outputs) {
			return fmt.Errorf("%w: signature %q names %d inputs and %d outputs; the subgraph has %d and %d", ErrBuild, s.key, len(s.in), len(s.out), len(b.sg().inputs), len(b.sg().outputs))
		}
		for _, names := range [][]string{s.in, s.out} {
			for k, n := range names {
				if n == "" || slices.Contains(names[:k], n) {
					return fmt.Errorf("%w: signature %q: names must be non-empty and unique, got %q", ErrBuild, s.key, names)
				}
			}
		}
	}
	return nil
}

// checkSubgraph validates the current subgraph.
func (b *Builder) checkSubgraph() error {
	nt := len(b.sg().tensors)
	for i, t := range b.sg().tensors {
		for _, d := range t.shape {
			if d < 0 || d > math.MaxInt32 {
				return fmt.Errorf("%w: tensor %d %q: shape %v has a dimension outside [0, 2^31) (declare dynamic ones with ShapeSignature)", ErrBuild, i, t.name, t.shape)
			}
		}
		n, err := tensor.Shape(t.shape).NumElements()
		if err != nil {
			return fmt.Errorf("%w: tensor %d %q: %w", ErrBuild, i, t.name, err)
		}
		if t.sig != nil {
			if len(t.sig) != len(t.shape) {
				return fmt.Errorf("%w: tensor %d %q: shape signature %v has rank %d, shape %v has rank %d", ErrBuild, i, t.name, t.sig, len(t.sig), t.shape, len(t.shape))
			}
			for k, d := range t.sig {
				if d != -1 && d != t.shape[k] {
					return fmt.Errorf("%w: tensor %d %q: shape signature %v disagrees with shape %v", ErrBuild, i, t.name, t.sig, t.shape)
				}
			}
		}
		if t.buffer != 0 && t.dt.Size() > 0 && t.sparsity == nil && len(b.buffers[t.buffer]) != n*t.dt.Size() {
			return fmt.Errorf("%w: tensor %d %q: %s%v needs %d bytes of data, got %d", ErrBuild, i, t.name, t.dt, t.shape, n*t.dt.Size(), len(b.buffers[t.buffer]))
		}
		if q := t.quant; q != nil {
			if len(q.ZeroPoint) != 0 && len(q.ZeroPoint) != len(q.Scale) {
				return fmt.Errorf("%w: tensor %d %q: %d scales but %d zero points", ErrBuild, i, t.name, len(q.Scale), len(q.ZeroPoint))
			}
			if len(q.Scale) > 1 && (q.Axis < 0 || q.Axis >= len(t.shape) || t.shape[q.Axis] != len(q.Scale)) {
				return fmt.Errorf("%w: tensor %d %q: %d per-channel scales along axis %d of shape %v", ErrBuild, i, t.name, len(q.Scale), q.Axis, t.shape)
			}
		}
	}
	in := func(list []int, what string, optional bool) error {
		for _, ti := range list {
			if optional && ti == -1 {
				continue
			}
			if ti < 0 || ti >= nt {
				return fmt.Errorf("%w: %s refers to tensor %d of %d", ErrBuild, what, ti, nt)
			}
		}
		return nil
	}
	if b.cur == 0 && (len(b.sg().inputs) == 0 || len(b.sg().outputs) == 0) {
		return fmt.Errorf("%w: the subgraph needs at least one input and one output (call Inputs and Outputs)", ErrBuild)
	}
	if err := in(b.sg().inputs, "subgraph input", false); err != nil {
		return err
	}
	if err := in(b.sg().outputs, "subgraph output", false); err != nil {
		return err
	}
	for i, o := range b.sg().ops {
		if err := in(o.inputs, fmt.Sprintf("op %d (%s) input", i, o.name), true); err != nil {
			return err
		}
		if err := in(o.outputs, fmt.Sprintf("op %d (%s) output", i, o.name), false); err != nil {
			return err
		}
	}
	return nil
}

// encode serialises the model. Field slots follow schema.fbs (v3).
func (b *Builder) encode() []byte {
	codes := make(tables, len(b.codes))
	for i, c := range b.codes {
		t := &table{}
		t.u8(0, uint8(int8(min(c.builtin, 127)))) // deprecated_builtin_code
		if c.custom != "" {
			t.ref(1, str(c.custom))
		}
		t.i32(2, int32(c.version)).i32(3, c.builtin)
		codes[i] = t
	}

	subgraphs := make(tables, len(b.subs))
	cur := b.cur
	for i := range b.subs {
		b.cur = i
		subgraphs[i] = b.encodeSubgraph()
	}
	b.cur = 0
	var sigs tables
	for _, s := range b.sigs {
		maps := func(names []string, idx []int) tables {
			out := make(tables, len(names))
			for k, n := range names {
				ti := -1
				if k < len(idx) {
					ti = idx[k]
				}
				out[k] = (&table{}).ref(0, str(n)).i32(1, int32(ti))
			}
			return out
		}
		sigs = append(sigs, (&table{}).ref(0, maps(s.in, b.sg().inputs)).ref(1, maps(s.out, b.sg().outputs)).ref(2, str(s.key)).i32(4, 0))
	}

	b.cur = cur
	bufs := make(tables, len(b.buffers))
	for i, d := range b.buffers {
		t := &table{}
		if len(d) > 0 {
			t.ref(0, bytesVec(d))
		}
		bufs[i] = t
	}

	model := (&table{}).i32(0, SchemaVersion).ref(1, codes).ref(2, subgraphs).ref(3, str(b.desc))
	if len(sigs) > 0 {
		model.ref(7, sigs)
	}
	model.ref(4, bufs) // last, so that the weights end the file
	hint := 4096
	for _, sg := range b.subs {
		hint += 256 * (len(sg.tensors) + len(sg.ops))
	}
	for _, d := range b.buffers {
		hint += len(d) + 32
	}
	return finish(model, FileIdentifier, hint)
}

// encodeSubgraph serialises the current subgraph.
func (b *Builder) encodeSubgraph() *table {
	ts := make(tables, len(b.sg().tensors))
	for i, x := range b.sg().tensors {
		tt, _ := tensorType(x.dt)
		t := (&table{}).ref(0, intsVec(x.shape)).u8(1, tt).i32(2, int32(x.buffer)).ref(3, str(x.name))
		if q := x.quant; q != nil {
			qt := &table{}
			qt.ref(2, float32s(q.Scale)).ref(3, int64s(q.ZeroPoint)).i32(6, int32(q.Axis))
			t.ref(4, qt)
		}
		if x.vari {
			t.boolean(5, true)
		}
		if x.sig != nil {
			t.ref(7, intsVec(x.sig))
		}
		if x.sparsity != nil {
			t.ref(6, x.sparsity.encode())
		}
		ts[i] = t
	}

	ops := make(tables, len(b.sg().ops))
	for i, o := range b.sg().ops {
		t := (&table{}).i32(0, int32(o.opcode)).ref(1, intsVec(o.inputs)).ref(2, intsVec(o.outputs))
		if o.options != nil {
			t.u8(3, o.unionType).ref(4, o.options)
		}
		if o.custom != nil {
			t.ref(5, scalars{data: o.custom, elem: 1, align: 4})
		}
		ops[i] = t
	}

	return (&table{}).ref(0, ts).ref(1, intsVec(b.sg().inputs)).ref(2, intsVec(b.sg().outputs)).ref(3, ops).ref(4, str(b.sg().name))
}

// tensorType maps a dtype to the schema's TensorType.
func tensorType(dt tensor.DType) (uint8, bool) {
	switch dt {
	case tensor.Float32:
		return 0, true
	case tensor.Float16:
		return 1, true
	case tensor.Int32:
		return 2, true
	case tensor.Uint8:
		return 3, true
	case tensor.Int64:
		return 4, true
	case tensor.String:
		return 5, true
	case tensor.Bool:
		return 6, true
	case tensor.Int16:
		return 7, true
	case tensor.Complex64:
		return 8, true
	case tensor.Int8:
		return 9, true
	case tensor.Float64:
		return 10, true
	case tensor.Uint64:
		return 12, true
	case tensor.Resource:
		return 13, true
	case tensor.Uint32:
		return 15, true
	case tensor.Uint16:
		return 16, true
	}
	return 0, false
}

// Encode converts a slice of float32, float64, int8, uint8, int16, int32,
// int64 or bool values into little-endian tensor bytes and their dtype.
func Encode(values any) (tensor.DType, []byte, error) {
	switch v := values.(type) {
	case []float32:
		out := make([]byte, 0, 4*len(v))
		for _, x := range v {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
		}
		return tensor.Float32, out, nil
	case []float64:
		out := make([]byte, 0, 8*len(v))
		for _, x := range v {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(x))
		}
		return tensor.Float64, out, nil
	case []int8:
		out := make([]byte, len(v))
		for i, x := range v {
			out[i] = byte(x)
		}
		return tensor.Int8, out, nil
	case []uint8:
		return tensor.Uint8, slices.Clone(v), nil
	case []int16:
		out := make([]byte, 0, 2*len(v))
		for _, x := range v {
			out = binary.LittleEndian.AppendUint16(out, uint16(x))
		}
		return tensor.Int16, out, nil
	case []int32:
		out := make([]byte, 0, 4*len(v))
		for _, x := range v {
			out = binary.LittleEndian.AppendUint32(out, uint32(x))
		}
		return tensor.Int32, out, nil
	case []int64:
		out := make([]byte, 0, 8*len(v))
		for _, x := range v {
			out = binary.LittleEndian.AppendUint64(out, uint64(x))
		}
		return tensor.Int64, out, nil
	case []bool:
		out := make([]byte, len(v))
		for i, x := range v {
			if x {
				out[i] = 1
			}
		}
		return tensor.Bool, out, nil
	}
	return tensor.Invalid, nil, fmt.Errorf("%w: cannot encode %T as tensor data", ErrBuild, values)
}
