//go:build amd64 && !noasm

#include "textflag.h"

// func addPixelsF32AVX512(acc, src *float32, n, stride, c int)
//
// acc[i] += src[j·stride + i] for j = 0, 1, …, n−1 in that order, for i
// in [0, c), n ≥ 1: per channel the same float32 additions in the same
// order as a scalar loop. 64 channels at a time in four independent
// chains where there are that many, then 16, the last c%16 with masked
// loads and stores.
TEXT ·addPixelsF32AVX512(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), R8
	MOVQ stride+24(FP), R9
	MOVQ c+32(FP), CX
	SHLQ $2, R9

block4:
	CMPQ CX, $64
	JLT chunk1
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	MOVQ SI, DX
	MOVQ R8, BX

pix4:
	VADDPS (DX), Z0, Z0
	VADDPS 64(DX), Z1, Z1
	VADDPS 128(DX), Z2, Z2
	VADDPS 192(DX), Z3, Z3
	ADDQ R9, DX
	DECQ BX
	JNZ pix4
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, CX
	JMP block4

chunk1:
	MOVL $-1, AX
	KMOVW AX, K1

chunk:
	CMPQ CX, $16
	JGE full
	TESTQ CX, CX
	JZ done
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ $16, CX

full:
	VMOVUPS.Z (DI), K1, Z0
	MOVQ SI, DX
	MOVQ R8, BX

pix:
	VMOVUPS.Z (DX), K1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ R9, DX
	DECQ BX
	JNZ pix
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ chunk

done:
	VZEROUPPER
	RET
