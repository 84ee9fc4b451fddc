// Package detection holds the arithmetic of TensorFlow Lite's
// TFLite_Detection_PostProcess custom operator (SSD box decoding and
// non-maximum suppression) and of Coral's PosenetDecoderOp (pose decoding)
// as pure functions over validated parameters and float32 data. It keeps no state beyond the Work buffers its callers
// own; functions are safe for concurrent use on distinct Work values.
package detection

import (
	"errors"
	"math"
	"slices"
)

// Params are the operator's options (its custom_options) and input sizes.
type Params struct {
	MaxDetections          int     // detections returned
	MaxClassesPerDetection int     // fast NMS: classes reported per box
	DetectionsPerClass     int     // regular NMS: boxes kept per class
	ScoreThreshold         float32 // nms_score_threshold
	IOUThreshold           float32 // nms_iou_threshold, in (0, 1]
	NumClasses             int     // classes without the background
	YScale, XScale         float32 // box-center scales
	HScale, WScale         float32 // box-size scales
	RegularNMS             bool    // use_regular_nms: NMS per class
	NumBoxes               int     // anchors
	ClassesWithBackground  int     // class predictions per box (NumClasses or NumClasses+1)
}

// Outputs returns the number of detection slots: MaxDetections ·
// MaxClassesPerDetection.
func (p *Params) Outputs() int { return p.MaxDetections * p.MaxClassesPerDetection }

// ErrInvalidBoxes is returned when a decoded box has no area (its minimum
// corner not below its maximum): TensorFlow Lite fails the same way.
var ErrInvalidBoxes = errors.New("detection: decoded box with ymin >= ymax or xmin >= xmax")

// Work is the scratch of one Run, sized for one Params by NewWork.
type Work struct {
	decoded  []float32 // [NumBoxes][4] ymin, xmin, ymax, xmax
	scores   []float32 // per-box scores of the current class
	heap     []cand    // candidates above the score threshold
	top      []cand    // the first candidates in order, when there are many
	sorted   []int
	sortTmp  []int // merge-sort scratch
	selected []int
	// Regular NMS: the best candidates so far (box·classes + class) and
	// their scores, NumBoxes + MaxDetections long.
	candIdx   []int
	candScore []float32
	tmpIdx    []int
	tmpScore  []float32
	classIdx  []int // fast NMS: [NumBoxes][classes reported] best classes
	rowIdx    []int // fast NMS: one box's classes by score
	expH      expMemo
	expW      expMemo
}

// NewWork returns scratch for p.
func NewWork(p *Params) *Work {
	n := p.NumBoxes
	w := &Work{
		decoded:  make([]float32, 4*n),
		scores:   make([]float32, n),
		heap:     make([]cand, 0, n),
		top:      make([]cand, 0, min(8*min(max(p.MaxDetections, p.DetectionsPerClass), n)+64, n)),
		sorted:   make([]int, n+p.MaxDetections),
		sortTmp:  make([]int, max(n+p.MaxDetections, p.NumClasses)),
		selected: make([]int, 0, n),
	}
	if p.RegularNMS {
		w.candIdx = make([]int, n+p.MaxDetections)
		w.candScore = make([]float32, n+p.MaxDetections)
		w.tmpIdx = make([]int, p.MaxDetections)
		w.tmpScore = make([]float32, p.MaxDetections)
	} else {
		w.classIdx = make([]int, n*min(p.MaxClassesPerDetection, p.NumClasses))
		w.rowIdx = make([]int, p.NumClasses)
	}
	return w
}

// Run decodes boxes ([NumBoxes][4] center-size encodings y, x, h, w)
// against anchors ([NumBoxes][4] y, x, h, w), selects detections from
// scores ([NumBoxes][ClassesWithBackground], the background first when
// present) and writes outBoxes ([Outputs][4]), outClasses and outScores
// ([Outputs]) and the number of detections. Slots past the detections
// are zero.
func Run(p *Params, w *Work, boxes, anchors, scores, outBoxes, outClasses, outScores []float32) (int, error) {
	decode(p, w, boxes, anchors, w.decoded)
	return selectDecoded(p, w, scores, outBoxes, outClasses, outScores)
}

// RunCodes is Run for 8-bit box encodings: codes holds NumBoxes rows of
// stride bytes (y, x, h, w first), each byte indexing t's terms; the
// boxes decode as Run decodes their dequantized values, bit for bit.
func RunCodes(p *Params, w *Work, t *BoxCodes, codes []byte, stride int, anchors, scores, outBoxes, outClasses, outScores []float32) (int, error) {
	decodeCodes(p, t, codes, stride, anchors, w.decoded)
	return selectDecoded(p, w, scores, outBoxes, outClasses, outScores)
}

// selectDecoded is Run after the decode: the box check and the selection.
func selectDecoded(p *Params, w *Work, scores, outBoxes, outClasses, outScores []float32) (int, error) {
	clear(outBoxes)
	clear(outClasses)
	clear(outScores)
	if !validBoxes(p, w.decoded) {
		return 0, ErrInvalidBoxes
	}
	if p.RegularNMS {
		return regular(p, w, scores, outBoxes, outClasses, outScores)
	}
	return fast(p, w, scores, outBoxes, outClasses, outScores)
}

// decode turns center-size encodings into corners, in double precision as
// TensorFlow Lite does. The exponentials come through w's memo: quantized
// encodings take few distinct values.
func decode(p *Params, w *Work, boxes, anchors, out []float32) {
	hs, ws := float64(p.HScale), float64(p.WScale)
	w.expH.use(hs)
	w.expW.use(ws)
	for i := 0; i < p.NumBoxes; i++ {
		by, bx := float64(boxes[4*i]), float64(boxes[4*i+1])
		ay, ax, ah, aw := float64(anchors[4*i]), float64(anchors[4*i+1]), float64(anchors[4*i+2]), float64(anchors[4*i+3])
		yc := float32(by/float64(p.YScale)*ah + ay)
		xc := float32(bx/float64(p.XScale)*aw + ax)
		hh := float32(0.5 * w.expH.exp(boxes[4*i+2], hs) * ah)
		hw := float32(0.5 * w.expW.exp(boxes[4*i+3], ws) * aw)
		out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = yc-hh, xc-hw, yc+hh, xc+hw
	}
}

// BoxCodes holds, for each code of 8-bit box encodings whose dequantized
// value is v (NewBoxCodes), the terms decode computes from v: v/YScale,
// v/XScale, exp(v/HScale) and exp(v/WScale), in float64.
type BoxCodes struct {
	cy, cx, eh, ew [256]float64
}

// NewBoxCodes returns the terms of p's decode for the 256 codes whose
// dequantized values are deq (indexed by the code's byte).
func NewBoxCodes(p *Params, deq *[256]float32) *BoxCodes {
	t := &BoxCodes{}
	for c, v := range deq {
		f := float64(v)
		t.cy[c], t.cx[c] = f/float64(p.YScale), f/float64(p.XScale)
		t.eh[c], t.ew[c] = math.Exp(f/float64(p.HScale)), math.Exp(f/float64(p.WScale))
	}
	return t
}

// decodeCodes is decode of codes through t: the same expressions on the
// same float64 terms, looked up instead of recomputed.
func decodeCodes(p *Params, t *BoxCodes, codes []byte, stride int, anchors, out []float32) {
	for i := 0; i < p.NumBoxes; i++ {
		c := codes[i*stride : i*stride+4]
		ay, ax, ah, aw := float64(anchors[4*i]), float64(anchors[4*i+1]), float64(anchors[4*i+2]), float64(anchors[4*i+3])
		yc := float32(t.cy[c[0]]*ah + ay)
		xc := float32(t.cx[c[1]]*aw + ax)
		hh := float32(0.5 * t.eh[c[2]] * ah)
		hw := float32(0.5 * t.ew[c[3]] * aw)
		out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = yc-hh, xc-hw, yc+hh, xc+hw
	}
}

// expMemo remembers math.Exp(float64(v)/scale) for recent v, direct-mapped
// by a hash of v's bits.
type expMemo struct {
	scale float64
	key   [1 << expMemoBits]uint64 // v's bits | 1<<32; 0: empty
	val   [1 << expMemoBits]float64
}

const expMemoBits = 10

// use empties the memo unless it holds exponentials for scale.
func (m *expMemo) use(scale float64) {
	if m.scale != scale {
		clear(m.key[:])
		m.scale = scale
	}
}

// exp returns math.Exp(float64(v) / scale), scale being the one set by use.
func (m *expMemo) exp(v float32, scale float64) float64 {
	b := math.Float32bits(v)
	k := uint64(b) | 1<<32
	i := (b * 0x9E3779B1) >> (32 - expMemoBits)
	if m.key[i] == k {
		return m.val[i]
	}
	e := math.Exp(float64(v) / scale)
	m.key[i], m.val[i] = k, e
	return e
}

// iou is the intersection over union of decoded boxes i and j.
func iou(d []float32, i, j int) float32 {
	a, b := d[4*i:4*i+4], d[4*j:4*j+4]
	areaA := (a[2] - a[0]) * (a[3] - a[1])
	areaB := (b[2] - b[0]) * (b[3] - b[1])
	if areaA <= 0 || areaB <= 0 {
		return 0
	}
	ymin, xmin := max(a[0], b[0]), max(a[1], b[1])
	ymax, xmax := min(a[2], b[2]), min(a[3], b[3])
	inter := max(ymax-ymin, 0) * max(xmax-xmin, 0)
	return inter / (areaA + areaB - inter)
}

// validBoxes reports whether every decoded box has ymin < ymax and
// xmin < xmax (NaN coordinates pass, as in TensorFlow Lite).
func validBoxes(p *Params, d []float32) bool {
	for i := 0; i < p.NumBoxes; i++ {
		if d[4*i] >= d[4*i+2] || d[4*i+1] >= d[4*i+3] {
			return false
		}
	}
	return true
}

// nmsOne runs greedy non-maximum suppression over one score per box:
// boxes scoring at least the threshold, by decreasing score (stable),
// each suppressing later ones that overlap it by more than the IoU
// threshold; at most limit are selected, into w.selected.
//
// TensorFlow Lite sorts every box above the threshold and lets each
// selected box deactivate the later ones it overlaps. A box is selected
// exactly when no box selected before it overlaps it, so this takes the
// candidates one at a time in that order and tests each against the boxes
// selected so far, with the same IoU arguments, stopping at limit
// selections: the same selection for a fraction of the IoUs when limit is
// small. Only as many candidates as it looks at are ordered: with many
// above the threshold, the first cap(w.top) of them are picked in one
// pass and sorted, and the rest go through a heap only if those do not
// reach the limit.
func nmsOne(p *Params, w *Work, scores []float32, limit int) {
	h := w.heap[:0]
	for i, s := range scores[:p.NumBoxes] {
		if s >= p.ScoreThreshold {
			h = append(h, cand{s, int32(i)})
		}
	}
	w.selected = w.selected[:0]
	if k := cap(w.top); k > 0 && len(h) > 2*k {
		// Most boxes pass the threshold: the first k candidates in order,
		// kept in a heap with the last of them at the root (one compare
		// for most boxes), sorted, usually decide the selection; the
		// rest, all after them, are ordered only when they do not.
		top := w.top[:0]
		for _, c := range h {
			switch {
			case len(top) < k:
				top = append(top, c)
				if len(top) == k {
					for i := k/2 - 1; i >= 0; i-- {
						siftDownLast(top, i)
					}
				}
			case c.before(top[0]):
				top[0] = c
				siftDownLast(top, 0)
			}
		}
		lastTop := top[0]
		slices.SortFunc(top, func(a, b cand) int {
			if a.before(b) {
				return -1
			}
			return 1
		})
		for _, c := range top {
			if len(w.selected) >= limit {
				return
			}
			w.consider(p, int(c.idx))
		}
		rest := h[:0]
		for _, c := range h {
			if lastTop.before(c) {
				rest = append(rest, c)
			}
		}
		h = rest
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
	for len(h) > 0 && len(w.selected) < limit {
		c := int(h[0].idx)
		last := len(h) - 1
		h[0] = h[last]
		h = h[:last]
		if last > 0 {
			siftDown(h, 0)
		}
		w.consider(p, c)
	}
}

// consider selects box c unless a box selected before it overlaps it by
// more than the IoU threshold (the IoU of the selected box with c, as
// TensorFlow Lite computes it).
func (w *Work) consider(p *Params, c int) {
	for _, s := range w.selected {
		if iou(w.decoded, s, c) > p.IOUThreshold {
			return
		}
	}
	w.selected = append(w.selected, c)
}

// cand is a box above the score threshold.
type cand struct {
	score float32
	idx   int32
}

// before orders candidates by decreasing score, equal scores by
// increasing box index: the order of TensorFlow Lite's stable
// DecreasingArgSort (scores are never NaN here: they passed s >= t).
func (a cand) before(b cand) bool {
	return a.score > b.score || (a.score == b.score && a.idx < b.idx)
}

// siftDownLast restores the heap property (h[0] last in before's order)
// below i.
func siftDownLast(h []cand, i int) {
	n := len(h)
	x := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c].before(h[c+1]) {
			c++
		}
		if !x.before(h[c]) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// siftDown restores the heap property (h[0] first in before's order)
// below i.
func siftDown(h []cand, i int) {
	n := len(h)
	x := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].before(h[c]) {
			c++
		}
		if !h[c].before(x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// argsortDesc sets idx (len n) to 0..n-1 ordered by decreasing values,
// equal values by increasing index: TensorFlow Lite's stable
// DecreasingArgSort, and the order its partial sort's comparator defines.
// tmp needs len(idx) entries. It allocates nothing.
func argsortDesc(values []float32, idx, tmp []int) {
	n := len(idx)
	for i := range idx {
		idx[i] = i
	}
	src, dst := idx, tmp[:n]
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if values[src[j]] > values[src[i]] {
					dst[k] = src[j]
					j++
				} else {
					dst[k] = src[i]
					i++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	if n > 0 && &src[0] != &idx[0] {
		copy(idx, src)
	}
}

func regular(p *Params, w *Work, scores, outBoxes, outClasses, outScores []float32) (int, error) {
	cw := p.ClassesWithBackground
	off := cw - p.NumClasses
	size := 0
	for c := 0; c < p.NumClasses; c++ {
		for b := 0; b < p.NumBoxes; b++ {
			w.scores[b] = scores[b*cw+c+off]
		}
		nmsOne(p, w, w.scores, p.DetectionsPerClass)
		n := size
		for _, b := range w.selected {
			w.candIdx[n] = b*cw + c + off
			w.candScore[n] = w.scores[b]
			n++
		}
		k := min(n, p.MaxDetections)
		argsortDesc(w.candScore[:n], w.sorted[:n], w.sortTmp)
		for r := 0; r < k; r++ {
			w.tmpIdx[r], w.tmpScore[r] = w.candIdx[w.sorted[r]], w.candScore[w.sorted[r]]
		}
		copy(w.candIdx, w.tmpIdx[:k])
		copy(w.candScore, w.tmpScore[:k])
		size = k
	}
	for r := 0; r < size; r++ {
		anchor := w.candIdx[r] / cw
		class := w.candIdx[r] - anchor*cw - off
		copy(outBoxes[4*r:4*r+4], w.decoded[4*anchor:4*anchor+4])
		outClasses[r] = float32(class)
		outScores[r] = w.candScore[r]
	}
	return size, nil
}

func fast(p *Params, w *Work, scores, outBoxes, outClasses, outScores []float32) (int, error) {
	cw := p.ClassesWithBackground
	off := cw - p.NumClasses
	per := min(p.MaxClassesPerDetection, p.NumClasses)
	for b := 0; b < p.NumBoxes; b++ {
		row := scores[b*cw+off : b*cw+off+p.NumClasses]
		ci := w.classIdx[b*per : (b+1)*per]
		if per == 1 { // the first largest
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			ci[0] = best
		} else {
			argsortDesc(row, w.rowIdx, w.sortTmp)
			copy(ci, w.rowIdx[:per])
		}
		w.scores[b] = row[ci[0]]
	}
	nmsOne(p, w, w.scores, p.MaxDetections)
	n := 0
	for _, b := range w.selected {
		row := scores[b*cw+off:]
		ci := w.classIdx[b*per:]
		for c := 0; c < per; c++ {
			o := p.MaxClassesPerDetection*n + c
			copy(outBoxes[4*o:4*o+4], w.decoded[4*b:4*b+4])
			outClasses[o] = float32(ci[c])
			outScores[o] = row[ci[c]]
		}
		n++
	}
	return n, nil
}
