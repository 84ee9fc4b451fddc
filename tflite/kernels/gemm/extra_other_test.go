//go:build !amd64 || noasm

package gemm

// extraImpls returns no further kernels on this architecture.
func extraImpls() map[string]func(p *problem) []int8 { return nil }
