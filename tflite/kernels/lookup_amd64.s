//go:build amd64 && !noasm

#include "textflag.h"

// func lookupBytesAVX512(tab *[256]byte, in, out *byte, n int)
// out[i] = tab[in[i]] for i < n, 64 bytes a step: VPERMI2B looks each
// byte's low 7 bits up in the table's first and second 128 entries, and
// the byte's top bit (VPMOVB2M) picks which. Loads and stores go under a
// byte mask, all ones but for the last step's n mod 64 low bits, so
// nothing outside in[:n] or out[:n] is touched.
TEXT ·lookupBytesAVX512(SB), NOSPLIT, $0-32
	MOVQ tab+0(FP), AX
	MOVQ in+8(FP), SI
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JLE done
	VMOVDQU64 0(AX), Z16         // entries 0..63
	VMOVDQU64 64(AX), Z17        // 64..127
	VMOVDQU64 128(AX), Z18       // 128..191
	VMOVDQU64 192(AX), Z19       // 192..255

	KXNORQ K2, K2, K2            // all 64 bytes

loop:
	CMPQ CX, $64
	JAE full
	MOVQ $-1, AX
	SHLQ CX, AX
	NOTQ AX                      // the low n bits
	KMOVQ AX, K2

full:
	VMOVDQU8.Z (SI), K2, Z0
	VPMOVB2M Z0, K1              // top bits: which half
	VMOVDQA64 Z0, Z1
	VPERMI2B Z17, Z16, Z1        // Z1 = entries 0..127 at Z0's low 7 bits
	VPERMI2B Z19, Z18, Z0        // Z0 = entries 128..255
	VMOVDQU8 Z0, K1, Z1
	VMOVDQU8 Z1, K2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $64, CX
	JG loop

done:
	VZEROUPPER
	RET
