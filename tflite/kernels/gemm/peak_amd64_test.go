//go:build amd64 && !noasm

package gemm

import "testing"

//go:noescape
func vnniPeakLoop(n int)

// BenchmarkVNNIPeak measures this core's int8 multiply-accumulate ceiling:
// 12 independent register-only VPDPBUSD zmm per iteration (64 MACs each).
// The GEMM and model GMAC/s figures are quoted as fractions of it.
func BenchmarkVNNIPeak(b *testing.B) {
	if !hasVNNI {
		b.Skip("no AVX-512 VNNI on this machine")
	}
	const iters = 1 << 16
	for b.Loop() {
		vnniPeakLoop(iters)
	}
	b.ReportMetric(float64(iters)*12*64*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}
