//go:build amd64 && !noasm

#include "textflag.h"

// dwpT is the VPERMD index that orders the packed outputs (as dwvT in
// dwvnni_amd64.s): after the two saturating packs, dword 4L + p holds
// lanes 4L..4L+3 of vector p; vector p wants them at dword 4p + L.
DATA dwpT<>+0(SB)/8, $0x0000000400000000
DATA dwpT<>+8(SB)/8, $0x0000000c00000008
DATA dwpT<>+16(SB)/8, $0x0000000500000001
DATA dwpT<>+24(SB)/8, $0x0000000d00000009
DATA dwpT<>+32(SB)/8, $0x0000000600000002
DATA dwpT<>+40(SB)/8, $0x0000000e0000000a
DATA dwpT<>+48(SB)/8, $0x0000000700000003
DATA dwpT<>+56(SB)/8, $0x0000000f0000000b
GLOBL dwpT<>(SB), RODATA|NOPTR, $64

// PRQF requantizes accumulator A in place: RQF of dwvnni_amd64.s (q at
// R14 in dwVQWordsF words, the constants at DX; temporaries Z7, Z8, K3).
#define PRQF(A) \
	VPMULUDQ 64(R14), A, Z7 \
	VPSRLQ $32, A, Z8 \
	VPMULUDQ 128(R14), Z8, Z8 \
	VPADDQ 384(R14), Z7, Z7 \
	VPADDQ 448(R14), Z8, Z8 \
	VPSHUFD $0xF5, Z7, K2, Z8 \
	VPCMPD $1, 512(R14), Z8, K3 \
	VPADDD.BCST 192(DX), Z8, K3, Z8 \
	VPSRAVD 320(R14), Z8, A

// PLOAD loads 64 bytes of input row R from byte offset BX into Z4 and
// from R12 (BX + l2) into Z5, made unsigned.
#define PLOAD(R) \
	VPXORD (R)(BX*1), Z21, Z4 \
	VPXORD (R)(R12*1), Z21, Z5

// PLOADM is PLOAD for a group at an edge of the row: bytes outside the
// masks K5 (Z4) and K6 (Z5) are not read and take the input zero point
// (Z22).
#define PLOADM(R) \
	VMOVDQA64 Z22, Z4 \
	VMOVDQU8 (R)(BX*1), K5, Z4 \
	VMOVDQA64 Z22, Z5 \
	VMOVDQU8 (R)(R12*1), K6, Z5 \
	VPXORD Z21, Z4, Z4 \
	VPXORD Z21, Z5, Z5

// PROW adds a kernel row's products to Z0..Z3 from the loaded Z4, Z5: four
// VPERMB gathers (Z16: pairs 0 and 2 from Z4 and Z5, Z17: pairs 1 and 3)
// and four VPDPBUSD with the row's weights WA.
#define PROW(WA) \
	VPERMB Z4, Z16, Z6 \
	VPERMB Z4, Z17, Z7 \
	VPERMB Z5, Z16, Z8 \
	VPERMB Z5, Z17, Z9 \
	VPDPBUSD WA, Z6, Z0 \
	VPDPBUSD WA, Z7, Z1 \
	VPDPBUSD WA, Z8, Z2 \
	VPDPBUSD WA, Z9, Z3

// PRES adds the same gathers' products with a row's residual weights WB.
#define PRES(WB) \
	VPDPBUSD WB, Z6, Z0 \
	VPDPBUSD WB, Z7, Z1 \
	VPDPBUSD WB, Z8, Z2 \
	VPDPBUSD WB, Z9, Z3

// func dwInt8VNNIPairs(r0, r1, r2 *int8, n4 int, w *int8, q *int32, k *int8, out *int8, oz int, clamp int, rows int, off0 int, masks *uint64, step int, l2 int)
//
// The 3×3 int8 depthwise kernel for 8 output channels (see dwpair.go): one
// 16-lane vector is two neighbouring output pixels, lane l pixel l/8,
// channel l%8; four vectors (eight pixels) per group, n4 groups. r0, r1,
// r2 are the input rows of kernel rows 0..2; a group loads 64 bytes from
// its byte offset and 64 from l2 on, the next group step bytes on. Per
// kernel row a VPERMB turns the loaded bytes into the lanes of four bytes
// (taps kx = 0, 1, 2 and an unused one) of a pair, made unsigned by XOR
// 0x80 (the folded bias subtracts 128·Σw): pairs 0 and 1 from the first
// load (indices w bytes 384.. and 448..), 2 and 3 from the second (the
// same indices). VPDPBUSD multiplies them by the row's weights a (w bytes
// 0..191) and, where bit ky of rows is set, by its residual weights b
// (192..383; 16-bit weights w = a + b). q is one block of dwVQWordsF parameters (RQF),
// k the dwVConsts constants, out the first output pixel (64 bytes a
// group); clamp = 0 skips the clamp. The first group reads from byte
// offset off0 of the rows (−8·PadW where the rows are not padded); masks
// holds two words per group, the bytes of its two loads (from its first
// byte and 32 on) that lie in the row: a group with a byte outside loads
// with the masks (the bytes outside take the input zero point, k bytes
// 16..), the others straight.
//
// Registers: Z0..Z3 the accumulators, Z4, Z5 the loads, Z6..Z9 the
// gathered pairs (Z7, Z8 then RQF's temporaries), Z10..Z12 a, Z13..Z15 b,
// Z16, Z17 the indices, Z20 the bias, Z21 0x80 bytes, Z22 the input zero
// point bytes, Z30 the output zero point per int16, Z31 dwpT, K2 the even lanes, K5, K6 the group's masks. R15 the
// group's masks, DI zero unless the group is at an edge, R12 BX + l2.
TEXT ·dwInt8VNNIPairs(SB), NOSPLIT, $0-120
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ n4+24(FP), R8
	MOVQ w+32(FP), R13
	MOVQ q+40(FP), R14
	MOVQ k+48(FP), DX
	MOVQ out+56(FP), SI
	MOVQ oz+64(FP), DI
	VPBROADCASTW DI, Z30
	MOVW $0x5555, DI
	KMOVW DI, K2
	VMOVDQU64 dwpT<>(SB), Z31
	VMOVDQU64 0(R13), Z10
	VMOVDQU64 64(R13), Z11
	VMOVDQU64 128(R13), Z12
	VMOVDQU64 192(R13), Z13
	VMOVDQU64 256(R13), Z14
	VMOVDQU64 320(R13), Z15
	VMOVDQU64 384(R13), Z16
	VMOVDQU64 448(R13), Z17
	VMOVDQU32 (R14), Z20
	VPBROADCASTD (DX), Z21
	VPBROADCASTD 16(DX), Z22
	MOVQ off0+88(FP), BX
	MOVQ masks+96(FP), R15

pgroup:
	MOVQ (R15), R12
	MOVQ 8(R15), DI
	KMOVQ R12, K5
	KMOVQ DI, K6
	ANDQ R12, DI
	NOTQ DI
	ADDQ $16, R15
	MOVQ l2+112(FP), R12
	ADDQ BX, R12
	VMOVDQA32 Z20, Z0
	VMOVDQA32 Z20, Z1
	VMOVDQA32 Z20, Z2
	VMOVDQA32 Z20, Z3
	TESTQ DI, DI
	JNZ pedge0
	PLOAD(AX)
	JMP pload0

pedge0:
	PLOADM(AX)

pload0:
	PROW(Z10)
	TESTQ $1, rows+80(FP)
	JZ prow1
	PRES(Z13)

prow1:
	TESTQ DI, DI
	JNZ pedge1
	PLOAD(CX)
	JMP pload1

pedge1:
	PLOADM(CX)

pload1:
	PROW(Z11)
	TESTQ $2, rows+80(FP)
	JZ prow2
	PRES(Z14)

prow2:
	TESTQ DI, DI
	JNZ pedge2
	PLOAD(R9)
	JMP pload2

pedge2:
	PLOADM(R9)

pload2:
	PROW(Z12)
	TESTQ $4, rows+80(FP)
	JZ prq
	PRES(Z15)

prq:
	PRQF(Z0)
	PRQF(Z1)
	PRQF(Z2)
	PRQF(Z3)
	VPACKSSDW Z1, Z0, Z7
	VPACKSSDW Z3, Z2, Z8
	VPADDSW Z30, Z7, Z7
	VPADDSW Z30, Z8, Z8
	VPACKSSWB Z8, Z7, Z7
	VPERMD Z7, Z31, Z7
	CMPQ clamp+72(FP), $0
	JEQ pstore
	VPMAXSB 64(DX), Z7, Z7
	VPMINSB 128(DX), Z7, Z7

pstore:
	VMOVDQU64 Z7, (SI)
	ADDQ $64, SI
	ADDQ step+104(FP), BX
	DECQ R8
	JNZ pgroup
	VZEROUPPER
	RET

// PRQFT is PRQF with temporaries T1, T2 and mask KT.
#define PRQFT(A, T1, T2, KT) \
	VPMULUDQ 64(R14), A, T1 \
	VPSRLQ $32, A, T2 \
	VPMULUDQ 128(R14), T2, T2 \
	VPADDQ 384(R14), T1, T1 \
	VPADDQ 448(R14), T2, T2 \
	VPSHUFD $0xF5, T1, K2, T2 \
	VPCMPD $1, 512(R14), T2, KT \
	VPADDD.BCST 192(DX), T2, KT, T2 \
	VPSRAVD 320(R14), T2, A

// PLOAD2 loads 64 bytes of input row R from byte offset BX into Z22 and
// from R10 (BX + l2) into Z23, made unsigned.
#define PLOAD2(R) \
	VPXORD (R)(BX*1), Z21, Z22 \
	VPXORD (R)(R10*1), Z21, Z23

// PLOAD2M is PLOAD2 for a group at an edge of the row: bytes outside the
// masks K5 (Z22) and K6 (Z23) are not read and take the input zero point
// (Z26).
#define PLOAD2M(R) \
	VMOVDQA64 Z26, Z22 \
	VMOVDQU8 (R)(BX*1), K5, Z22 \
	VMOVDQA64 Z26, Z23 \
	VMOVDQU8 (R)(R10*1), K6, Z23 \
	VPXORD Z21, Z22, Z22 \
	VPXORD Z21, Z23, Z23

// PGATHER2 gathers the loaded row's four pairs into Z8..Z11: four VPERMB
// (Z18: pairs 0 and 2 from Z22 and Z23, Z19: pairs 1 and 3).
#define PGATHER2 \
	VPERMB Z22, Z18, Z8 \
	VPERMB Z22, Z19, Z9 \
	VPERMB Z23, Z18, Z10 \
	VPERMB Z23, Z19, Z11

// PDOT2 adds the gathered pairs' products with weights W to A0..A3.
#define PDOT2(W, A0, A1, A2, A3) \
	VPDPBUSD W, Z8, A0 \
	VPDPBUSD W, Z9, A1 \
	VPDPBUSD W, Z10, A2 \
	VPDPBUSD W, Z11, A3

// PNARROW2 turns requantized A0..A3 into bytes in O (temporary T).
#define PNARROW2(A0, A1, A2, A3, O, T) \
	VPACKSSDW A1, A0, O \
	VPACKSSDW A3, A2, T \
	VPADDSW Z30, O, O \
	VPADDSW Z30, T, T \
	VPACKSSWB T, O, O \
	VPERMD O, Z31, O

// func dwInt8VNNIPairs2(r0, r1, r2, r3 *int8, n4 int, w *int8, q *int32, k *int8, out *int8, orow int, oz int, clamp int, rows int, off0 int, masks *uint64, step int, l2 int)
//
// Two output rows of dwInt8VNNIPairs at once (vertical stride and dilation
// 1): r0..r3 the input rows of kernel rows 0..2 of the first output row (at
// out) and, one row down, of the second (at out + orow); each input row's
// pairs are gathered once and feed both rows. The other arguments as
// dwInt8VNNIPairs'.
//
// Registers: Z0..Z3 the first row's accumulators, Z4..Z7 the second's,
// Z8..Z11 the gathered pairs of one input row (then the bytes of the two
// rows and a temporary), Z12..Z14 a, Z15..Z17 b, Z18, Z19 the indices, Z20
// the bias, Z21 0x80 bytes, Z22, Z23 the loads (then RQF's temporaries),
// Z26 the input zero point bytes, Z30 the output zero point per int16, Z31 dwpT, K2 the even lanes, K5, K6 the group's
// masks. R15 the group's masks, R11 zero unless the group is at an edge,
// R10 BX + l2.
TEXT ·dwInt8VNNIPairs2(SB), NOSPLIT, $0-136
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), CX
	MOVQ r2+16(FP), R9
	MOVQ r3+24(FP), R12
	MOVQ n4+32(FP), R8
	MOVQ w+40(FP), R13
	MOVQ q+48(FP), R14
	MOVQ k+56(FP), DX
	MOVQ out+64(FP), SI
	MOVQ orow+72(FP), DI
	ADDQ SI, DI
	MOVQ oz+80(FP), R15
	VPBROADCASTW R15, Z30
	MOVW $0x5555, R15
	KMOVW R15, K2
	VMOVDQU64 dwpT<>(SB), Z31
	VMOVDQU64 0(R13), Z12
	VMOVDQU64 64(R13), Z13
	VMOVDQU64 128(R13), Z14
	VMOVDQU64 192(R13), Z15
	VMOVDQU64 256(R13), Z16
	VMOVDQU64 320(R13), Z17
	VMOVDQU64 384(R13), Z18
	VMOVDQU64 448(R13), Z19
	VMOVDQU32 (R14), Z20
	VPBROADCASTD (DX), Z21
	VPBROADCASTD 16(DX), Z26
	MOVQ off0+104(FP), BX
	MOVQ masks+112(FP), R15

qgroup:
	MOVQ (R15), R10
	MOVQ 8(R15), R11
	KMOVQ R10, K5
	KMOVQ R11, K6
	ANDQ R10, R11
	NOTQ R11
	ADDQ $16, R15
	MOVQ l2+128(FP), R10
	ADDQ BX, R10
	VMOVDQA32 Z20, Z0
	VMOVDQA32 Z20, Z1
	VMOVDQA32 Z20, Z2
	VMOVDQA32 Z20, Z3
	VMOVDQA32 Z20, Z4
	VMOVDQA32 Z20, Z5
	VMOVDQA32 Z20, Z6
	VMOVDQA32 Z20, Z7

	// Input row 0: kernel row 0 of the first output row.
	TESTQ R11, R11
	JNZ qedge0
	PLOAD2(AX)
	JMP qload0

qedge0:
	PLOAD2M(AX)

qload0:
	PGATHER2
	PDOT2(Z12, Z0, Z1, Z2, Z3)
	TESTQ $1, rows+96(FP)
	JZ qin1
	PDOT2(Z15, Z0, Z1, Z2, Z3)

qin1:
	// Input row 1: kernel row 1 of the first, row 0 of the second.
	TESTQ R11, R11
	JNZ qedge1
	PLOAD2(CX)
	JMP qload1

qedge1:
	PLOAD2M(CX)

qload1:
	PGATHER2
	PDOT2(Z13, Z0, Z1, Z2, Z3)
	PDOT2(Z12, Z4, Z5, Z6, Z7)
	TESTQ $2, rows+96(FP)
	JZ qin1b
	PDOT2(Z16, Z0, Z1, Z2, Z3)

qin1b:
	TESTQ $1, rows+96(FP)
	JZ qin2
	PDOT2(Z15, Z4, Z5, Z6, Z7)

qin2:
	// Input row 2: kernel row 2 of the first, row 1 of the second.
	TESTQ R11, R11
	JNZ qedge2
	PLOAD2(R9)
	JMP qload2

qedge2:
	PLOAD2M(R9)

qload2:
	PGATHER2
	PDOT2(Z14, Z0, Z1, Z2, Z3)
	PDOT2(Z13, Z4, Z5, Z6, Z7)
	TESTQ $4, rows+96(FP)
	JZ qin2b
	PDOT2(Z17, Z0, Z1, Z2, Z3)

qin2b:
	TESTQ $2, rows+96(FP)
	JZ qin3
	PDOT2(Z16, Z4, Z5, Z6, Z7)

qin3:
	// Input row 3: kernel row 2 of the second output row.
	TESTQ R11, R11
	JNZ qedge3
	PLOAD2(R12)
	JMP qload3

qedge3:
	PLOAD2M(R12)

qload3:
	PGATHER2
	PDOT2(Z14, Z4, Z5, Z6, Z7)
	TESTQ $4, rows+96(FP)
	JZ qrq
	PDOT2(Z17, Z4, Z5, Z6, Z7)

qrq:
	PRQFT(Z0, Z22, Z23, K3)
	PRQFT(Z4, Z24, Z25, K4)
	PRQFT(Z1, Z22, Z23, K3)
	PRQFT(Z5, Z24, Z25, K4)
	PRQFT(Z2, Z22, Z23, K3)
	PRQFT(Z6, Z24, Z25, K4)
	PRQFT(Z3, Z22, Z23, K3)
	PRQFT(Z7, Z24, Z25, K4)
	PNARROW2(Z0, Z1, Z2, Z3, Z8, Z9)
	PNARROW2(Z4, Z5, Z6, Z7, Z10, Z11)
	CMPQ clamp+88(FP), $0
	JEQ qstore
	VPMAXSB 64(DX), Z8, Z8
	VPMINSB 128(DX), Z8, Z8
	VPMAXSB 64(DX), Z10, Z10
	VPMINSB 128(DX), Z10, Z10

qstore:
	VMOVDQU64 Z8, (SI)
	VMOVDQU64 Z10, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ step+120(FP), BX
	DECQ R8
	JNZ qgroup
	VZEROUPPER
	RET
