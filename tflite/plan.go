package tflite

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

const arenaAlign = 64

// sharedKey names one derived constant: the operator's index and the key
// its Prepare chose.
type sharedKey struct {
	sg   int // subgraph index
	node int
	key  string
}

// shared holds the derived constants (packed weights, tables) of a model
// file, built once and used by every plan of it. Safe for concurrent use.
type shared struct {
	mu sync.Mutex
	m  map[sharedKey]any // guarded by mu
}

// Sizer is implemented by shared values that know their size in bytes; the
// model's MemoryBytes counts them.
type Sizer interface{ SizeBytes() int64 }

func (s *shared) get(k sharedKey, build func() (any, error)) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[k]; ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	s.m[k] = v
	return v, nil
}

func (s *shared) bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, v := range s.m {
		if z, ok := v.(Sizer); ok {
			n += z.SizeBytes()
		}
	}
	return n
}

// step is one prepared operator.
type step struct {
	name    string
	kernel  op.Kernel
	inputs  []int // tensor indices, -1 for absent
	outputs []int
	folded  bool // folded at load (fuse.go, actfuse.go, weights.go): does nothing
}

// plan is one subgraph prepared for one batch size: kernels, shapes, and
// the arena layout. Immutable once built.
type plan struct {
	sg        *subgraph
	batch     int
	infos     []*op.TensorInfo
	steps     []step
	offsets   []int // arena offset of each activation tensor, -1 for consts
	variables []variable
	scratch   int // offset of the scratch region
	arenaSize int
	// height is the longest chain of subgraph calls below this one (0:
	// it calls none).
	height int
	// resources maps the resource tensors VAR_HANDLE wrote to their
	// variable ids.
	resources map[*op.TensorInfo]int

	// Set on the main subgraph's plan only:
	// subgraphs holds the plans of the other subgraphs its operators
	// call, by file index (nil for the main one and those never called).
	// Each has an arena of its own: no subgraph is ever active twice at
	// once (recursion is refused at load), so a caller's tensors and its
	// callee's never share bytes.
	subgraphs []*plan
	// vars are the model's resource variables, by id.
	vars []varSpec
}

// variable is a variable tensor and the byte it is reset to before each
// Run.
type variable struct {
	tensor int
	fill   byte
}

// varSpec is the dtype and shape of one resource variable.
type varSpec struct {
	name  string // container/shared_name, for messages
	dtype tensor.DType
	shape tensor.Shape
}

// Limits on subgraph calls.
const (
	// maxCallDepth bounds how deeply control-flow operators may nest
	// subgraph calls (the interpreter recurses once per level).
	maxCallDepth = 16
	// maxVariables bounds the resource variables of one model.
	maxVariables = 1 << 12
)

// planner plans the subgraphs of one model for one batch size.
type planner struct {
	f      *parsed
	cfg    config
	sh     *shared
	subs   []*plan // by file index; nil until planned
	onPath []bool  // being planned now: calling one of them is recursion
	depth  int     // how many subgraphs are being planned below the main one
	vars   []varSpec
	varIDs map[string]int
	// shaped maps a subgraph planned for other input shapes
	// (SubgraphShaped; key: file index and shapes) to its index in subs,
	// past the file's subgraphs.
	shaped map[string]int
}

// newPlan prepares every operator of the main subgraph (and of every
// subgraph it calls) for batch size b (0: the file's shapes) and lays out
// the arenas.
func newPlan(f *parsed, cfg config, sh *shared, b int) (*plan, error) {
	pl := &planner{f: f, cfg: cfg, sh: sh, subs: make([]*plan, len(f.subgraphs)), onPath: make([]bool, len(f.subgraphs)), varIDs: map[string]int{}, shaped: map[string]int{}}
	pl.onPath[f.main] = true
	p, err := pl.plan(f.subgraph, b, nil)
	if err != nil {
		return nil, err
	}
	if p.height > maxCallDepth {
		return nil, fmt.Errorf("%w: subgraph calls nest %d deep (limit %d)", ErrLimit, p.height, maxCallDepth)
	}
	p.subgraphs = pl.subs
	p.subgraphs[f.main] = nil
	p.vars = pl.vars
	if total := p.runnerBytes(); total > cfg.maxArenaBytes {
		return nil, fmt.Errorf("%w: arenas and variables of %d bytes exceed the %d-byte limit", ErrLimit, total, cfg.maxArenaBytes)
	}
	return p, nil
}

// runnerBytes is the memory one Runner allocates for p: the arenas of
// every subgraph and the resource variables.
func (p *plan) runnerBytes() int64 {
	n := int64(p.arenaSize)
	for _, sp := range p.subgraphs {
		if sp != nil {
			n += int64(sp.arenaSize)
		}
	}
	for _, v := range p.vars {
		n += int64(v.shape.Elements() * v.dtype.Size())
	}
	return n
}

// graph is the op.Graph of one plan being built.
type graph struct {
	pl *planner
	p  *plan
}

var _ op.Graph = (*graph)(nil)

func (g *graph) Subgraph(i int) (*op.SubgraphInfo, error) {
	pl := g.pl
	if i < 0 || i >= len(pl.f.subgraphs) {
		return nil, invalid("subgraph %d of %d", i, len(pl.f.subgraphs))
	}
	sg := pl.f.subgraphs[i]
	if sg.err != nil {
		return nil, fmt.Errorf("subgraph %d: %w", i, sg.err)
	}
	if pl.onPath[i] {
		return nil, invalid("subgraph %d calls itself (recursion is not allowed)", i)
	}
	sp := pl.subs[i]
	if sp == nil {
		if pl.depth >= maxCallDepth {
			return nil, fmt.Errorf("%w: subgraph calls nest deeper than %d", ErrLimit, maxCallDepth)
		}
		pl.onPath[i] = true
		pl.depth++
		var err error
		sp, err = pl.plan(sg, 0, nil)
		pl.onPath[i] = false
		pl.depth--
		if err != nil {
			return nil, fmt.Errorf("subgraph %d (%q): %w", i, sg.name, err)
		}
		pl.subs[i] = sp
	}
	if sp.height+1 > maxCallDepth {
		return nil, fmt.Errorf("%w: subgraph calls nest deeper than %d", ErrLimit, maxCallDepth)
	}
	g.p.height = max(g.p.height, sp.height+1)
	return subgraphInfo(i, sg, sp), nil
}

// subgraphInfo describes plan sp of subgraph sg, run as index i.
func subgraphInfo(i int, sg *subgraph, sp *plan) *op.SubgraphInfo {
	info := &op.SubgraphInfo{Index: i, Name: sg.name}
	for _, ti := range sg.inputs {
		info.Inputs = append(info.Inputs, sp.infos[ti])
	}
	for _, ti := range sg.outputs {
		info.Outputs = append(info.Outputs, sp.infos[ti])
	}
	return info
}

// maxShapedSubgraphs bounds the subgraph copies one model may plan for
// other input shapes (SubgraphShaped).
const maxShapedSubgraphs = 64

// SubgraphShaped plans subgraph i for the given input shapes (op.Graph).
func (g *graph) SubgraphShaped(i int, inputs []tensor.Shape) (*op.SubgraphInfo, error) {
	pl := g.pl
	if i < 0 || i >= len(pl.f.subgraphs) || len(inputs) != len(pl.f.subgraphs[i].inputs) {
		return g.Subgraph(i) // the caller's checks report the mismatch
	}
	sg := pl.f.subgraphs[i]
	if sg.err != nil {
		return nil, fmt.Errorf("subgraph %d: %w", i, sg.err)
	}
	same := true
	for k, ti := range sg.inputs {
		ft := &sg.tensors[ti]
		decl, s := ft.info.Shape, inputs[k]
		if s.Equal(decl) {
			continue
		}
		same = false
		ok := len(s) == len(decl) && len(ft.signature) == len(decl)
		for d := 0; ok && d < len(s); d++ {
			ok = s[d] == decl[d] || (ft.signature[d] == -1 && s[d] >= 0)
		}
		if !ok {
			return nil, unsupported("subgraph %d (%q) input %d is %v (signature %v), the caller passes %v", i, sg.name, k, decl, ft.signature, s)
		}
	}
	if same {
		return g.Subgraph(i)
	}
	key := fmt.Sprint(i, inputs)
	idx, ok := pl.shaped[key]
	if !ok {
		if pl.onPath[i] {
			return nil, invalid("subgraph %d calls itself (recursion is not allowed)", i)
		}
		if len(pl.shaped) >= maxShapedSubgraphs {
			return nil, fmt.Errorf("%w: more than %d subgraphs planned for other input shapes", ErrLimit, maxShapedSubgraphs)
		}
		if pl.depth >= maxCallDepth {
			return nil, fmt.Errorf("%w: subgraph calls nest deeper than %d", ErrLimit, maxCallDepth)
		}
		pl.onPath[i] = true
		pl.depth++
		sp, err := pl.plan(sg, 0, inputs)
		pl.onPath[i] = false
		pl.depth--
		if err != nil {
			return nil, fmt.Errorf("subgraph %d (%q) for inputs %v: %w", i, sg.name, inputs, err)
		}
		idx = len(pl.subs)
		pl.subs = append(pl.subs, sp)
		pl.shaped[key] = idx
	}
	sp := pl.subs[idx]
	if sp.height+1 > maxCallDepth {
		return nil, fmt.Errorf("%w: subgraph calls nest deeper than %d", ErrLimit, maxCallDepth)
	}
	g.p.height = max(g.p.height, sp.height+1)
	return subgraphInfo(idx, sg, sp), nil
}

func (g *graph) BindResource(t *op.TensorInfo, container, name string) int {
	key := container + "\x00" + name
	id, ok := g.pl.varIDs[key]
	if !ok {
		id = len(g.pl.vars)
		g.pl.varIDs[key] = id
		g.pl.vars = append(g.pl.vars, varSpec{name: container + "/" + name})
	}
	if g.p.resources == nil {
		g.p.resources = map[*op.TensorInfo]int{}
	}
	g.p.resources[t] = id
	return id
}

func (g *graph) Resource(t *op.TensorInfo) (int, bool) {
	id, ok := g.p.resources[t]
	return id, ok
}

func (g *graph) DeclareVariable(id int, dt tensor.DType, shape tensor.Shape) error {
	if id < 0 || id >= len(g.pl.vars) {
		return invalid("resource variable %d of %d", id, len(g.pl.vars))
	}
	if len(g.pl.vars) > maxVariables {
		return fmt.Errorf("%w: %d resource variables (limit %d)", ErrLimit, len(g.pl.vars), maxVariables)
	}
	v := &g.pl.vars[id]
	if v.dtype == tensor.Invalid {
		if dt.Size() == 0 {
			return unsupported("resource variable %q of type %s", v.name, dt)
		}
		v.dtype, v.shape = dt, shape.Clone()
		return nil
	}
	if v.dtype != dt || !v.shape.Equal(shape) {
		return unsupported("resource variable %q is used as %s%v and as %s%v (variables keep one type and shape)", v.name, v.dtype, v.shape, dt, shape)
	}
	return nil
}

// plan prepares the operators of subgraph f for batch size b (0: the
// file's shapes) with the given input shapes (nil: the file's) and lays
// out its arena.
func (pl *planner) plan(f *subgraph, b int, inputs []tensor.Shape) (*plan, error) {
	cfg, sh := pl.cfg, pl.sh
	p := &plan{sg: f, infos: make([]*op.TensorInfo, len(f.tensors))}
	g := &graph{pl: pl, p: p}
	for i := range f.tensors {
		t := f.tensors[i].info
		t.Shape = t.Shape.Clone()
		p.infos[i] = &t
	}
	// Which tensors are written, and by which step.
	writer := make([]int, len(f.tensors))
	for i := range writer {
		writer[i] = -2 // never written
	}
	isInput := make([]bool, len(f.tensors))
	for _, ti := range f.inputs {
		if p.infos[ti].IsConst() {
			return nil, invalid("input tensor %d (%q) has constant data", ti, p.infos[ti].Name)
		}
		if isInput[ti] {
			return nil, invalid("tensor %d is listed twice as an input", ti)
		}
		isInput[ti] = true
		writer[ti] = -1
		if len(p.infos[ti].Shape) == 0 && b > 0 {
			return nil, unsupported("scalar input %d cannot be batched", ti)
		}
		if b > 0 {
			p.infos[ti].Shape[0] = b
		}
		if inputs != nil {
			p.infos[ti].Shape = inputs[slices.Index(f.inputs, ti)].Clone()
		}
		if err := activationSize(p.infos[ti], "input"); err != nil {
			return nil, err
		}
	}
	// Variable tensors hold state for the whole Run: written before the
	// first step (reset), never an operator's output.
	for ti := range f.tensors {
		t := p.infos[ti]
		if !t.Variable {
			continue
		}
		if b > 0 && len(t.Shape) > 0 && f.tensors[ti].signature != nil && f.tensors[ti].signature[0] == -1 {
			t.Shape[0] = b
		}
		v := variable{tensor: ti}
		if t.DType == tensor.Int8 && t.Quant != nil && len(t.Quant.ZeroPoint) > 0 {
			v.fill = byte(int8(t.Quant.ZeroPoint[0]))
		}
		writer[ti] = -1
		p.variables = append(p.variables, v)
	}
	if len(f.inputs) > 0 && len(p.infos[f.inputs[0]].Shape) > 0 {
		p.batch = p.infos[f.inputs[0]].Shape[0]
	}
	p.steps = make([]step, len(f.ops))
	maxScratch := 0
	var opErrs []error // with cfg.allErrors: every operator that failed
	fail := func(err error) (*plan, error) {
		if len(opErrs) > 0 {
			return nil, errors.Join(append(opErrs, err)...)
		}
		return nil, err
	}
	folded := map[int]bool{}       // PAD steps that do nothing
	rewired := map[int]padFusion{} // convolutions that read the PAD's input
	if !cfg.noFusion {
		for _, fu := range padFusions(f, p.infos) {
			folded[fu.pad], rewired[fu.conv] = true, fu
		}
	}
	var flipOut, flipIn map[int]bool // uint8 convolutions with int8-retyped activations
	if !cfg.noFusion {
		skip := map[int]bool{}
		for i := range folded {
			skip[i] = true
		}
		for i := range rewired {
			skip[i] = true
		}
		var retyped map[int]bool
		retyped, flipIn, flipOut = retypeUint8(f, p.infos, skip)
		for ti := range retyped {
			p.infos[ti] = retypedInfo(p.infos[ti])
		}
	}
	subgraphOutputs := map[int]bool{}
	for _, ti := range f.outputs {
		subgraphOutputs[ti] = true
	}
	isSubgraphOutput := func(ti int) bool { return subgraphOutputs[ti] }
	for i := range f.ops {
		o := &f.ops[i]
		if folded[i] || o.folded {
			// Its output is read by nothing now: no arena bytes, no work.
			p.steps[i] = step{name: o.name, folded: true, kernel: op.Kernel{Eval: func(*op.Exec, []*tensor.Tensor, []*tensor.Tensor) error { return nil }}}
			continue
		}
		inputs, options := o.inputs, o.options
		if fu, ok := rewired[i]; ok {
			inputs = append([]int(nil), o.inputs...)
			inputs[0] = fu.src
			options = foldedOptions(o.options, fu.pads)
		}
		if flipIn[i] || flipOut[i] {
			options = flippedOptions(options, flipIn[i], flipOut[i])
		}
		n := &op.Node{Index: i, Op: o.name, Version: o.version, Options: options, CustomOptions: o.custom}
		n.SetGraph(g)
		n.Inputs = make([]*op.TensorInfo, len(inputs))
		for k, ti := range inputs {
			if ti < 0 {
				continue
			}
			t := p.infos[ti]
			if !t.IsConst() && writer[ti] == -2 {
				// A tensor of no elements has no bytes to read: TFLite
				// allocates it empty (converters write an empty buffer
				// for a constant shape [] that way). It reads as an
				// empty constant.
				if cnt, err := t.Shape.NumElements(); err != nil || cnt != 0 || t.Variable {
					return fail(invalid("op %d (%s) reads tensor %d (%q) before anything writes it", i, o.name, ti, t.Name))
				}
				t.Const = []byte{}
			}
			n.Inputs[k] = t
		}
		n.Outputs = make([]*op.TensorInfo, len(o.outputs))
		declared := make([]tensor.Shape, len(o.outputs))
		for k, ti := range o.outputs {
			t := p.infos[ti]
			if t.IsConst() || t.Variable || writer[ti] != -2 {
				return fail(invalid("op %d (%s) writes tensor %d (%q), which is constant, variable or already written", i, o.name, ti, t.Name))
			}
			writer[ti] = i
			declared[k] = t.Shape
			n.Outputs[k] = t
		}
		prep, ok := cfg.resolver.Lookup(o.name)
		if !ok {
			err := acceleratorError(i, o.name)
			if err == nil {
				err = unsupported("op %d (%s): operator not implemented", i, o.name)
			}
			if cfg.allErrors {
				// Keep going with the declared output shapes to find the
				// other problems; the plan is never used.
				opErrs = append(opErrs, err)
				continue
			}
			return fail(err)
		}
		n.SetShared(func(key string, build func() (any, error)) (any, error) {
			return sh.get(sharedKey{f.index, i, key}, build)
		})
		k, err := prepareSafely(prep, n)
		if err != nil {
			if cfg.allErrors {
				for j, t := range n.Outputs {
					t.Shape = declared[j]
				}
				opErrs = append(opErrs, err)
				continue
			}
			return fail(err)
		}
		if k.Eval == nil {
			return fail(invalid("op %d (%s): prepared without a kernel", i, o.name))
		}
		for j, t := range n.Outputs {
			if err := activationSize(t, fmt.Sprintf("op %d (%s): output %d", i, o.name, j)); err != nil {
				return fail(err)
			}
			// Custom operators' outputs are often declared without a
			// shape (TFLite sets it at run time): take the computed one.
			// Dimensions the file's shape_signature leaves dynamic (-1)
			// take the computed size too, as TFLite resizes them.
			if b == 0 && !t.Shape.Equal(declared[j]) && !(len(declared[j]) == 0 && strings.HasPrefix(o.name, "CUSTOM:")) &&
				!signatureAllows(f.tensors[o.outputs[j]].signature, t.Shape) {
				return fail(invalid("op %d (%s): output %d (%q) is declared %v but computes to %v", i, o.name, j, t.Name, declared[j], t.Shape))
			}
		}
		if k.Scratch < 0 {
			return fail(invalid("op %d (%s): negative scratch", i, o.name))
		}
		if foldShapeStep(n, k, isSubgraphOutput, o.outputs) {
			// Shape arithmetic computed now (shapefold.go): its outputs
			// are this plan's constants.
			p.steps[i] = step{name: o.name, folded: true, kernel: op.Kernel{Eval: func(*op.Exec, []*tensor.Tensor, []*tensor.Tensor) error { return nil }}}
			continue
		}
		maxScratch = max(maxScratch, k.Scratch)
		p.steps[i] = step{name: o.name, kernel: k, inputs: inputs, outputs: o.outputs}
	}
	if len(opErrs) > 0 {
		return nil, errors.Join(opErrs...)
	}
	for _, ti := range f.outputs {
		if writer[ti] == -2 && !p.infos[ti].IsConst() {
			return nil, invalid("output tensor %d (%q) is never written", ti, p.infos[ti].Name)
		}
	}
	if err := p.layout(f, maxScratch, cfg.maxArenaBytes); err != nil {
		return nil, err
	}
	return p, nil
}

// activationSize checks that an activation tensor has a shape the arena
// can hold: a valid element count that is not zero. Zero-size activations
// (a dimension of 0) are refused here, once, so that no Prepare sees one
// from a model input or an earlier operator and no kernel has to guard
// against empty data.
func activationSize(t *op.TensorInfo, what string) error {
	n, err := t.Shape.NumElements()
	if err != nil {
		return invalid("%s (tensor %d, %q): %v", what, t.Index, t.Name, err)
	}
	if n == 0 {
		return unsupported("%s (tensor %d, %q) has shape %v: zero-size activation tensors", what, t.Index, t.Name, t.Shape)
	}
	if t.DType.Size() == 0 {
		return unsupported("%s (tensor %d, %q): %s activations", what, t.Index, t.Name, t.DType)
	}
	return nil
}

// prepareSafely runs a PrepareFunc, turning a panic (a bug in an operator,
// reached through a malformed file) into an error.
func prepareSafely(prep op.PrepareFunc, n *op.Node) (k op.Kernel, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %w: op %d (%s): prepare failed: %v", ErrInvalidModel, ErrPanic, n.Index, n.Op, r)
		}
	}()
	return prep(n)
}

// layout assigns arena offsets with the greedy-by-size strategy: tensors
// whose lifetimes overlap never share bytes.
func (p *plan) layout(f *subgraph, scratch int, limit int64) error {
	nt := len(p.infos)
	first := make([]int, nt)
	last := make([]int, nt)
	for i := range first {
		first[i], last[i] = -2, -2
	}
	for _, ti := range f.inputs {
		first[ti], last[ti] = -1, -1
	}
	for i, s := range p.steps {
		for _, ti := range s.inputs {
			if ti >= 0 && !p.infos[ti].IsConst() {
				last[ti] = i
			}
		}
		for _, ti := range s.outputs {
			first[ti] = i
			last[ti] = max(last[ti], i)
		}
	}
	for _, ti := range f.outputs {
		last[ti] = len(p.steps)
	}
	// A variable lives through the whole Run, so no other tensor ever
	// shares its bytes.
	for _, v := range p.variables {
		first[v.tensor], last[v.tensor] = -1, len(p.steps)
	}
	type alloc struct{ ti, size, off int }
	var todo []alloc
	p.offsets = make([]int, nt)
	for ti := range p.offsets {
		p.offsets[ti] = -1
		if first[ti] == -2 || p.infos[ti].IsConst() {
			continue
		}
		n := p.infos[ti].Shape.Elements() * p.infos[ti].DType.Size()
		if p.infos[ti].DType.Size() == 0 {
			return unsupported("tensor %d (%q): %s activations", ti, p.infos[ti].Name, p.infos[ti].DType)
		}
		todo = append(todo, alloc{ti: ti, size: (n + arenaAlign - 1) &^ (arenaAlign - 1)})
	}
	sort.SliceStable(todo, func(a, b int) bool { return todo[a].size > todo[b].size })
	var placed []alloc
	end := 0
	for _, a := range todo {
		// Candidate offsets: 0 and the end of every overlapping placement.
		overl := placed[:0:0]
		for _, q := range placed {
			if first[q.ti] <= last[a.ti] && first[a.ti] <= last[q.ti] {
				overl = append(overl, q)
			}
		}
		sort.Slice(overl, func(i, j int) bool { return overl[i].off < overl[j].off })
		off := 0
		for _, q := range overl {
			if off+a.size <= q.off {
				break
			}
			off = max(off, q.off+q.size)
		}
		a.off = off
		p.offsets[a.ti] = off
		placed = append(placed, a)
		end = max(end, off+a.size)
		if int64(end) > limit {
			return fmt.Errorf("%w: activations need more than the %d-byte arena limit", ErrLimit, limit)
		}
	}
	p.scratch = end
	p.arenaSize = end + (scratch+arenaAlign-1)&^(arenaAlign-1)
	if int64(p.arenaSize) > limit {
		return fmt.Errorf("%w: arena of %d bytes exceeds the %d-byte limit", ErrLimit, p.arenaSize, limit)
	}
	return nil
}
