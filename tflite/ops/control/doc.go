// Package control registers TensorFlow Lite's control-flow and resource
// variable operators: IF, WHILE and CALL_ONCE, which run other subgraphs
// of the model, and VAR_HANDLE, READ_VARIABLE and ASSIGN_VARIABLE.
//
// Prepare plans the called subgraphs through the planner's op.Graph (which
// refuses recursion, bad subgraph indices and calls nested too deeply) and
// requires every tensor passed in or out to keep one static dtype and
// shape, so that Eval only copies: a branch's outputs must agree with the
// other branch's, a loop body's outputs with its inputs, a variable's
// every read and assignment with each other. Eval runs the subgraphs
// through op.Exec.Call and reaches the Runner's variables through
// op.Exec.Var; it allocates nothing. A WHILE checks the Run's context at
// every iteration and gives up after MaxWhileIterations, so a loop that
// never ends cannot hold a Runner forever.
//
// Every Run starts from the initial state: no variable is assigned and
// every CALL_ONCE runs its subgraph again (the interpreter resets both),
// so a request never sees what an earlier one left behind.
//
// It never imports the interpreter. Register is safe to call on distinct
// resolvers concurrently; prepared kernels are immutable and safe for
// concurrent use.
package control
