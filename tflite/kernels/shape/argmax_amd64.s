//go:build amd64 && !noasm

#include "textflag.h"

// func argBytesAVX512(in *byte, rows, axis int, out *int32, xor int)
//
// out[r] = the first index of the largest byte of row r (axis bytes from
// in + r·axis, 1 ≤ axis ≤ 64) after each byte is XORed with xor, compared
// unsigned: a row is one masked (zeroing) load, XORed and masked again so
// the bytes past the row are 0 (never above a row byte); its maximum by
// halving reductions, broadcast and compared, and the lowest set bit of
// the equality mask is the index. XOR 0x80 orders int8 bytes, 0xFF (or
// 0x7F for int8) turns a minimum into a maximum.
TEXT ·argBytesAVX512(SB), NOSPLIT, $0-40
	MOVQ in+0(FP), SI
	MOVQ rows+8(FP), DX
	MOVQ axis+16(FP), CX
	MOVQ out+24(FP), DI
	MOVQ xor+32(FP), AX
	VPBROADCASTB AX, Z31
	MOVQ $-1, AX
	CMPQ CX, $64
	JEQ full
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
full:
	KMOVQ AX, K1
	VPXORD Z30, Z30, Z30
row:
	VMOVDQU8.Z (SI), K1, Z0
	VPXORQ Z31, Z0, Z0
	VMOVDQU8.Z Z0, K1, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPMAXUB Y1, Y0, Y1
	VEXTRACTI128 $1, Y1, X2
	VPMAXUB X2, X1, X1
	VPSRLDQ $8, X1, X2
	VPMAXUB X2, X1, X1
	VPSRLDQ $4, X1, X2
	VPMAXUB X2, X1, X1
	VPSRLDQ $2, X1, X2
	VPMAXUB X2, X1, X1
	VPSRLDQ $1, X1, X2
	VPMAXUB X2, X1, X1
	VPBROADCASTB X1, Z1
	VPCMPEQB Z1, Z0, K1, K2
	KMOVQ K2, AX
	TZCNTQ AX, AX
	MOVL AX, (DI)
	ADDQ CX, SI
	ADDQ $4, DI
	DECQ DX
	JNZ row
	VZEROUPPER
	RET
