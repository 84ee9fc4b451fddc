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

// func dwInt8AVX512T9(taps *uintptr, ntaps int, n int, ps int, w *int32, cblocks int, q *int32, out *int8, oz int, lo int, hi int)
//
// dwInt8AVX512 for exactly 9 taps, blocks outside and pixels inside: the
// block's weights and parameters stay in registers across the run.
TEXT ·dwInt8AVX512T9(SB), NOSPLIT, $0-88
	MOVQ taps+0(FP), SI
	MOVQ ps+24(FP), DX
	MOVQ cblocks+40(FP), R10
	MOVQ w+32(FP), R13
	MOVQ q+48(FP), R14
	MOVQ out+56(FP), R15
	MOVQ R10, BX
	SHLQ $4, BX                  // output pixel stride: 16·cblocks bytes
	XORQ R11, R11                // 16·block
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

t9block:
	VMOVDQU32 0(R13), Z10
	VMOVDQU32 64(R13), Z11
	VMOVDQU32 128(R13), Z12
	VMOVDQU32 192(R13), Z13
	VMOVDQU32 256(R13), Z14
	VMOVDQU32 320(R13), Z15
	VMOVDQU32 384(R13), Z16
	VMOVDQU32 448(R13), Z17
	VMOVDQU32 512(R13), Z18
	VMOVDQU32 0(R14), Z19        // folded bias
	VMOVDQU32 64(R14), Z21       // mult, even lanes
	VMOVDQU32 128(R14), Z22      // mult, odd lanes
	VMOVDQU32 192(R14), Z20      // left shift
	VMOVDQU32 256(R14), Z23      // right shift
	VMOVDQU32 320(R14), Z24      // mask
	VMOVDQU32 384(R14), Z25      // threshold
	MOVQ n+16(FP), R8
	MOVQ R11, R12                // j·ps + 16·block
	LEAQ (R15)(R11*1), DI

t9pixel:
	VMOVDQA32 Z19, Z0
	VPXORD Z5, Z5, Z5
	MOVQ 0(SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPMULLD Z10, Z1, Z1
	VPADDD Z1, Z0, Z0
	MOVQ 8(SI), AX
	VPMOVSXBD (AX)(R12*1), Z2
	VPMULLD Z11, Z2, Z2
	VPADDD Z2, Z5, Z5
	MOVQ 16(SI), AX
	VPMOVSXBD (AX)(R12*1), Z3
	VPMULLD Z12, Z3, Z3
	VPADDD Z3, Z0, Z0
	MOVQ 24(SI), AX
	VPMOVSXBD (AX)(R12*1), Z4
	VPMULLD Z13, Z4, Z4
	VPADDD Z4, Z5, Z5
	MOVQ 32(SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPMULLD Z14, Z1, Z1
	VPADDD Z1, Z0, Z0
	MOVQ 40(SI), AX
	VPMOVSXBD (AX)(R12*1), Z2
	VPMULLD Z15, Z2, Z2
	VPADDD Z2, Z5, Z5
	MOVQ 48(SI), AX
	VPMOVSXBD (AX)(R12*1), Z3
	VPMULLD Z16, Z3, Z3
	VPADDD Z3, Z0, Z0
	MOVQ 56(SI), AX
	VPMOVSXBD (AX)(R12*1), Z4
	VPMULLD Z17, Z4, Z4
	VPADDD Z4, Z5, Z5
	MOVQ 64(SI), AX
	VPMOVSXBD (AX)(R12*1), Z1
	VPMULLD Z18, Z1, Z1
	VPADDD Z1, Z0, Z0
	VPADDD Z5, Z0, Z0
	VPSLLVD Z20, Z0, Z0
	VPMULDQ Z21, Z0, Z1
	VPSRLQ $32, Z0, Z2
	VPMULDQ Z22, Z2, Z2
	VPADDQ Z30, Z1, Z1
	VPADDQ Z30, Z2, Z2
	VPSRLQ $31, Z1, Z1
	VPSLLQ $1, Z2, Z2
	VPBLENDMD Z2, Z1, K1, Z0
	VPSRAVD Z23, Z0, Z1
	VPANDD Z24, Z0, Z2
	VPSRAD $31, Z0, Z3
	VPADDD Z3, Z2, Z2
	VPCMPGTD Z25, Z2, K2
	VPSUBD Z29, Z1, K2, Z1
	VPADDD Z28, Z1, Z1
	VPMAXSD Z27, Z1, Z1
	VPMINSD Z26, Z1, Z1
	VPMOVDB Z1, X1
	VMOVDQU X1, (DI)
	ADDQ BX, DI
	ADDQ DX, R12
	DECQ R8
	JNZ t9pixel

	ADDQ $576, R13
	ADDQ $448, R14
	ADDQ $16, R11
	DECQ R10
	JNZ t9block
	VZEROUPPER
	RET
