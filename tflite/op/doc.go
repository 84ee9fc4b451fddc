// Package op is the contract between the interpreter and the operators:
// Node (an operator being prepared, with its decoded options and tensors),
// Kernel (a prepared operator), Exec (what a kernel sees while running),
// Resolver, and the shared helpers every operator needs (fused activation
// ranges, errors).
//
// Operators live in packages under tflite/ops and register themselves into
// a Resolver value; nothing here is global. Types are safe for concurrent
// reads once prepared.
package op
