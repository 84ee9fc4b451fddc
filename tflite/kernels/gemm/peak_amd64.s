//go:build amd64 && !noasm

#include "textflag.h"

// func vnniPeakLoop(n int)
//
// n iterations of 12 independent VPDPBUSD zmm (register operands only):
// the core's int8 multiply-accumulate throughput with nothing else in the
// way. BenchmarkVNNIPeak reports it as GMAC/s, the ceiling the GEMM's
// GMAC/s are a fraction of.
TEXT ·vnniPeakLoop(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPTERNLOGD $0xff, Z20, Z20, Z20
	VPTERNLOGD $0xff, Z21, Z21, Z21

peak:
	VPDPBUSD Z20, Z21, Z0
	VPDPBUSD Z20, Z21, Z1
	VPDPBUSD Z20, Z21, Z2
	VPDPBUSD Z20, Z21, Z3
	VPDPBUSD Z20, Z21, Z4
	VPDPBUSD Z20, Z21, Z5
	VPDPBUSD Z20, Z21, Z6
	VPDPBUSD Z20, Z21, Z7
	VPDPBUSD Z20, Z21, Z8
	VPDPBUSD Z20, Z21, Z9
	VPDPBUSD Z20, Z21, Z10
	VPDPBUSD Z20, Z21, Z11
	DECQ CX
	JNZ peak
	VZEROUPPER
	RET
