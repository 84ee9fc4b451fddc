package op

import "github.com/edgeinfer/edgeinfer/tensor"

// SubgraphInfo describes a planned subgraph of the model: the tensors a
// control-flow operator copies into it and reads back from it. Read-only.
type SubgraphInfo struct {
	Index   int // position in the file's subgraph list
	Name    string
	Inputs  []*TensorInfo
	Outputs []*TensorInfo
}

// Graph is what the planner offers to the operators that reach beyond
// their own tensors: control flow (other subgraphs) and resource
// variables. Node.Graph returns nil for a node built by hand.
type Graph interface {
	// Subgraph plans subgraph i (once per model) and describes it. It
	// fails when i is out of range, when the subgraph is already being
	// planned (recursion: a subgraph that calls itself, directly or not)
	// or when calls nest deeper than the engine's limit.
	Subgraph(i int) (*SubgraphInfo, error)
	// SubgraphShaped is Subgraph for a caller that passes inputs of other
	// shapes than the file declares, where the file's shape signature
	// allows them (a dimension of -1): it plans a copy of subgraph i with
	// those input shapes (once per model and shapes) and describes it;
	// its Index is what Exec.Call runs. Shapes the signature does not
	// allow fail with ErrUnsupported; the file's own shapes give
	// Subgraph(i).
	SubgraphShaped(i int, inputs []tensor.Shape) (*SubgraphInfo, error)
	// BindResource names the resource variable (container, name) as the
	// one tensor t (an output of the node being prepared) refers to, and
	// returns its id. The same names always give the same id within a
	// model.
	BindResource(t *TensorInfo, container, name string) int
	// Resource returns the id of the resource variable that t refers to,
	// as bound by the VAR_HANDLE that wrote t in this subgraph.
	Resource(t *TensorInfo) (id int, ok bool)
	// DeclareVariable records that variable id holds values of dtype dt
	// and the given shape; every use of one variable must agree.
	DeclareVariable(id int, dt tensor.DType, shape tensor.Shape) error
}

// Graph returns the planner's Graph, or nil for a node built by hand.
func (n *Node) Graph() Graph { return n.graph }

// SetGraph installs the planner's Graph. The interpreter calls it before
// Prepare; operators never do.
func (n *Node) SetGraph(g Graph) { n.graph = g }

// Var is one resource variable of a Runner.
type Var struct {
	// T holds the value; its buffer is allocated once with the Runner.
	T tensor.Tensor
	// Set reports whether the variable was assigned during this Run
	// (every Run starts with no variable set).
	Set bool
}

// Engine is the Runner's side of an Exec: running other subgraphs and the
// resource variables. Kernels reach it through Exec.Call and Exec.Var.
type Engine interface {
	// Call copies in into subgraph sg's inputs, runs it and copies its
	// outputs into out. Sizes were checked when the caller was prepared.
	Call(x *Exec, sg int, in, out []*tensor.Tensor) error
	// Var returns resource variable id.
	Var(id int) *Var
}

// SetEngine installs the Runner's Engine. The interpreter calls it;
// operators never do.
func (x *Exec) SetEngine(e Engine) { x.engine = e }

// Call runs subgraph sg with inputs in, writing its outputs into out (see
// Engine.Call). It fails on an Exec without an Engine.
func (x *Exec) Call(sg int, in, out []*tensor.Tensor) error {
	if x.engine == nil {
		return ErrNoEngine
	}
	return x.engine.Call(x, sg, in, out)
}

// Var returns resource variable id, or nil on an Exec without an Engine.
func (x *Exec) Var(id int) *Var {
	if x.engine == nil {
		return nil
	}
	return x.engine.Var(id)
}
