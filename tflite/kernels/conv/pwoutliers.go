package conv

import "github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"

// PointwiseOutliers computes the outlier channels of a uint8 1×1 stride-1
// unpadded convolution (OffsetUint8Filter) on the vector int8 dot
// products: each channel's v = w − zw, which spans [−255, 255], is split
// into two or three int8 parts whose sum is v, and the parts' raw sums
// Σ x'·part (gemm.Int8Acc, exact int32) add up to Σ x'·v.
type PointwiseOutliers struct {
	chans []int            // the outlier channels
	owner []int            // packed channel → index in chans
	sumV  []int32          // Σ v over each outlier channel's taps
	w     *gemm.PackedInt8 // the parts, K = input channels
}

// maxOutlierParts bounds the packed channels (so one chunk of rows fits
// the stack buffer of Run).
const maxOutlierParts = 64

// NewPointwiseOutliers splits the outlier channels chans of the uint8
// filter w ([outC, inC], zero point zw); nil when there are too many.
func NewPointwiseOutliers(w []uint8, zw int32, inC int, chans []int) *PointwiseOutliers {
	p := &PointwiseOutliers{chans: chans, sumV: make([]int32, len(chans))}
	var parts []int8
	for j, oc := range chans {
		v := make([]int32, inC)
		for i := range v {
			v[i] = int32(w[oc*inC+i]) - zw
			p.sumV[j] += v[i]
		}
		for { // peel off int8 parts until nothing is left
			rest, part := false, make([]int8, inC)
			for i, r := range v {
				d := min(max(r, -128), 127)
				part[i], v[i] = int8(d), r-d
				rest = rest || v[i] != 0
			}
			parts = append(parts, part...)
			p.owner = append(p.owner, j)
			if !rest {
				break
			}
		}
	}
	if len(p.owner) > maxOutlierParts {
		return nil
	}
	p.w = gemm.PackInt8Acc(parts, len(p.owner), inC)
	return p
}

// Run writes the outlier channels of rows output pixels: x is the flipped
// input (x' = x − 128 as int8, rows×inC), q the uint8 output stage, out
// the uint8 output (rows×outC), each byte written as y ^ outXor.
func (p *PointwiseOutliers) Run(q *Requant, bias []int32, x []int8, rows, outC int, out []uint8, outXor uint8) {
	var buf [8 * maxOutlierParts]int32
	np := len(p.owner)
	chunk := len(buf) / np
	inC := p.w.K
	off := q.InputOffset + 128 // Σ (x − zx)·v = Σ x'·v + (128 − zx)·Σ v
	for r0 := 0; r0 < rows; r0 += chunk {
		n := min(chunk, rows-r0)
		gemm.Int8Acc(x[r0*inC:rows*inC], inC, n, p.w, buf[:n*np], np)
		for r := 0; r < n; r++ {
			o := out[(r0+r)*outC:][:outC]
			acc := buf[r*np:][:np]
			for j, oc := range p.chans {
				s := off * p.sumV[j]
				for c, own := range p.owner {
					if own == j {
						s += acc[c]
					}
				}
				if bias != nil {
					s += bias[oc]
				}
				o[oc] = uint8(clamp(scale(s, q.Mult[oc], q.Shift[oc])+q.OutputOffset, q.Min, q.Max)) ^ outXor
			}
		}
	}
}
