//go:build amd64 && !noasm

#include "textflag.h"

// func dwInt8AVX512(taps *uintptr, ntaps int, n int, ps int, w *int32, cblocks int, q *int32, out *int8, oz int, lo int, hi int)
//
// For output pixels j in [0, n) and 16-channel blocks b: acc = bias(b) +
// Σ_t int32(x[taps[t] + j·ps + 16b]) · w[b][t], requantized with the
// parameter block q + 448b and stored at out + (j·cblocks + b)·16.
TEXT ·dwInt8AVX512(SB), NOSPLIT, $0-88
	MOVQ n+16(FP), R8
	MOVQ out+56(FP), DI
	XORQ R9, R9                  // j·ps
	MOVL $0xAAAA, AX
	KMOVW AX, K1
	MOVQ oz+64(FP), AX
	VPBROADCASTD AX, Z28
	MOVQ lo+72(FP), AX
	VPBROADCASTD AX, Z27
	MOVQ hi+80(FP), AX
	VPBROADCASTD AX, Z26
	MOVQ $0x40000000, AX
	VPBROADCASTQ AX, Z30
	VPTERNLOGD $0xff, Z29, Z29, Z29

pixel:
	MOVQ cblocks+40(FP), R10
	MOVQ w+32(FP), R13
	MOVQ q+48(FP), R14
	MOVQ R9, R12                 // j·ps + 16b

block:
	VMOVDQU32 (R14), Z0          // folded bias
	MOVQ taps+0(FP), SI
	MOVQ ntaps+8(FP), CX

tap:
	MOVQ (SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPMULLD (R13), Z1, Z1
	VPADDD Z1, Z0, Z0
	ADDQ $64, R13
	ADDQ $8, SI
	DECQ CX
	JNZ tap

	VPSLLVD 192(R14), Z0, Z0     // << left
	VPMULDQ 64(R14), Z0, Z1      // even lanes: x·m (int64)
	VPSRLQ $32, Z0, Z2
	VPMULDQ 128(R14), Z2, Z2     // odd lanes
	VPADDQ Z30, Z1, Z1
	VPADDQ Z30, Z2, Z2
	VPSRLQ $31, Z1, Z1
	VPSLLQ $1, Z2, Z2
	VPBLENDMD Z2, Z1, K1, Z0
	VPSRAVD 256(R14), Z0, Z1
	VPANDD 320(R14), Z0, Z2
	VPSRAD $31, Z0, Z3
	VPADDD Z3, Z2, Z2
	VPCMPGTD 384(R14), Z2, K2
	VPSUBD Z29, Z1, K2, Z1
	VPADDD Z28, Z1, Z1
	VPMAXSD Z27, Z1, Z1
	VPMINSD Z26, Z1, Z1
	VPMOVDB Z1, X1
	VMOVDQU X1, (DI)

	ADDQ $16, DI
	ADDQ $16, R12
	ADDQ $448, R14
	DECQ R10
	JNZ block

	ADDQ ps+24(FP), R9
	DECQ R8
	JNZ pixel
	VZEROUPPER
	RET

// func dwF32AVX512(taps *uintptr, ntaps int, n int, ps int, w *float32, cblocks int, bias *float32, out *float32, lo float32, hi float32)
//
// For output pixels j in [0, n) and 16-channel blocks b: acc = bias[16b:] +
// Σ_t x[taps[t] + j·ps + 64b] · w[b][t] (fused multiply-adds in tap order),
// clamped to [lo, hi] and stored at out + (j·cblocks + b)·64.
TEXT ·dwF32AVX512(SB), NOSPLIT, $0-72
	MOVQ n+16(FP), R8
	MOVQ out+56(FP), DI
	XORQ R9, R9
	VBROADCASTSS lo+64(FP), Z28
	VBROADCASTSS hi+68(FP), Z29

fpixel:
	MOVQ cblocks+40(FP), R10
	MOVQ w+32(FP), R13
	MOVQ bias+48(FP), R14
	MOVQ R9, R12

fblock:
	VMOVUPS (R14), Z0
	MOVQ taps+0(FP), SI
	MOVQ ntaps+8(FP), CX

ftap:
	MOVQ (SI), AX
	VMOVUPS (AX)(R12*1), Z1
	VFMADD231PS (R13), Z1, Z0
	ADDQ $64, R13
	ADDQ $8, SI
	DECQ CX
	JNZ ftap

	VMAXPS Z28, Z0, Z0
	VMINPS Z29, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, R12
	ADDQ $64, R14
	DECQ R10
	JNZ fblock

	ADDQ ps+24(FP), R9
	DECQ R8
	JNZ fpixel
	VZEROUPPER
	RET
