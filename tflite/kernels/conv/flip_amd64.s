//go:build amd64 && !noasm

#include "textflag.h"

// func flipSignAVX512(dst, src *byte, n int)
//
// dst[i] = src[i] ^ 0x80 for i < n (n ≥ 1): 64 bytes per VPXORD, the last
// partial block through masked load and store (bytes past n are neither
// read nor written).
TEXT ·flipSignAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z31
	MOVQ CX, DX
	SHRQ $6, DX
	JZ tail
blk:
	VPXORD (SI), Z31, Z0
	VMOVDQU8 Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ DX
	JNZ blk
tail:
	ANDQ $63, CX
	JZ done
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVQ AX, K1
	VMOVDQU8.Z (SI), K1, Z0
	VPXORD Z31, Z0, Z0
	VMOVDQU8 Z0, K1, (DI)
done:
	VZEROUPPER
	RET
