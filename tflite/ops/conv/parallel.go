package conv

import (
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// rangeTask is the per-Runner op.Task of a kernel that splits its work
// into parts: run, fixed at Prepare, computes parts [lo, hi) of the
// current Eval, whose operands the other fields hold while it runs.
type rangeTask struct {
	run       func(t *rangeTask, lo, hi int)
	ins, outs []*tensor.Tensor
	scratch   []byte // the Exec's scratch
	parts     int    // the number of parts of the current Eval
	workers   int    // the Exec's Threads() for the current Eval
}

// Run computes parts [lo, hi).
func (t *rangeTask) Run(lo, hi int) { t.run(t, lo, hi) }

var _ op.Task = (*rangeTask)(nil)

// rangeKernel returns a kernel that runs run over parts(x, ins, outs)
// parts through x.ParallelTask (parts may also do serial work first, such
// as filling scratch). Its Task lives in the Runner's per-node state, so
// Eval allocates nothing; with an Exec built by hand (no state) it makes
// a fresh one.
func rangeKernel(scratch int, parts func(x *op.Exec, ins, outs []*tensor.Tensor) int, run func(t *rangeTask, lo, hi int)) op.Kernel {
	return op.Kernel{
		Scratch:  scratch,
		NewState: func() any { return &rangeTask{run: run} },
		Eval: func(x *op.Exec, ins, outs []*tensor.Tensor) error {
			t, ok := x.State.(*rangeTask)
			if !ok {
				t = &rangeTask{run: run}
			}
			t.ins, t.outs, t.scratch, t.workers = ins, outs, x.Scratch, x.Threads()
			t.parts = parts(x, ins, outs)
			x.ParallelTask(t.parts, t)
			t.ins, t.outs, t.scratch = nil, nil, nil
			return nil
		},
	}
}

// rowsKernel is rangeKernel over a fixed number of parts.
func rowsKernel(scratch, n int, run func(t *rangeTask, lo, hi int)) op.Kernel {
	return rangeKernel(scratch, func(*op.Exec, []*tensor.Tensor, []*tensor.Tensor) int { return n }, run)
}
