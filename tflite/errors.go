package tflite

import (
	"errors"

	"github.com/edgeinfer/edgeinfer/tflite/op"
)

// Sentinel errors. Errors returned by Load and Run wrap one of these, so
// callers branch with errors.Is. They are the same values as package op's.
var (
	// ErrInvalidModel: the file is not a well-formed TFLite model.
	ErrInvalidModel = op.ErrInvalidModel
	// ErrUnsupported: the model is well-formed but uses an operator or a
	// parameter combination the engine does not implement.
	ErrUnsupported = op.ErrUnsupported
	// ErrInput: the inputs given to Run do not match the model's.
	ErrInput = op.ErrInput
	// ErrLimit: the model needs more memory than the configured limits.
	ErrLimit = op.ErrLimit
	// ErrPanic: an operator's Prepare or Eval panicked, a bug in the engine
	// reached through the model. Load and Run recover it and return an
	// error wrapping both ErrPanic and ErrInvalidModel; the process and the
	// Runner carry on.
	ErrPanic = errors.New("tflite: an operator panicked")
)
