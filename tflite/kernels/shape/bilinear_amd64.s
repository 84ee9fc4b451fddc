//go:build amd64 && !noasm

#include "textflag.h"

// func bilinearRowF32AVX512(r0, r1 *float32, x0, x1 *int, dx, ndx *float32, n, d int, dy, ndy float32, out *float32)
//
// For each output pixel i in [0, n) and channel c in [0, d):
// out = ((r0[x0+c]*ndy)*ndx + (r1[x0+c]*dy)*ndx) + (r0[x1+c]*ndy)*dx
//       + (r1[x1+c]*dy)*dx + 0
// with x0 = x0[i], x1 = x1[i], dx = dx[i], ndx = ndx[i]: separate
// multiplies and adds (no FMA) in the scalar order, so the result is
// bit-identical. The last d%16 channels use masked loads and stores.
TEXT ·bilinearRowF32AVX512(SB), NOSPLIT, $0-80
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DX
	MOVQ x0+16(FP), R8
	MOVQ x1+24(FP), R9
	MOVQ dx+32(FP), R10
	MOVQ ndx+40(FP), R11
	MOVQ out+72(FP), DI
	VBROADCASTSS dy+64(FP), Z28
	VBROADCASTSS ndy+68(FP), Z29
	VPXORD Z31, Z31, Z31
	MOVQ d+56(FP), CX
	ANDQ $15, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	XORQ BX, BX

xloop:
	MOVQ (R8)(BX*8), AX
	MOVQ (R9)(BX*8), R12
	LEAQ (DX)(AX*4), R13
	LEAQ (SI)(AX*4), AX
	LEAQ (DX)(R12*4), R14
	LEAQ (SI)(R12*4), R12
	VBROADCASTSS (R10)(BX*4), Z26
	VBROADCASTSS (R11)(BX*4), Z27
	MOVQ d+56(FP), CX

cloop:
	CMPQ CX, $16
	JLT ctail
	VMOVUPS (AX), Z0
	VMOVUPS (R13), Z1
	VMOVUPS (R12), Z2
	VMOVUPS (R14), Z3
	VMULPS Z29, Z0, Z0
	VMULPS Z28, Z1, Z1
	VMULPS Z29, Z2, Z2
	VMULPS Z28, Z3, Z3
	VMULPS Z27, Z0, Z0
	VMULPS Z27, Z1, Z1
	VMULPS Z26, Z2, Z2
	VMULPS Z26, Z3, Z3
	VADDPS Z1, Z0, Z0
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z0, Z0
	VADDPS Z31, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, AX
	ADDQ $64, R13
	ADDQ $64, R12
	ADDQ $64, R14
	ADDQ $64, DI
	SUBQ $16, CX
	JMP cloop

ctail:
	TESTQ CX, CX
	JZ next
	VMOVUPS.Z (AX), K2, Z0
	VMOVUPS.Z (R13), K2, Z1
	VMOVUPS.Z (R12), K2, Z2
	VMOVUPS.Z (R14), K2, Z3
	VMULPS Z29, Z0, Z0
	VMULPS Z28, Z1, Z1
	VMULPS Z29, Z2, Z2
	VMULPS Z28, Z3, Z3
	VMULPS Z27, Z0, Z0
	VMULPS Z27, Z1, Z1
	VMULPS Z26, Z2, Z2
	VMULPS Z26, Z3, Z3
	VADDPS Z1, Z0, Z0
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z0, Z0
	VADDPS Z31, Z0, Z0
	VMOVUPS Z0, K2, (DI)
	LEAQ (DI)(CX*4), DI

next:
	INCQ BX
	CMPQ BX, n+48(FP)
	JLT xloop
	VZEROUPPER
	RET

// func roundU8AVX512(src *float32, n int, dst *uint8)
//
// dst[i] = trunc(src[i] + 0.5) for i in [0, n), src[i] in [0, 255.5): a
// float32 add (VADDPS, round to nearest, as Go's and C++'s float32 add),
// truncation (VCVTTPS2DQ) and a narrowing store (VPMOVUSDB, values already
// in [0, 255]); the last n%16 through masks. n > 0.
TEXT ·roundU8AVX512(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ dst+16(FP), DI
	MOVL $0x3f000000, AX // 0.5
	VPBROADCASTD AX, Z31
	MOVQ CX, DX
	SHRQ $4, DX
	JZ rtail
rloop:
	VMOVUPS (SI), Z0
	VADDPS Z31, Z0, Z0
	VCVTTPS2DQ Z0, Z0
	VPMOVUSDB Z0, (DI)
	ADDQ $64, SI
	ADDQ $16, DI
	DECQ DX
	JNZ rloop
rtail:
	ANDQ $15, CX
	JZ rdone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (SI), K1, Z0
	VADDPS Z31, Z0, Z0
	VCVTTPS2DQ Z0, Z0
	VPMOVUSDB Z0, K1, (DI)
rdone:
	VZEROUPPER
	RET
