//go:build !amd64 || noasm

package elementwise

// addSubKernels is empty: there is no vector kernel on this architecture.
type addSubKernels struct{}

func addSubVectors(p *AddSub) (addSubKernels, bool) { return addSubKernels{}, false }

func addSubInt8Vec[T Quant](k *addSubKernels, a, b, out []T) int { return 0 }
