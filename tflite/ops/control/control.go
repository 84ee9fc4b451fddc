package control

import (
	"errors"
	"fmt"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// graphOf returns the node's planner, which every operator here needs.
func graphOf(n *op.Node) (op.Graph, error) {
	g := n.Graph()
	if g == nil {
		return nil, n.Errorf("needs the interpreter's planner (subgraphs, variables)")
	}
	return g, nil
}

// sameTensors checks that the tensors a caller passes (have) match what
// subgraph sg declares (want) in number, dtype and shape.
func sameTensors(n *op.Node, sg *op.SubgraphInfo, what string, have, want []*op.TensorInfo) error {
	if len(have) != len(want) {
		return n.Invalidf("subgraph %d (%q) has %d %s, the operator passes %d", sg.Index, sg.Name, len(want), what, len(have))
	}
	for i, h := range have {
		w := want[i]
		if h == nil {
			return n.Invalidf("%s %d is missing", what, i)
		}
		if h.DType != w.DType || !h.Shape.Equal(w.Shape) {
			return n.Errorf("subgraph %d (%q) %s %d is %s%v, the operator's is %s%v (dynamic shapes are not supported)", sg.Index, sg.Name, what, i, w.DType, w.Shape, h.DType, h.Shape)
		}
	}
	return nil
}

// condition reports whether a one-element bool tensor is true.
func isBoolScalar(t *op.TensorInfo) bool {
	return t != nil && t.DType == tensor.Bool && t.Shape.Elements() == 1
}

func prepareIf(n *op.Node) (op.Kernel, error) {
	if len(n.Inputs) < 1 {
		return op.Kernel{}, n.Invalidf("has no condition input")
	}
	if err := n.CheckArity(1, len(n.Inputs), len(n.Outputs)); err != nil {
		return op.Kernel{}, err
	}
	opts, _ := n.Options.(*op.IfOptions)
	if opts == nil {
		return op.Kernel{}, n.Invalidf("has no options (then/else subgraphs)")
	}
	if !isBoolScalar(n.Inputs[0]) {
		return op.Kernel{}, n.Errorf("condition is %s%v, want one bool", n.Inputs[0].DType, n.Inputs[0].Shape)
	}
	g, err := graphOf(n)
	if err != nil {
		return op.Kernel{}, err
	}
	// A branch whose inputs the file declares with other sizes where its
	// shape signature allows any (-1) is planned for the sizes passed.
	shapes := make([]tensor.Shape, 0, len(n.Inputs)-1)
	for _, t := range n.Inputs[1:] {
		if t == nil {
			shapes = nil
			break
		}
		shapes = append(shapes, t.Shape)
	}
	var branches [2]*op.SubgraphInfo
	for k, idx := range []int{opts.ThenSubgraph, opts.ElseSubgraph} {
		subgraph := g.Subgraph
		if shapes != nil {
			subgraph = func(i int) (*op.SubgraphInfo, error) { return g.SubgraphShaped(i, shapes) }
		}
		sg, err := subgraph(idx)
		if err != nil {
			return op.Kernel{}, fmt.Errorf("op %d (%s): %w", n.Index, n.Op, err)
		}
		if err := sameTensors(n, sg, "input", n.Inputs[1:], sg.Inputs); err != nil {
			return op.Kernel{}, err
		}
		if len(sg.Outputs) != len(n.Outputs) {
			return op.Kernel{}, n.Invalidf("subgraph %d (%q) has %d outputs, the operator %d", sg.Index, sg.Name, len(sg.Outputs), len(n.Outputs))
		}
		branches[k] = sg
	}
	for i, o := range n.Outputs {
		a, b := branches[0].Outputs[i], branches[1].Outputs[i]
		if a.DType != b.DType || !a.Shape.Equal(b.Shape) {
			return op.Kernel{}, n.Errorf("output %d is %s%v in one branch and %s%v in the other (dynamic shapes are not supported)", i, a.DType, a.Shape, b.DType, b.Shape)
		}
		if o.DType != a.DType {
			return op.Kernel{}, n.Invalidf("output %d is %s, the branches give %s", i, o.DType, a.DType)
		}
		o.Shape = a.Shape.Clone()
	}
	then, els := branches[0].Index, branches[1].Index
	return op.Kernel{Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
		sg := els
		if in[0].Data[0] != 0 {
			sg = then
		}
		return x.Call(sg, in[1:], out)
	}}, nil
}

// MaxWhileIterations bounds the iterations of one WHILE evaluation, so
// that a loop whose condition never turns false ends with an error even
// for a caller without a deadline.
const MaxWhileIterations = 1 << 24

// whileState is WHILE's per-Runner buffer for the condition's result.
type whileState struct {
	cond   tensor.Tensor
	result [1]*tensor.Tensor
}

func newWhileState(cond *op.TensorInfo) func() any {
	return func() any {
		s := &whileState{cond: tensor.Tensor{DType: cond.DType, Shape: cond.Shape, Data: make([]byte, cond.Shape.Elements())}}
		s.result[0] = &s.cond
		return s
	}
}

func prepareWhile(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(len(n.Outputs), len(n.Outputs), len(n.Outputs)); err != nil {
		return op.Kernel{}, err
	}
	opts, _ := n.Options.(*op.WhileOptions)
	if opts == nil {
		return op.Kernel{}, n.Invalidf("has no options (cond/body subgraphs)")
	}
	g, err := graphOf(n)
	if err != nil {
		return op.Kernel{}, err
	}
	for i, t := range n.Inputs {
		if t == nil {
			return op.Kernel{}, n.Invalidf("input %d is missing", i)
		}
		if n.Outputs[i].DType != t.DType {
			return op.Kernel{}, n.Invalidf("output %d is %s, input %d %s", i, n.Outputs[i].DType, i, t.DType)
		}
	}
	cond, err := g.Subgraph(opts.CondSubgraph)
	if err != nil {
		return op.Kernel{}, fmt.Errorf("op %d (%s): %w", n.Index, n.Op, err)
	}
	if err := sameTensors(n, cond, "input", n.Inputs, cond.Inputs); err != nil {
		return op.Kernel{}, err
	}
	if len(cond.Outputs) != 1 || !isBoolScalar(cond.Outputs[0]) {
		return op.Kernel{}, n.Errorf("condition subgraph %d must have one bool output", cond.Index)
	}
	body, err := g.Subgraph(opts.BodySubgraph)
	if err != nil {
		return op.Kernel{}, fmt.Errorf("op %d (%s): %w", n.Index, n.Op, err)
	}
	if err := sameTensors(n, body, "input", n.Inputs, body.Inputs); err != nil {
		return op.Kernel{}, err
	}
	if err := sameTensors(n, body, "output", n.Inputs, body.Outputs); err != nil {
		return op.Kernel{}, err
	}
	for i, o := range n.Outputs {
		o.Shape = n.Inputs[i].Shape.Clone()
	}
	ci, bi := cond.Index, body.Index
	newState := newWhileState(cond.Outputs[0])
	return op.Kernel{
		NewState: newState,
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, _ := x.State.(*whileState)
			if s == nil {
				s = newState().(*whileState)
			}
			for i, t := range in {
				copy(out[i].Data, t.Data)
			}
			for iter := 0; ; iter++ {
				if iter == MaxWhileIterations {
					return fmt.Errorf("WHILE ran %d iterations without its condition turning false (limit)", iter)
				}
				if x.Ctx != nil {
					if err := x.Ctx.Err(); err != nil {
						return err
					}
				}
				if err := x.Call(ci, out, s.result[:]); err != nil {
					return err
				}
				if s.cond.Data[0] == 0 {
					return nil
				}
				if err := x.Call(bi, out, out); err != nil {
					return err
				}
			}
		},
	}, nil
}

// callOnce is CALL_ONCE's per-Runner flag.
type callOnce struct{ done bool }

func prepareCallOnce(n *op.Node) (op.Kernel, error) {
	if err := n.CheckArity(0, 0, 0); err != nil {
		return op.Kernel{}, err
	}
	opts, _ := n.Options.(*op.CallOnceOptions)
	if opts == nil {
		return op.Kernel{}, n.Invalidf("has no options (init subgraph)")
	}
	g, err := graphOf(n)
	if err != nil {
		return op.Kernel{}, err
	}
	sg, err := g.Subgraph(opts.InitSubgraph)
	if err != nil {
		return op.Kernel{}, fmt.Errorf("op %d (%s): %w", n.Index, n.Op, err)
	}
	if len(sg.Inputs) != 0 || len(sg.Outputs) != 0 {
		return op.Kernel{}, n.Invalidf("init subgraph %d has %d inputs and %d outputs, want none", sg.Index, len(sg.Inputs), len(sg.Outputs))
	}
	idx := sg.Index
	return op.Kernel{
		NewState: func() any { return &callOnce{} },
		Reset:    func(s any) { s.(*callOnce).done = false },
		Eval: func(x *op.Exec, in, out []*tensor.Tensor) error {
			s, _ := x.State.(*callOnce)
			if s == nil {
				return errors.New("CALL_ONCE needs its per-Runner state")
			}
			if s.done {
				return nil
			}
			if err := x.Call(idx, nil, nil); err != nil {
				return err
			}
			s.done = true
			return nil
		},
	}, nil
}
