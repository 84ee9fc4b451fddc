//go:build amd64 && !noasm

#include "textflag.h"

// BILERP(mask) computes one vector of output channels from AX, R13, R12,
// R14 (r0[x0+c], r1[x0+c], r0[x1+c], r1[x1+c]) under mask:
// ((a*ndy)*ndx + (b*dy)*ndx) + (c*ndy)*dx + (d*dy)*dx + add into Z0.
#define BILERP(mask) \
	VMOVUPS.Z (AX), mask, Z0 \
	VMOVUPS.Z (R13), mask, Z1 \
	VMOVUPS.Z (R12), mask, Z2 \
	VMOVUPS.Z (R14), mask, Z3 \
	VMULPS Z29, Z0, Z0 \
	VMULPS Z28, Z1, Z1 \
	VMULPS Z29, Z2, Z2 \
	VMULPS Z28, Z3, Z3 \
	VMULPS Z27, Z0, Z0 \
	VMULPS Z27, Z1, Z1 \
	VMULPS Z26, Z2, Z2 \
	VMULPS Z26, Z3, Z3 \
	VADDPS Z1, Z0, Z0 \
	VADDPS Z2, Z0, Z0 \
	VADDPS Z3, Z0, Z0 \
	VADDPS Z31, Z0, Z0

// func bilinearRowAVX512(r0, r1 *float32, x0, x1 *int, dx, ndx *float32, n, d int, dy, ndy, add float32, out unsafe.Pointer, u8 int)
//
// For each output pixel i in [0, n) and channel c in [0, d):
// v = ((r0[x0+c]*ndy)*ndx + (r1[x0+c]*dy)*ndx) + (r0[x1+c]*ndy)*dx
//     + (r1[x1+c]*dy)*dx + add
// with x0 = x0[i], x1 = x1[i], dx = dx[i], ndx = ndx[i]: separate
// multiplies and adds (no FMA) in the scalar order, so the result is
// bit-identical. u8 = 0: out is float32 and gets v. u8 = 1: out is uint8
// and gets v truncated (VCVTTPS2DQ) and narrowed with unsigned saturation
// (VPMOVUSDB); the caller passes add = 0.5 and values in [0, 255.5). The
// last d%16 channels use masked loads and stores.
TEXT ·bilinearRowAVX512(SB), NOSPLIT, $0-96
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DX
	MOVQ x0+16(FP), R8
	MOVQ x1+24(FP), R9
	MOVQ dx+32(FP), R10
	MOVQ ndx+40(FP), R11
	MOVQ out+80(FP), DI
	VBROADCASTSS dy+64(FP), Z28
	VBROADCASTSS ndy+68(FP), Z29
	VBROADCASTSS add+72(FP), Z31
	KXNORW K1, K1, K1
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
	BILERP(K1)
	CMPQ u8+88(FP), $0
	JNZ cu8
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	JMP cnext

cu8:
	VCVTTPS2DQ Z0, Z0
	VPMOVUSDB Z0, (DI)
	ADDQ $16, DI

cnext:
	ADDQ $64, AX
	ADDQ $64, R13
	ADDQ $64, R12
	ADDQ $64, R14
	SUBQ $16, CX
	JMP cloop

ctail:
	TESTQ CX, CX
	JZ next
	BILERP(K2)
	CMPQ u8+88(FP), $0
	JNZ tu8
	VMOVUPS Z0, K2, (DI)
	LEAQ (DI)(CX*4), DI
	JMP next

tu8:
	VCVTTPS2DQ Z0, Z0
	VPMOVUSDB Z0, K2, (DI)
	ADDQ CX, DI

next:
	INCQ BX
	CMPQ BX, n+48(FP)
	JLT xloop
	VZEROUPPER
	RET
