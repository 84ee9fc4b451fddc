//go:build amd64 && !noasm

#include "textflag.h"

// MBQM(x, m, r, mask, thr, res, t1, t2): res = RoundingDivideByPOT(
// SaturatingRoundingDoublingHighMul(x, m), r) per int32 lane, for m ≥ 0
// (the saturating case needs m = MinInt32). Clobbers x, t1, t2, K2.
// Z31 holds 2^30 per int64 lane, Z30 all ones, K1 the odd lanes.
#define MBQM(x, m, r, mask, thr, res, t1, t2) \
	VPMULDQ m, x, res \
	VPSRLQ $32, x, t1 \
	VPMULDQ m, t1, t1 \
	VPADDQ Z31, res, res \
	VPADDQ Z31, t1, t1 \
	VPSRLQ $31, res, res \
	VPSLLQ $1, t1, t1 \
	VPBLENDMD t1, res, K1, x \
	VPSRAVD r, x, res \
	VPANDD mask, x, t1 \
	VPSRAD $31, x, t2 \
	VPADDD t2, t1, t1 \
	VPCMPGTD thr, t1, K2 \
	VPSUBD Z30, res, K2, res

// func addSubInt8AVX512(a, b, out *int8, n int, p *addSubVec)
// n is a positive multiple of 16.
TEXT ·addSubInt8AVX512(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ p+32(FP), R8
	MOVQ $0x40000000, AX
	VPBROADCASTQ AX, Z31
	VPTERNLOGD $0xff, Z30, Z30, Z30
	MOVL $0xAAAA, AX
	KMOVW AX, K1
	VPBROADCASTD 0(R8), Z20      // in1 offset
	VPBROADCASTD 4(R8), Z21      // in2 offset
	VPBROADCASTD 8(R8), Z22      // left shift
	VPBROADCASTD 12(R8), Z23     // in1: mult, right, mask, threshold
	VPBROADCASTD 16(R8), Z24
	VPBROADCASTD 20(R8), Z25
	VPBROADCASTD 24(R8), Z26
	VPBROADCASTD 28(R8), Z10     // in2
	VPBROADCASTD 32(R8), Z11
	VPBROADCASTD 36(R8), Z12
	VPBROADCASTD 40(R8), Z13
	VPBROADCASTD 44(R8), Z14     // out
	VPBROADCASTD 48(R8), Z15
	VPBROADCASTD 52(R8), Z16
	VPBROADCASTD 56(R8), Z17
	VPBROADCASTD 60(R8), Z18     // out offset
	VPBROADCASTD 64(R8), Z19     // min
	VPBROADCASTD 68(R8), Z9      // max
	MOVL 72(R8), BX              // sub

loop:
	VPMOVSXBD (SI), Z0
	VPADDD Z20, Z0, Z0
	VPSLLVD Z22, Z0, Z0
	MBQM(Z0, Z23, Z24, Z25, Z26, Z1, Z2, Z3)
	VPMOVSXBD (DX), Z5
	VPADDD Z21, Z5, Z5
	VPSLLVD Z22, Z5, Z5
	MBQM(Z5, Z10, Z11, Z12, Z13, Z6, Z2, Z3)
	TESTL BX, BX
	JNZ sub
	VPADDD Z6, Z1, Z7
	JMP scaled

sub:
	VPSUBD Z6, Z1, Z7

scaled:
	MBQM(Z7, Z14, Z15, Z16, Z17, Z8, Z2, Z3)
	VPADDD Z18, Z8, Z8
	VPMAXSD Z19, Z8, Z8
	VPMINSD Z9, Z8, Z8
	VPMOVDB Z8, X8
	VMOVDQU X8, (DI)
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $16, DI
	SUBQ $16, CX
	JNZ loop
	VZEROUPPER
	RET

// func addSubInt8Fast(a, b, out *int8, n int, p *addSubFast)
//
// The int8 ADD/SUB of addSubInt8AVX512 in fewer instructions, for the
// parameters addSubFastParams accepts (left shift 20, input right shifts
// at most 19, |offsets| ≤ 128, output right shift 0..31). Per input, with
// v = x + offset (|v| ≤ 256) and m = mh·2^11 + ml:
//
//	scaled = (v·mh + ((v·ml + c) >> 11) − s) >> r,  c = 2^10 + [r > 0]·2^(r+10)
//
// where s = [v < 0] for r > 0 (0 for r = 0, a logical shift by 32); see
// addSubFastParams for the proof. The output stage forms 2·raw·mo + 2A in
// 64 bits and keeps the high halves (VPERMT2D), i.e. ⌊(raw·mo + A)/2^31⌋
// with A = 2^30 + [ro > 0]·2^(ro+30), then subtracts [raw < 0] (ro > 0),
// shifts right by ro, adds the output offset and clamps.
TEXT ·addSubInt8Fast(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ p+32(FP), R8
	VPBROADCASTQ 0(R8), Z25      // 2A
	VPBROADCASTD 8(R8), Z16      // in1 offset
	VPBROADCASTD 12(R8), Z17     // in2 offset
	VPBROADCASTD 16(R8), Z18     // mh1
	VPBROADCASTD 20(R8), Z19     // ml1
	VPBROADCASTD 24(R8), Z20     // c1
	VPBROADCASTD 28(R8), Z21     // mh2
	VPBROADCASTD 32(R8), Z22     // ml2
	VPBROADCASTD 36(R8), Z23     // c2
	VPBROADCASTD 40(R8), Z24     // mo
	VPBROADCASTD 44(R8), Z26     // output offset
	VPBROADCASTD 48(R8), Z27     // min
	VPBROADCASTD 52(R8), Z28     // max
	MOVL 56(R8), BX              // sub
	MOVL 60(R8), AX
	MOVQ AX, X11                 // sign shift of input 1 (31, or 32 for r1 = 0)
	MOVL 64(R8), AX
	MOVQ AX, X12                 // r1
	MOVL 68(R8), AX
	MOVQ AX, X13
	MOVL 72(R8), AX
	MOVQ AX, X14
	MOVL 76(R8), AX
	MOVQ AX, X15                 // output sign shift
	MOVL 80(R8), AX
	MOVQ AX, X6                  // ro
	VMOVDQU32 84(R8), Z29        // high-half gather index

fastloop:
	VPMOVSXBD (SI), Z0
	VPADDD Z16, Z0, Z0
	VPMULLD Z18, Z0, Z1
	VPMULLD Z19, Z0, Z2
	VPADDD Z20, Z2, Z2
	VPSRAD $11, Z2, Z2
	VPADDD Z2, Z1, Z1
	VPSRLD X11, Z0, Z2
	VPSUBD Z2, Z1, Z1
	VPSRAD X12, Z1, Z1
	VPMOVSXBD (DX), Z3
	VPADDD Z17, Z3, Z3
	VPMULLD Z21, Z3, Z4
	VPMULLD Z22, Z3, Z5
	VPADDD Z23, Z5, Z5
	VPSRAD $11, Z5, Z5
	VPADDD Z5, Z4, Z4
	VPSRLD X13, Z3, Z5
	VPSUBD Z5, Z4, Z4
	VPSRAD X14, Z4, Z4
	TESTL BX, BX
	JNZ fastsub
	VPADDD Z4, Z1, Z7
	JMP fastraw

fastsub:
	VPSUBD Z4, Z1, Z7

fastraw:
	VPADDD Z7, Z7, Z7            // 2·raw
	VPMULDQ Z24, Z7, Z8
	VPSRLQ $32, Z7, Z9
	VPMULDQ Z24, Z9, Z9
	VPADDQ Z25, Z8, Z8
	VPADDQ Z25, Z9, Z9
	VPERMT2D Z9, Z29, Z8
	VPSRLD X15, Z7, Z9
	VPSUBD Z9, Z8, Z8
	VPSRAD X6, Z8, Z8
	VPADDD Z26, Z8, Z8
	VPMAXSD Z27, Z8, Z8
	VPMINSD Z28, Z8, Z8
	VPMOVDB Z8, X8
	VMOVDQU X8, (DI)
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $16, DI
	SUBQ $16, CX
	JNZ fastloop
	VZEROUPPER
	RET
