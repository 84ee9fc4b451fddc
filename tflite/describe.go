package tflite

import (
	"github.com/edgeinfer/edgeinfer/tensor"
)

// Description is what a model file declares, read and validated without
// preparing any operator: it works for models the engine cannot run.
type Description struct {
	Description string
	Signature   string
	Inputs      []TensorSpec
	Outputs     []TensorSpec
	Operators   []OperatorInfo
	Tensors     []TensorDesc
}

// TensorDesc describes one tensor of a model file.
type TensorDesc struct {
	Index      int
	Name       string
	DType      tensor.DType
	Shape      tensor.Shape // shape signature when the file has one (-1 = dynamic)
	Quant      *tensor.Quant
	ConstBytes int // bytes of constant data, 0 for activations
}

// OperatorInfo describes one operator of a model file.
type OperatorInfo struct {
	Index     int
	Op        string
	Version   int
	Supported bool // the builtin resolver implements this operator name
	Inputs    []int
	Outputs   []int
}

// Describe parses and validates data as a model file and reports what it
// declares. It does not prepare operators, so it also describes models that
// Load rejects as unsupported.
func Describe(data []byte) (*Description, error) {
	f, err := parse(data)
	if err != nil {
		return nil, err
	}
	res := BuiltinResolver()
	d := &Description{Description: f.description, Signature: f.sigKey}
	spec := func(ti int, name string) TensorSpec {
		t := f.tensors[ti]
		shape := t.info.Shape.Clone()
		if t.signature != nil {
			shape = tensor.Shape(append([]int(nil), t.signature...))
		}
		return TensorSpec{Name: name, DType: t.info.DType, Shape: shape, Quant: t.info.Quant}
	}
	for i, t := range f.tensors {
		s := spec(i, t.info.Name)
		d.Tensors = append(d.Tensors, TensorDesc{Index: i, Name: s.Name, DType: s.DType, Shape: s.Shape, Quant: s.Quant, ConstBytes: len(t.info.Const)})
	}
	for i, ti := range f.inputs {
		d.Inputs = append(d.Inputs, spec(ti, f.inNames[i]))
	}
	for i, ti := range f.outputs {
		d.Outputs = append(d.Outputs, spec(ti, f.outNames[i]))
	}
	for i, o := range f.ops {
		_, ok := res.Lookup(o.name)
		d.Operators = append(d.Operators, OperatorInfo{Index: i, Op: o.name, Version: o.version, Supported: ok, Inputs: o.inputs, Outputs: o.outputs})
	}
	return d, nil
}
