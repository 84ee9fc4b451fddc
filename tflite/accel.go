package tflite

// acceleratorOps maps the custom operators that accelerator compilers
// put in place of the subgraphs they compiled to the accelerator's name.
// Such an operator holds the accelerator's own program, which only that
// hardware (through its delegate) can run.
var acceleratorOps = map[string]string{
	"CUSTOM:edgetpu-custom-op": "the Coral Edge TPU (edgetpu_compiler)",
	"CUSTOM:ethos-u":           "an Arm Ethos-U NPU (Vela)",
}

// acceleratorError is the load error of an operator compiled for an
// accelerator, or nil for any other operator.
func acceleratorError(i int, name string) error {
	acc, ok := acceleratorOps[name]
	if !ok {
		return nil
	}
	return unsupported("op %d (%s): the model was compiled for %s; this operator runs only on that accelerator: load the model as it was before compilation", i, name, acc)
}
