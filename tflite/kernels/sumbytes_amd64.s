//go:build amd64 && !noasm

#include "textflag.h"

// func sumBytesAVX512(src *byte, offs *int, rows int, n int, signed bool, acc *int32)
//
// acc[j] += Σ_r src[offs[r] + j] for j < n (n a multiple of 16, rows ≥ 1),
// bytes read as int8 when signed, else uint8: 64 columns at a time in four
// int32 vectors (then 16), every row's bytes widened (sign- or
// zero-extended, one predictable branch per row) and added; exact
// (rows ≤ SumChunk keeps every sum far inside int32).
TEXT ·sumBytesAVX512(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), SI
	MOVQ offs+8(FP), BX
	MOVQ rows+16(FP), DX
	MOVQ n+24(FP), R8
	MOVBLZX signed+32(FP), AX
	MOVQ acc+40(FP), DI
	XORQ R9, R9 // column

cols64:
	MOVQ R8, R13
	SUBQ R9, R13
	CMPQ R13, $64
	JLT cols16
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ BX, R10
	MOVQ DX, R11
row64:
	MOVQ (R10), R12
	ADDQ SI, R12
	TESTQ AX, AX
	JZ zero64
	VPMOVSXBD (R12)(R9*1), Z4
	VPMOVSXBD 16(R12)(R9*1), Z5
	VPMOVSXBD 32(R12)(R9*1), Z6
	VPMOVSXBD 48(R12)(R9*1), Z7
	JMP add64
zero64:
	VPMOVZXBD (R12)(R9*1), Z4
	VPMOVZXBD 16(R12)(R9*1), Z5
	VPMOVZXBD 32(R12)(R9*1), Z6
	VPMOVZXBD 48(R12)(R9*1), Z7
add64:
	VPADDD Z4, Z0, Z0
	VPADDD Z5, Z1, Z1
	VPADDD Z6, Z2, Z2
	VPADDD Z7, Z3, Z3
	ADDQ $8, R10
	DECQ R11
	JNZ row64
	VPADDD (DI)(R9*4), Z0, Z0
	VPADDD 64(DI)(R9*4), Z1, Z1
	VPADDD 128(DI)(R9*4), Z2, Z2
	VPADDD 192(DI)(R9*4), Z3, Z3
	VMOVDQU32 Z0, (DI)(R9*4)
	VMOVDQU32 Z1, 64(DI)(R9*4)
	VMOVDQU32 Z2, 128(DI)(R9*4)
	VMOVDQU32 Z3, 192(DI)(R9*4)
	ADDQ $64, R9
	JMP cols64

cols16:
	CMPQ R9, R8
	JGE done
	VPXORD Z0, Z0, Z0
	MOVQ BX, R10
	MOVQ DX, R11
row16:
	MOVQ (R10), R12
	ADDQ SI, R12
	TESTQ AX, AX
	JZ zero16
	VPMOVSXBD (R12)(R9*1), Z4
	JMP add16
zero16:
	VPMOVZXBD (R12)(R9*1), Z4
add16:
	VPADDD Z4, Z0, Z0
	ADDQ $8, R10
	DECQ R11
	JNZ row16
	VPADDD (DI)(R9*4), Z0, Z0
	VMOVDQU32 Z0, (DI)(R9*4)
	ADDQ $16, R9
	JMP cols16

done:
	VZEROUPPER
	RET
