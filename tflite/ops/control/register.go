package control

import "github.com/edgeinfer/edgeinfer/tflite/op"

// Register adds every operator of this package to r.
func Register(r *op.Resolver) {
	r.Add("IF", prepareIf)
	r.Add("WHILE", prepareWhile)
	r.Add("CALL_ONCE", prepareCallOnce)
	r.Add("VAR_HANDLE", prepareVarHandle)
	r.Add("READ_VARIABLE", prepareReadVariable)
	r.Add("ASSIGN_VARIABLE", prepareAssignVariable)
}
