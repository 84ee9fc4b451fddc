// Package gemm holds the int8 matrix-multiply micro-kernels behind the
// engine's convolutions and fully connected layers.
//
// Weights are packed once per model (PackInt8) into panels of PanelN output
// channels and blocks of PanelK consecutive reduction steps, the operand
// shape of a 4-way int8 dot-product instruction over 16 int32 lanes.
// Int8 multiplies rows of activations by the packed weights and applies the
// TensorFlow Lite requantization (per-channel multiplier with double
// rounding, output offset, clamp) with bit-exact results.
//
// Implementations, chosen at run time with golang.org/x/sys/cpu:
//
//   - amd64 with AVX-512 VNNI: VPDPBUSD multiplies unsigned by signed bytes,
//     so activations are offset by +128 (x XOR 0x80) in registers and the
//     offset is removed through a per-channel weight-sum correction folded
//     into the bias at Prepare time. The accumulators start at the bias and
//     the requantization runs in registers: where NewRequant proves every
//     intermediate fits int32 (always, for real models) a fast epilogue of
//     11 vector instructions per 16 outputs (one 64-bit rounding read as
//     the high halves of the products, the tie correction from the
//     accumulator's sign, a saturating narrowing store; paramBlocksFast
//     documents the algebra), else a general one. Tiles are up to 6 rows
//     × 4 panels, 8 rows × 3 panels, or 12 rows × 1-2 panels. Int8Seg feeds the same kernels
//     rows made of equal segments read in place (convolution windows).
//     Int8RowsPairs runs layers of at most 8 channels two rows per vector
//     (PackInt8Pairs: the channels twice over one panel), halving the
//     multiply-adds and epilogues of the one-panel tiles. PackUint8
//     weights (uint8 models) are VPDPBUSD's unsigned operand and the
//     activations, as they are, its signed one: no VPXORD per row and
//     4-k step (10-17% on MobileNetV1's 1×1 layers, on a core with two
//     512-bit vector ports), the zero points left to the caller's row
//     terms and bias; their output stage (requant16 in gen_amd64.go)
//     also drops the doubling shift: 9 vector instructions per 16
//     outputs before the narrowing. Where every channel shares one
//     multiplier and shift (per-tensor uint8 models; Requant.uni), the
//     uniform kernels (dotUTF, dotUTN) leave the row terms out of the
//     accumulators: each row's 64-bit addend carries 2m·rt, computed
//     per tile from rt, and the tie correction compares h with a
//     constant (uniformParams documents the algebra), the parameters
//     in registers. Layers of at most 8 such channels run on the k-pair
//     kernels (Int8RowsKPairs, PackUint8KPairs): one row per vector,
//     8 channels × 8 reduction steps per VPDPBUSD from one quadword
//     broadcast, no merge-masked broadcasts. Packed (64-byte) stores
//     clamp after the narrowing, as bytes, once per four accumulators.
//   - amd64 with AVX2 only: int16 copies of the packed weights, sign-extended
//     activations and VPMADDWD (exact, unlike the saturating VPMADDUBSW).
//   - arm64 with the dot-product extension (cpu.ARM64.HasASIMDDP): SDOT on
//     4 rows × 16 channels (encoded with WORD; Go's assembler lacks it).
//   - other arm64: NEON SMULL/SMULL2 + SADALP on 2 rows × 16 channels.
//     On arm64 the requantization stays in Go (MulQ).
//   - everything else (and -tags noasm): the pure-Go generic kernel, over the
//     same packed layout.
//
// Every fast kernel is tested against the generic one and a naive formula,
// bit for bit, across random shapes, strides, zero points and channel
// counts (FuzzInt8).
//
// F32 is the float32 counterpart (PackF32: 16-channel panels of K rows),
// with AVX-512 FMA micro-kernels that fuse the bias and the activation
// clamp; it agrees with a plain float32 loop within rounding.
//
// Measured on Zen 5 and not taken (BenchmarkInt8, the MobileNetV1 shapes):
// dropping the six VPXORD per 4-k step (an upper bound for pre-offset
// activations or broadcast memory operands) changes nothing at K = 32..1024,
// so the loop is not front-end bound; 2-panel × 12-row tiles to keep K=1024
// weight blocks (64 KB) in L1 lose 20% (twice the broadcasts, 49 = 4·12+1
// rows); VPADDD for the doubling (+2-3% at K ≤ 32, only valid for left
// shift 0) and VPMOVSDB straight to memory are within noise; narrowing a
// row's 2 or 4 vectors with VPACKSSDW/VPACKSSWB/VPERMD and one store loses
// 4-11% at K ≤ 192. Large-K layers run at ~90% of VPDPBUSD peak, the rest
// being the per-tile epilogue (~24 × 11 instructions against K/4 steps of
// 12 cycles); small-K layers (K ≤ 64) are epilogue bound.
//
// On an Intel core whose 512-bit work issues on two ports (VPDPBUSD and
// VPMULUDQ on both, shifts on one, shuffles on the other; VPMOVSDB is
// two uops) the narrow layers run at that issue bound, so every vector
// instruction counts: the kernels narrow four accumulators at a time
// where their 64 output bytes are contiguous (VPACKSSDW ×2, VPACKSSWB,
// VPERMB: 2-5% on MobileNetV1 0.25's 1×1 layers), and the unsigned-weight
// kernels above drop the per-step VPXORD and the doubling shift.
//
// gen_amd64.go generates gemm_amd64.s and dots_amd64.go (go run
// gen_amd64.go); requant_amd64.s is written by hand.
package gemm
