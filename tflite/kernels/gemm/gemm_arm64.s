//go:build arm64 && !noasm

#include "textflag.h"

// Go's assembler has no mnemonics for these Advanced SIMD instructions, so
// they are emitted as words (encodings from the Arm ARM, checked against
// llvm-mc -show-encoding; d, n, m are V register numbers):
//
//	SDOT   Vd.4S, Vn.16B, Vm.16B   0x4e809400 | m<<16 | n<<5 | d
//	SMULL  Vd.8H, Vn.8B,  Vm.8B    0x0e20c000 | m<<16 | n<<5 | d
//	SMULL2 Vd.8H, Vn.16B, Vm.16B   0x4e20c000 | m<<16 | n<<5 | d
//	SADALP Vd.4S, Vn.8H            0x4e606800 | n<<5 | d
//	ADDP   Vd.4S, Vn.4S,  Vm.4S    0x4ea0bc00 | m<<16 | n<<5 | d
#define SDOT(d, n, m) WORD $(0x4e809400 | (m)<<16 | (n)<<5 | (d))
#define SMULL(d, n, m) WORD $(0x0e20c000 | (m)<<16 | (n)<<5 | (d))
#define SMULL2(d, n, m) WORD $(0x4e20c000 | (m)<<16 | (n)<<5 | (d))
#define SADALP(d, n) WORD $(0x4e606800 | (n)<<5 | (d))
#define ADDP(d, n, m) WORD $(0x4ea0bc00 | (m)<<16 | (n)<<5 | (d))

// One row of a 4-row SDOT block: activation bytes broadcast in Va, the
// block's 16 channels in V16..V19, accumulators V(acc)..V(acc+3).
#define SDOTROW(acc, va) \
	SDOT(acc, 16, va); \
	SDOT(acc+1, 17, va); \
	SDOT(acc+2, 18, va); \
	SDOT(acc+3, 19, va)

// func dotSDOT4(a0, a1, a2, a3 *int8, w *int8, kb int, acc *int32)
//
// acc[16r + j] = Σ_k a_r[k]·w_j[k] over kb blocks of PanelK steps, for the
// 4 rows a0..a3 and the 16 channels of one packed panel at w. Each row is
// read for exactly 4·kb bytes, the panel for 64·kb bytes.
TEXT ·dotSDOT4(SB), NOSPLIT, $0-56
	MOVD a0+0(FP), R0
	MOVD a1+8(FP), R1
	MOVD a2+16(FP), R2
	MOVD a3+24(FP), R3
	MOVD w+32(FP), R4
	MOVD kb+40(FP), R5
	MOVD acc+48(FP), R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	CBZ R5, sdotstore
sdotloop:
	VLD1.P 64(R4), [V16.B16, V17.B16, V18.B16, V19.B16]
	VLD1R (R0), [V20.S4]
	VLD1R (R1), [V21.S4]
	VLD1R (R2), [V22.S4]
	VLD1R (R3), [V23.S4]
	ADD $4, R0
	ADD $4, R1
	ADD $4, R2
	ADD $4, R3
	SDOTROW(0, 20)
	SDOTROW(4, 21)
	SDOTROW(8, 22)
	SDOTROW(12, 23)
	SUBS $1, R5, R5
	BNE sdotloop
sdotstore:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R6)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R6)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R6)
	VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R6)
	RET

// One weight vector (4 channels × 4 steps) times one row's broadcast
// activations: SMULL/SMULL2 give the 16 int16 products (|p| ≤ 2^14, exact),
// SADALP adds adjacent pairs into the int32 pair accumulators lo (channels
// 0-1 of the vector) and hi (channels 2-3).
#define NEONVEC(lo, hi, wv, va) \
	SMULL(24, wv, va); \
	SMULL2(25, wv, va); \
	SADALP(lo, 24); \
	SADALP(hi, 25)

// func dotNEON2(a0, a1 *int8, w *int8, kb int, acc *int32)
//
// dotSDOT4 without the dot-product extension, for 2 rows: acc[16r + j] for
// rows a0, a1. Accumulators hold pair sums (V(8r+2v), V(8r+2v+1) for weight
// vector v) and ADDP folds them into channel order at the end.
TEXT ·dotNEON2(SB), NOSPLIT, $0-40
	MOVD a0+0(FP), R0
	MOVD a1+8(FP), R1
	MOVD w+16(FP), R4
	MOVD kb+24(FP), R5
	MOVD acc+32(FP), R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	CBZ R5, neonstore
neonloop:
	VLD1.P 64(R4), [V16.B16, V17.B16, V18.B16, V19.B16]
	VLD1R (R0), [V20.S4]
	VLD1R (R1), [V21.S4]
	ADD $4, R0
	ADD $4, R1
	NEONVEC(0, 1, 16, 20)
	NEONVEC(2, 3, 17, 20)
	NEONVEC(4, 5, 18, 20)
	NEONVEC(6, 7, 19, 20)
	NEONVEC(8, 9, 16, 21)
	NEONVEC(10, 11, 17, 21)
	NEONVEC(12, 13, 18, 21)
	NEONVEC(14, 15, 19, 21)
	SUBS $1, R5, R5
	BNE neonloop
neonstore:
	ADDP(16, 0, 1)
	ADDP(17, 2, 3)
	ADDP(18, 4, 5)
	ADDP(19, 6, 7)
	ADDP(20, 8, 9)
	ADDP(21, 10, 11)
	ADDP(22, 12, 13)
	ADDP(23, 14, 15)
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R6)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R6)
	RET
