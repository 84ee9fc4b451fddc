package op

import "errors"

// Sentinel errors. Errors returned by Load and Run wrap one of these, so
// callers branch with errors.Is.
var (
	// ErrInvalidModel: the file is not a well-formed TFLite model.
	ErrInvalidModel = errors.New("tflite: invalid model")
	// ErrUnsupported: the model is well-formed but uses an operator or a
	// parameter combination the engine does not implement.
	ErrUnsupported = errors.New("tflite: unsupported")
	// ErrInput: the inputs given to Run do not match the model's.
	ErrInput = errors.New("tflite: bad input")
	// ErrLimit: the model needs more memory than the configured limits.
	ErrLimit = errors.New("tflite: limit exceeded")
	// ErrNoEngine: a kernel that runs subgraphs or uses resource
	// variables ran on an Exec without an interpreter behind it.
	ErrNoEngine = errors.New("tflite: operator needs an interpreter (subgraphs, variables)")
)
