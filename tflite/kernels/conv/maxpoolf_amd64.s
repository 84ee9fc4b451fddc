//go:build amd64 && !noasm

#include "textflag.h"

DATA maxpoolNegInf<>+0(SB)/4, $0xff800000
GLOBL maxpoolNegInf<>(SB), RODATA|NOPTR, $4

// func maxPoolPixelF32AVX512(out, in *float32, offs *int, k, c int)
//
// out[i] = max over j < k of in[offs[j]+i], i < c, k >= 1, with Go's max
// semantics: NaN if any value is NaN, +0 over -0. Each step takes
// VMAXPS(m, v), replaces it with m AND v where m == v (so +0 wins over
// -0; equal non-zero values are unchanged), and collects the lanes where v
// is NaN, which are set to NaN at the end. The last c%16 channels use
// masked loads and stores.
TEXT ·maxPoolPixelF32AVX512(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ k+24(FP), R9
	MOVQ c+32(FP), CX
	VBROADCASTSS maxpoolNegInf<>(SB), Z30
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
	VMOVAPS Z30, Z0
	KXORW K3, K3, K3
	XORQ BX, BX

win:
	MOVQ (R8)(BX*8), AX
	VMOVUPS.Z (SI)(AX*4), K1, Z1
	VCMPPS $0x03, Z1, Z1, K4
	KORW K4, K3, K3
	VCMPPS $0x00, Z1, Z0, K2
	VPANDD Z1, Z0, Z2
	VMAXPS Z1, Z0, Z0
	VMOVAPS Z2, K2, Z0
	INCQ BX
	CMPQ BX, R9
	JLT win

	VPTERNLOGD $0xff, Z3, Z3, Z3
	VMOVAPS Z3, K3, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ chunk

done:
	VZEROUPPER
	RET

// func maxPoolRowF32AVX512(out, in *float32, offs *int, k, c, n, instep, outstep int, lo, hi float32)
//
// maxPoolPixelF32AVX512 for n output pixels whose windows have the same
// shape: pixel p reads in + p·instep bytes (plus offs[j] values, j < k)
// and writes out + p·outstep bytes, each result clamped to [lo, hi] as
// clampF does (VMAXPS/VMINPS with the value as the second source, so NaN
// and values equal to a bound pass unchanged).
TEXT ·maxPoolRowF32AVX512(SB), NOSPLIT, $0-72
	MOVQ out+0(FP), R10
	MOVQ in+8(FP), R11
	MOVQ offs+16(FP), R8
	MOVQ k+24(FP), R9
	MOVQ n+40(FP), R12
	VBROADCASTSS maxpoolNegInf<>(SB), Z30
	VBROADCASTSS lo+64(FP), Z28
	VBROADCASTSS hi+68(FP), Z29

rpixel:
	MOVQ R10, DI
	MOVQ R11, SI
	MOVQ c+32(FP), CX
	MOVL $-1, AX
	KMOVW AX, K1

rchunk:
	CMPQ CX, $16
	JGE rfull
	TESTQ CX, CX
	JZ rnext
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ $16, CX

rfull:
	VMOVAPS Z30, Z0
	KXORW K3, K3, K3
	XORQ BX, BX

rwin:
	MOVQ (R8)(BX*8), AX
	VMOVUPS.Z (SI)(AX*4), K1, Z1
	VCMPPS $0x03, Z1, Z1, K4
	KORW K4, K3, K3
	VCMPPS $0x00, Z1, Z0, K2
	VPANDD Z1, Z0, Z2
	VMAXPS Z1, Z0, Z0
	VMOVAPS Z2, K2, Z0
	INCQ BX
	CMPQ BX, R9
	JLT rwin

	VPTERNLOGD $0xff, Z3, Z3, Z3
	VMOVAPS Z3, K3, Z0
	VMAXPS Z0, Z28, Z0
	VMINPS Z0, Z29, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ rchunk

rnext:
	ADDQ outstep+56(FP), R10
	ADDQ instep+48(FP), R11
	DECQ R12
	JNZ rpixel
	VZEROUPPER
	RET

DATA argmaxLowest<>+0(SB)/4, $0xff7fffff // -MaxFloat32
GLOBL argmaxLowest<>(SB), RODATA|NOPTR, $4
DATA argmaxFirst<>+0(SB)/4, $0x3dcccccd // float32(0.1)
GLOBL argmaxFirst<>(SB), RODATA|NOPTR, $4

// func maxPoolArgmaxRowF32AVX512(out, idx, in *float32, offs *int, pos *float32, k, c, n, instep, outstep int, lo, hi float32)
//
// MediaPipe's MaxPoolingWithArgmax2D for n output pixels whose windows
// have the same shape: pixel p reads in + p·instep bytes plus offs[j]
// values for j < k in window order and writes out and idx + p·outstep
// bytes. Per channel the maximum starts at -MaxFloat32 with index 0.1;
// value j replaces it where it compares greater (ordered: NaN never does),
// with index pos[j]; the maximum is then clamped to [lo, hi] as clampF
// does. The last c%16 channels use masked loads and stores.
TEXT ·maxPoolArgmaxRowF32AVX512(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), R10
	MOVQ idx+8(FP), R13
	MOVQ in+16(FP), R11
	MOVQ offs+24(FP), R8
	MOVQ pos+32(FP), R14
	MOVQ k+40(FP), R9
	MOVQ n+56(FP), R12
	VBROADCASTSS argmaxLowest<>(SB), Z30
	VBROADCASTSS argmaxFirst<>(SB), Z31
	VBROADCASTSS lo+80(FP), Z28
	VBROADCASTSS hi+84(FP), Z29

apixel:
	MOVQ R10, DI
	MOVQ R13, DX
	MOVQ R11, SI
	MOVQ c+48(FP), CX
	MOVL $-1, AX
	KMOVW AX, K1

achunk:
	CMPQ CX, $16
	JGE afull
	TESTQ CX, CX
	JZ anext
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ $16, CX

afull:
	VMOVAPS Z30, Z0
	VMOVAPS Z31, Z2
	XORQ BX, BX

awin:
	MOVQ (R8)(BX*8), AX
	VMOVUPS.Z (SI)(AX*4), K1, Z1
	VCMPPS $0x1e, Z0, Z1, K2       // v > best (false for NaN)
	VMOVAPS Z1, K2, Z0
	VBROADCASTSS (R14)(BX*4), K2, Z2
	INCQ BX
	CMPQ BX, R9
	JLT awin

	VMAXPS Z0, Z28, Z0
	VMINPS Z0, Z29, Z0
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z2, K1, (DX)
	ADDQ $64, DI
	ADDQ $64, DX
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ achunk

anext:
	ADDQ outstep+72(FP), R10
	ADDQ outstep+72(FP), R13
	ADDQ instep+64(FP), R11
	DECQ R12
	JNZ apixel
	VZEROUPPER
	RET
