package control

import (
	"encoding/binary"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

func prepareVarHandle(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(0, 0, 1); err != nil {
		return op.Kernel{}, err
	}
	opts, _ := n.Options.(*op.VarHandleOptions)
	if opts == nil {
		return op.Kernel{}, n.Invalidf("has no options (container, shared_name)")
	}
	out := n.Outputs[0]
	if out.DType != tensor.Resource || out.Shape.Elements() != 1 {
		return op.Kernel{}, n.Invalidf("output is %s%v, want one resource", out.DType, out.Shape)
	}
	g, err := graphOf(n)
	if err != nil {
		return op.Kernel{}, err
	}
	id := g.BindResource(out, opts.Container, opts.SharedName)
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		binary.LittleEndian.PutUint32(out[0].Data, uint32(id))
		return nil
	}}, nil
}

// variable returns the id of the variable the node's resource input 0
// refers to, after declaring its dtype and shape.
func variable(n *op.Node, dt tensor.DType, shape tensor.Shape) (int, error) {
	r := n.Inputs[0]
	if r.DType != tensor.Resource {
		return 0, n.Invalidf("input 0 is %s, want a resource", r.DType)
	}
	g, err := graphOf(n)
	if err != nil {
		return 0, err
	}
	id, ok := g.Resource(r)
	if !ok {
		return 0, n.Errorf("resource tensor %d (%q) does not come from a VAR_HANDLE of this subgraph", r.Index, r.Name)
	}
	if err := g.DeclareVariable(id, dt, shape); err != nil {
		return 0, fmt.Errorf("op %d (%s): %w", n.Index, n.Op, err)
	}
	return id, nil
}

func varOf(x *op.Exec, id int) (*op.Var, error) {
	v := x.Var(id)
	if v == nil {
		return nil, fmt.Errorf("resource variable %d does not exist on this Runner", id)
	}
	return v, nil
}

func prepareReadVariable(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(1, 1, 1); err != nil {
		return op.Kernel{}, err
	}
	out := n.Outputs[0]
	id, err := variable(n, out.DType, out.Shape)
	if err != nil {
		return op.Kernel{}, err
	}
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		v, err := varOf(x, id)
		if err != nil {
			return err
		}
		if !v.Set {
			return fmt.Errorf("resource variable %q is read before it is assigned", v.T.Name)
		}
		copy(out[0].Data, v.T.Data)
		return nil
	}}, nil
}

func prepareAssignVariable(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(2, 2, 0); err != nil {
		return op.Kernel{}, err
	}
	val := n.Inputs[1]
	id, err := variable(n, val.DType, val.Shape)
	if err != nil {
		return op.Kernel{}, err
	}
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		v, err := varOf(x, id)
		if err != nil {
			return err
		}
		copy(v.T.Data, in[1].Data)
		v.Set = true
		return nil
	}}, nil
}
