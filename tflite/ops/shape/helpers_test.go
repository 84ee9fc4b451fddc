package shape_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/ops/shape"
)

// tv is a test tensor: its description and its data.
type tv struct {
	info *op.TensorInfo
	data []byte
}

func enc[T int8 | uint8 | int16 | int32 | int64 | float32](vals []T) []byte {
	var z T
	var size int
	switch any(z).(type) {
	case int8, uint8:
		size = 1
	case int16:
		size = 2
	case int32, float32:
		size = 4
	case int64:
		size = 8
	}
	b := make([]byte, len(vals)*size)
	for i, v := range vals {
		switch x := any(v).(type) {
		case int8:
			b[i] = byte(x)
		case uint8:
			b[i] = x
		case int16:
			binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
		case int32:
			binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
		case float32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		case int64:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
		}
	}
	return b
}

func mk[T int8 | uint8 | int16 | int32 | int64 | float32](dt tensor.DType, shp []int, vals []T) *tv {
	return &tv{info: &op.TensorInfo{DType: dt, Shape: shp}, data: enc(vals)}
}

func f32(shp []int, vals ...float32) *tv { return mk(tensor.Float32, shp, vals) }

// seq returns float32 0, 1, ..., n-1.
func seq(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}

// ci32 is a constant int32 tensor of shape [len(vals)].
func ci32(vals ...int32) *tv {
	t := mk(tensor.Int32, []int{len(vals)}, vals)
	t.info.Const = t.data
	return t
}

// ci64 is a constant int64 tensor of shape [len(vals)].
func ci64(vals ...int64) *tv {
	t := mk(tensor.Int64, []int{len(vals)}, vals)
	t.info.Const = t.data
	return t
}

// quant sets per-tensor quantization on t and returns it.
func quant(t *tv, scale float32, zp int64) *tv {
	t.info.Quant = &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}
	return t
}

func outInfo(dt tensor.DType) *op.TensorInfo { return &op.TensorInfo{DType: dt} }

func qout(dt tensor.DType, scale float32, zp int64) *op.TensorInfo {
	return &op.TensorInfo{DType: dt, Quant: &tensor.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}}
}

func resolver() *op.Resolver {
	r := op.NewResolver()
	shape.Register(r)
	return r
}

// run prepares and evaluates one node and returns its outputs.
func run(t testing.TB, name string, opts any, ins []*tv, outs []*op.TensorInfo) ([]*tensor.Tensor, error) {
	t.Helper()
	return runThreads(t, name, opts, ins, outs, 1)
}

// runThreads is run on an Exec with threads workers and, for threads > 1,
// the kernel's per-Runner state, as a Runner gives it.
func runThreads(t testing.TB, name string, opts any, ins []*tv, outs []*op.TensorInfo, threads int) ([]*tensor.Tensor, error) {
	t.Helper()
	prep, ok := resolver().Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	n := &op.Node{Op: name, Options: opts, Outputs: outs}
	for _, in := range ins {
		if in == nil {
			n.Inputs = append(n.Inputs, nil)
			continue
		}
		n.Inputs = append(n.Inputs, in.info)
	}
	k, err := prep(n)
	if err != nil {
		return nil, err
	}
	var inT []*tensor.Tensor
	for _, in := range ins {
		if in == nil {
			inT = append(inT, nil)
			continue
		}
		inT = append(inT, &tensor.Tensor{DType: in.info.DType, Shape: in.info.Shape, Quant: in.info.Quant, Data: in.data})
	}
	var outT []*tensor.Tensor
	for _, o := range outs {
		ot, err := tensor.New(o.DType, o.Shape)
		if err != nil {
			t.Fatalf("output shape %v: %v", o.Shape, err)
		}
		// Poison the output so that unwritten elements show.
		for i := range ot.Data {
			ot.Data[i] = 0xA5
		}
		ot.Quant = o.Quant
		outT = append(outT, ot)
	}
	x := &op.Exec{Scratch: make([]byte, k.Scratch)}
	if threads > 1 {
		if k.NewState != nil {
			x.State = k.NewState()
		}
		x.SetThreads(threads)
		defer x.Close()
	}
	if err := k.Eval(x, inT, outT); err != nil {
		return outT, err
	}
	return outT, nil
}

func values(t *tensor.Tensor) []float64 {
	n := t.Shape.Elements()
	v := make([]float64, n)
	for i := range v {
		v[i] = t.AsFloat64(i)
	}
	return v
}

func equalF(a []float64, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// wantErr checks err wraps target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("error %v does not wrap %v", err, target)
	}
}
