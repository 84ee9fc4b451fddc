package detection

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// eagerNMS is TensorFlow Lite's NonMaxSuppressionSingleClassHelper
// transcribed step by step: keep the boxes at or above the threshold,
// sort them by decreasing score (stable), and let each selected box
// deactivate every later active box it overlaps by more than the IoU
// threshold, until limit boxes are selected or none is active.
func eagerNMS(p *Params, d, scores []float32, limit int) []int {
	var keepScore []float32
	var keepIdx []int
	for i, s := range scores[:p.NumBoxes] {
		if s >= p.ScoreThreshold {
			keepScore = append(keepScore, s)
			keepIdx = append(keepIdx, i)
		}
	}
	kept := len(keepScore)
	order := make([]int, kept)
	argsortDesc(keepScore, order, make([]int, kept))
	out := min(kept, limit)
	active := make([]bool, kept)
	for i := range active {
		active[i] = true
	}
	left := kept
	selected := []int{}
	for i := 0; i < kept; i++ {
		if left == 0 || len(selected) >= out {
			break
		}
		if !active[i] {
			continue
		}
		bi := keepIdx[order[i]]
		selected = append(selected, bi)
		active[i] = false
		left--
		for j := i + 1; j < kept; j++ {
			if active[j] && iou(d, bi, keepIdx[order[j]]) > p.IOUThreshold {
				active[j] = false
				left--
			}
		}
	}
	return selected
}

// TestNMSMatchesEager checks the lazy, heap-ordered nmsOne against the
// eager transcription: boxes crowded so that many overlap, scores from a
// few levels (ties) or continuous, thresholds that keep none, some or all,
// limits from 1 to past the box count.
func TestNMSMatchesEager(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for trial := range 400 {
		n := 1 + r.IntN(300)
		switch {
		case trial%50 == 0:
			n = 3000
		case trial%50 == 1:
			n = 1
		}
		p := &Params{NumBoxes: n, IOUThreshold: []float32{0.05, 0.3, 0.5, 0.9, 1}[r.IntN(5)],
			ScoreThreshold: []float32{-1, 0, 0.25, 0.5, 0.99, 2}[r.IntN(6)], MaxDetections: 1}
		w := NewWork(p)
		span := []float32{0.2, 1, 5}[r.IntN(3)]
		for i := range n {
			y, x := span*r.Float32(), span*r.Float32()
			h, ww := 0.05+0.5*r.Float32(), 0.05+0.5*r.Float32()
			if r.IntN(10) == 0 && i > 0 { // a copy of an earlier box
				copy(w.decoded[4*i:4*i+4], w.decoded[4*(i-1):4*i])
				continue
			}
			w.decoded[4*i], w.decoded[4*i+1], w.decoded[4*i+2], w.decoded[4*i+3] = y, x, y+h, x+ww
		}
		scores := make([]float32, n)
		levels := []int{2, 5, 256, 0}[r.IntN(4)]
		for i := range scores {
			if levels == 0 {
				scores[i] = r.Float32()
			} else {
				scores[i] = float32(r.IntN(levels)) / float32(levels-1)
			}
		}
		limit := []int{1, 2, 10, 100, n, n + 5}[r.IntN(6)]
		want := eagerNMS(p, w.decoded, scores, limit)
		nmsOne(p, w, scores, limit)
		if !slices.Equal(w.selected, want) {
			t.Fatalf("trial %d (%d boxes, limit %d, iou %v, score %v): selected %v, want %v", trial, n, limit, p.IOUThreshold, p.ScoreThreshold, w.selected, want)
		}
	}
}

// TestDecodeMatchesFormula checks decode (exponentials from the memo)
// against TensorFlow Lite's formula computed directly, on encodings from
// a few quantized levels (memo hits and slot collisions) and continuous
// ones, one Work reused across scales.
func TestDecodeMatchesFormula(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 1))
	const n = 5000
	w := NewWork(&Params{NumBoxes: n, MaxDetections: 1})
	for trial := range 12 {
		p := &Params{NumBoxes: n, YScale: 10, XScale: 10, HScale: []float32{5, 2}[trial/4%2], WScale: []float32{5, 3, 1}[trial%3]}
		boxes, anchors := make([]float32, 4*n), make([]float32, 4*n)
		for i := range boxes {
			if trial%2 == 0 {
				boxes[i] = float32(r.IntN(256)-128) * 0.05
			} else {
				boxes[i] = 8*r.Float32() - 4
			}
			anchors[i] = r.Float32()
		}
		decode(p, w, boxes, anchors, w.decoded)
		for i := range n {
			by, bx, bh, bw := float64(boxes[4*i]), float64(boxes[4*i+1]), float64(boxes[4*i+2]), float64(boxes[4*i+3])
			ay, ax, ah, aw := float64(anchors[4*i]), float64(anchors[4*i+1]), float64(anchors[4*i+2]), float64(anchors[4*i+3])
			yc := float32(by/float64(p.YScale)*ah + ay)
			xc := float32(bx/float64(p.XScale)*aw + ax)
			hh := float32(0.5 * math.Exp(bh/float64(p.HScale)) * ah)
			hw := float32(0.5 * math.Exp(bw/float64(p.WScale)) * aw)
			want := []float32{yc - hh, xc - hw, yc + hh, xc + hw}
			if got := w.decoded[4*i : 4*i+4]; !slices.Equal(got, want) {
				t.Fatalf("trial %d box %d: %v, want %v", trial, i, got, want)
			}
		}
	}
}

// TestRunCodesMatchesRun checks RunCodes on 8-bit box encodings against Run
// on their dequantized values: the decoded boxes bit for bit and the
// detections, for random code tables (scales, zero points), scales,
// anchors, encodings with extra columns, both NMS kinds, and codes that
// make invalid boxes (both must fail alike).
func TestRunCodesMatchesRun(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for i := range 200 {
		p := &Params{MaxDetections: 1 + r.IntN(20), MaxClassesPerDetection: 1 + r.IntN(2), DetectionsPerClass: 1 + r.IntN(20),
			ScoreThreshold: float32(r.Float64() * 0.6), IOUThreshold: float32(0.3 + 0.6*r.Float64()), NumClasses: 1 + r.IntN(4),
			YScale: float32(1 + 10*r.Float64()), XScale: float32(1 + 10*r.Float64()), HScale: float32(1 + 5*r.Float64()),
			WScale: float32(1 + 5*r.Float64()), RegularNMS: i%2 == 0, NumBoxes: 1 + r.IntN(400)}
		p.ClassesWithBackground = p.NumClasses + r.IntN(2)
		scale, zp := float32(0.005+0.1*r.Float64()), float32(r.IntN(256))
		var deq [256]float32
		for c := range deq {
			deq[c] = (float32(c) - zp) * scale
		}
		stride := 4 + r.IntN(3)
		codes := make([]byte, p.NumBoxes*stride)
		for j := range codes {
			codes[j] = byte(r.IntN(256))
		}
		boxes := make([]float32, 4*p.NumBoxes)
		for b := 0; b < p.NumBoxes; b++ {
			for k := range 4 {
				boxes[4*b+k] = deq[codes[b*stride+k]]
			}
		}
		anchors := make([]float32, 4*p.NumBoxes)
		for j := range anchors {
			anchors[j] = float32(r.Float64())
			if j%4 >= 2 && i%7 != 0 { // every seventh case: zero sizes, invalid boxes
				anchors[j] += 0.05
			}
		}
		scores := make([]float32, p.NumBoxes*p.ClassesWithBackground)
		for j := range scores {
			scores[j] = float32(r.IntN(20)) / 20
		}
		outs := func() ([]float32, []float32, []float32) {
			return make([]float32, 4*p.Outputs()), make([]float32, p.Outputs()), make([]float32, p.Outputs())
		}
		w1, w2 := NewWork(p), NewWork(p)
		b1, c1, s1 := outs()
		n1, err1 := Run(p, w1, boxes, anchors, scores, b1, c1, s1)
		b2, c2, s2 := outs()
		n2, err2 := RunCodes(p, w2, NewBoxCodes(p, &deq), codes, stride, anchors, scores, b2, c2, s2)
		for j, v := range w1.decoded {
			if math.Float32bits(v) != math.Float32bits(w2.decoded[j]) {
				t.Fatalf("case %d: decoded[%d] = %v from codes, %v from values", i, j, w2.decoded[j], v)
			}
		}
		if n1 != n2 || (err1 == nil) != (err2 == nil) || !slices.Equal(b1, b2) || !slices.Equal(c1, c2) || !slices.Equal(s1, s2) {
			t.Fatalf("case %d: codes gave %d detections (%v), values %d (%v)", i, n2, err2, n1, err1)
		}
	}
}
