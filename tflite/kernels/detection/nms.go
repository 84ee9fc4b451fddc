package detection

import "math"

// Single-class non-maximum suppression as TensorFlow Lite's
// NON_MAX_SUPPRESSION_V4 and V5 run it on float32 (TensorFlow's
// NonMaxSuppressionV4/V5): greedy selection by decreasing score, a
// candidate suppressed outright by a selected box it overlaps with an IoU
// at or above the threshold, or (V5, soft NMS) its score decayed by
// exp(−IoU²/(2σ)) and requeued.

// NMSCandidate is a box waiting for selection (NMS's work list).
type NMSCandidate struct {
	index int
	score float32
	// from is the number of selected boxes this candidate was already
	// compared with.
	from int
}

// nmsBefore orders the work list: higher score first, equal scores by
// lower index (as TensorFlow's kernel orders them; TFLite's priority
// queue leaves equal scores to its heap).
func nmsBefore(a, b NMSCandidate) bool {
	return a.score > b.score || (a.score == b.score && a.index < b.index)
}

// nmsPush adds c to the binary heap h.
func nmsPush(h []NMSCandidate, c NMSCandidate) []NMSCandidate {
	h = append(h, c)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !nmsBefore(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

// nmsPop removes and returns the first candidate of the non-empty heap h.
func nmsPop(h []NMSCandidate) (NMSCandidate, []NMSCandidate) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, best := 2*i+1, i
		if l < len(h) && nmsBefore(h[l], h[best]) {
			best = l
		}
		if r := l + 1; r < len(h) && nmsBefore(h[r], h[best]) {
			best = r
		}
		if best == i {
			break
		}
		h[i], h[best] = h[best], h[i]
		i = best
	}
	return top, h
}

// boxIoU is the intersection over union of boxes i and j of boxes
// ([N][4], corners y1, x1, y2, x2 in either order), 0 when either box is
// empty or the union is 0, computed in float32 as TFLite does.
func boxIoU(boxes []float32, i, j int) float32 {
	a, b := boxes[4*i:4*i+4], boxes[4*j:4*j+4]
	ay0, ay1 := min(a[0], a[2]), max(a[0], a[2])
	ax0, ax1 := min(a[1], a[3]), max(a[1], a[3])
	by0, by1 := min(b[0], b[2]), max(b[0], b[2])
	bx0, bx1 := min(b[1], b[3]), max(b[1], b[3])
	// Every product is rounded on its own (explicit conversions): no
	// fused multiply-add, as TFLite's float32 arithmetic.
	areaA := float32(float32(ay1-ay0) * float32(ax1-ax0))
	areaB := float32(float32(by1-by0) * float32(bx1-bx0))
	if areaA <= 0 || areaB <= 0 {
		return 0
	}
	ih := max(float32(min(ay1, by1)-max(ay0, by0)), 0)
	iw := max(float32(min(ax1, bx1)-max(ax0, bx0)), 0)
	inter := float32(ih * iw)
	union := float32(areaA+areaB) - inter
	if union == 0 {
		return 0
	}
	return inter / union
}

// NonMaxSuppression selects up to len(selected) of the boxes ([N][4])
// (never more than the number of candidates above the threshold)
// whose scores ([N]) are above scoreThreshold, writes their indices to
// selected (and, when selectedScores is not nil, their possibly decayed
// scores), zeroes the rest of both, and returns how many it selected.
// sigma is V5's soft-NMS parameter (0 for hard NMS, V4). work is reused
// scratch (its capacity grows to N); the grown slice is returned.
func NonMaxSuppression(boxes, scores []float32, iouThreshold, scoreThreshold, sigma float32,
	selected []int32, selectedScores []float32, work []NMSCandidate) (int, []NMSCandidate) {
	h := work[:0]
	for i, s := range scores {
		if s > scoreThreshold {
			h = nmsPush(h, NMSCandidate{index: i, score: s})
		}
	}
	var scale float32
	if sigma > 0 {
		scale = -0.5 / sigma
	}
	limit := min(len(h), len(selected))
	n := 0
	for n < limit && len(h) > 0 {
		var c NMSCandidate
		c, h = nmsPop(h)
		original := c.score
		suppressed := false
		for j := n - 1; j >= c.from; j-- {
			iou := boxIoU(boxes, c.index, int(selected[j]))
			if iou >= iouThreshold {
				suppressed = true
				break
			}
			if sigma > 0 {
				c.score *= float32(math.Exp(float64(scale * iou * iou)))
			}
			if c.score <= scoreThreshold {
				break
			}
		}
		c.from = n
		if suppressed {
			continue
		}
		if c.score == original {
			selected[n] = int32(c.index)
			if selectedScores != nil {
				selectedScores[n] = c.score
			}
			n++
		}
		// As TFLite's loop (unlike TensorFlow's) does, a candidate still
		// above the threshold goes back to the list even when it was just
		// selected: popped again, it meets itself among the selected boxes
		// (IoU 1) and is suppressed, unless its box is empty (IoU 0), in
		// which case TFLite selects it again.
		if c.score > scoreThreshold {
			h = nmsPush(h, c)
		}
	}
	clear(selected[n:])
	if selectedScores != nil {
		clear(selectedScores[n:])
	}
	return n, h[:0]
}
