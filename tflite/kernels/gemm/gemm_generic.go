//go:build !(amd64 || arm64) || noasm

package gemm

// needData16 is false: no kernel reads int16 weights here.
func needData16() bool { return false }

// Impl names the micro-kernel Int8 uses on this machine.
func Impl() string { return "generic" }

func int8Fast(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) {
	int8Generic(a, lda, rows, w, q, p0, p1, out, ldo)
}

func f32Fast(a []float32, lda, rows int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	F32Generic(a, lda, rows, w, p0, p1, lo, hi, out, ldo)
}

// rowTermsFast is false: Int8Rows has no fast kernel here.
func rowTermsFast() bool { return false }

func int8RowsFast(a []int8, lda, rows int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int, rt []int32) bool {
	return false
}

// segmentedFast is false: Int8Seg has no fast kernel here.
func segmentedFast() bool { return false }

// segmentedF32Fast is false: F32Seg has no fast kernel here.
func segmentedF32Fast() bool { return false }

func f32SegFast(a []float32, lda, rows, segs, segStride int, w *PackedF32, p0, p1 int, lo, hi float32, out []float32, ldo int) {
	F32SegGeneric(a, lda, rows, segs, segStride, w, p0, p1, lo, hi, out, ldo)
}

func int8SegFast(a []int8, lda, rows, segs, segStride int, w *PackedInt8, q *Requant, p0, p1 int, out []int8, ldo int) bool {
	return false
}

func accNeedsData16() bool { return false }

func int8AccFast(a []int8, lda, rows int, w *PackedInt8, acc []int32, ldo int) {
	int8AccGeneric(a, lda, rows, w, acc, ldo)
}

// int8RowsPairsFast is false: Int8RowsPairs has no kernel here.
func int8RowsPairsFast(a []int8, lda, rows int, w *PackedInt8, q *Requant, o int, out []int8, ldo int, rt []int32) bool {
	return false
}

// unsignedFast is false: PackUint8 weights take the generic kernel here.
func unsignedFast() bool { return false }

// int8RowsKPairsFast is false: Int8RowsKPairs has no kernel here.
func int8RowsKPairsFast(a []int8, lda, rows int, w *KPairs, q *Requant, out []int8, ldo int, rt []int32) bool {
	return false
}
