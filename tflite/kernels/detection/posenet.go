package detection

import (
	"container/heap"
	"math"
	"sort"
)

// Coral's PosenetDecoderOp (google-coral edgetpu, src/cpp/posenet): multi-
// person pose decoding from keypoint heatmaps (logits), short-range
// offsets and mid-range (edge) offsets, after Papandreou et al.,
// "PersonLab" (2018).

// PoseKeypoints is the number of keypoints of a pose.
const PoseKeypoints = 17

// poseEdges is the number of forward (and of backward) edges of the pose
// graph.
const poseEdges = 16

// poseEdgeList is the pose graph: forward edges from the nose outwards,
// then the same edges backwards (keypoints: nose, left/right eye, ear,
// shoulder, elbow, wrist, hip, knee, ankle).
var poseEdgeList = [2 * poseEdges][2]int{
	{0, 1}, {1, 3}, {0, 2}, {2, 4}, {0, 5}, {5, 7}, {7, 9}, {5, 11},
	{11, 13}, {13, 15}, {0, 6}, {6, 8}, {8, 10}, {6, 12}, {12, 14}, {14, 16},
	{1, 0}, {3, 1}, {2, 0}, {4, 2}, {5, 0}, {7, 5}, {9, 7}, {11, 5},
	{13, 11}, {15, 13}, {6, 0}, {8, 6}, {10, 8}, {12, 6}, {14, 12}, {16, 14},
}

// PoseParams are the decoder's options and the heatmap size.
type PoseParams struct {
	MaxDetections  int
	ScoreThreshold float32 // on probabilities, in [0, 1]
	Stride         int     // pixels per heatmap cell
	NMSRadius      float32 // in heatmap cells (the option divided by Stride)
	Height, Width  int
	RefineSteps    int // short-offset refinement steps (5 in Coral's op)
}

type pt struct{ y, x float32 }

type candidate struct {
	p     pt
	id    int
	score float32
}

// candidates is a max-heap by score.
type candidates []candidate

func (c candidates) Len() int           { return len(c) }
func (c candidates) Less(i, j int) bool { return c[i].score > c[j].score }
func (c candidates) Swap(i, j int)      { c[i], c[j] = c[j], c[i] }
func (c *candidates) Push(x any)        { *c = append(*c, x.(candidate)) }
func (c *candidates) Pop() any {
	old := *c
	v := old[len(old)-1]
	*c = old[:len(old)-1]
	return v
}

func clampF(v, lo, hi float32) float32 {
	if v < lo {
		return lo
	}
	if hi < v {
		return hi
	}
	return v
}

func sigmoid(x float32) float32 { return 1 / (1 + float32(math.Exp(float64(-x)))) }

func logodds(x float32) float32 { return float32(-math.Log(1/(float64(x)+1e-6) - 1)) }

// sample bilinearly interpolates channels c of t ([H][W][n]) at (y, x), as
// Coral's SampleTensorAtMultipleChannels does (the weights from the
// unclamped coordinate, the corners from the clamped one).
func (p *PoseParams) sample(t []float32, n int, y, x float32, c []int, out []float32) {
	lin := func(v float32, size int) (lo, hi int, w float32) {
		pj := clampF(v, 0, float32(size)-1)
		lo, hi = int(math.Floor(float64(pj))), int(math.Ceil(float64(pj)))
		return lo, hi, v - float32(lo)
	}
	y0, y1, yl := lin(y, p.Height)
	x0, x1, xl := lin(x, p.Width)
	tl, tr := (y0*p.Width+x0)*n, (y0*p.Width+x1)*n
	bl, br := (y1*p.Width+x0)*n, (y1*p.Width+x1)*n
	for i, ch := range c {
		out[i] = (1-yl)*((1-xl)*t[tl+ch]+xl*t[tr+ch]) + yl*((1-xl)*t[bl+ch]+xl*t[br+ch])
	}
}

func sqDist(a, b pt) float32 {
	dy, dx := b.y-a.y, b.x-a.x
	return dy*dy + dx*dx
}

// DecodePoses finds up to MaxDetections poses. scores are the heatmap
// logits [H][W][17], shorts [H][W][34] and mids [H][W][64] the offsets in
// heatmap cells (y channels first). It writes each pose's keypoints (y, x
// in pixels) to keypoints [MaxDetections][17][2], their probabilities to
// keypointScores [MaxDetections][17] and the pose scores to poseScores
// [MaxDetections], zeroing unused slots, and returns the number of poses.
// Equal scores are ordered by position (Coral's sort leaves them to the
// standard library).
func DecodePoses(p *PoseParams, scores, shorts, mids, keypoints, keypointScores, poseScores []float32) int {
	clear(keypoints)
	clear(keypointScores)
	clear(poseScores)
	h, w, k := p.Height, p.Width, PoseKeypoints
	minLogit := logodds(p.ScoreThreshold)
	var queue candidates
	// Local maxima (radius 1) at or above the threshold, refined by the
	// short offsets.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for j := 0; j < k; j++ {
				s := scores[(y*w+x)*k+j]
				if !(s >= minLogit) {
					continue
				}
				local := true
				for yc := max(y-1, 0); yc < min(y+2, h) && local; yc++ {
					for xc := max(x-1, 0); xc < min(x+2, w); xc++ {
						if scores[(yc*w+xc)*k+j] > s {
							local = false
							break
						}
					}
				}
				if !local {
					continue
				}
				o := 2 * (y*w + x) * k
				dy, dx := shorts[o+j], shorts[o+k+j]
				queue = append(queue, candidate{pt{clampF(float32(y)+dy, 0, float32(h-1)), clampF(float32(x)+dx, 0, float32(w-1))}, j, s})
			}
		}
	}
	heap.Init(&queue)
	var children, edges [PoseKeypoints][]int
	for e, pc := range poseEdgeList {
		children[pc[0]] = append(children[pc[0]], pc[1])
		edges[pc[0]] = append(edges[pc[0]], e)
	}
	poses := make([][PoseKeypoints]pt, p.MaxDetections)
	kscores := make([][PoseKeypoints]float32, p.MaxDetections)
	var instance []float32
	r2 := p.NMSRadius * p.NMSRadius
	n := 0
	var two [2]float32
	for n < p.MaxDetections && queue.Len() > 0 {
		root := heap.Pop(&queue).(candidate)
		near := false
		for i := 0; i < n; i++ {
			if sqDist(root.p, poses[i][root.id]) <= r2 {
				near = true
				break
			}
		}
		if near {
			continue
		}
		pose, ks := &poses[n], &kscores[n]
		for j := range pose {
			pose[j], ks[j] = pt{-1, -1}, -1e5
		}
		// Backtrack from the root through the graph, best first.
		p.sample(scores, k, root.p.y, root.p.x, []int{root.id}, two[:1])
		todo := candidates{{root.p, root.id, two[0]}}
		var done [PoseKeypoints]bool
		for todo.Len() > 0 {
			cur := heap.Pop(&todo).(candidate)
			if done[cur.id] {
				continue
			}
			pose[cur.id], ks[cur.id], done[cur.id] = cur.p, cur.score, true
			for c, child := range children[cur.id] {
				if done[child] {
					continue
				}
				e := edges[cur.id][c]
				if e > poseEdges { // as Coral's decoder (edge 16 is not shifted)
					e += poseEdges
				}
				y, x := cur.p.y, cur.p.x
				p.sample(mids, 4*poseEdges, y, x, []int{e, poseEdges + e}, two[:])
				y, x = clampF(y+two[0], 0, float32(h-1)), clampF(x+two[1], 0, float32(w-1))
				for range p.RefineSteps {
					p.sample(shorts, 2*k, y, x, []int{child, k + child}, two[:])
					y, x = clampF(y+two[0], 0, float32(h-1)), clampF(x+two[1], 0, float32(w-1))
				}
				p.sample(scores, k, y, x, []int{child}, two[:1])
				heap.Push(&todo, candidate{pt{y, x}, child, two[0]})
			}
		}
		var total float32
		for j := range ks {
			ks[j] = sigmoid(ks[j])
		}
		for _, v := range sortedDesc(ks[:]) {
			total += v
		}
		if s := total / PoseKeypoints; s >= p.ScoreThreshold {
			n++
			instance = append(instance, s)
		}
	}
	// Soft keypoint NMS: a keypoint within the radius of the same keypoint
	// of a better pose does not count towards the pose's score.
	order := argsortDescStable(instance)
	rescored := make([]float32, len(instance))
	for i, cur := range order {
		var occluded [PoseKeypoints]bool
		for _, prev := range order[:i] {
			for j := range occluded {
				if sqDist(poses[cur][j], poses[prev][j]) <= r2 {
					occluded[j] = true
				}
			}
		}
		var total float32
		for _, j := range argsortDescStable(kscores[cur][:]) {
			if !occluded[j] {
				total += kscores[cur][j]
			}
		}
		rescored[cur] = total / PoseKeypoints
	}
	out := 0
	for _, i := range argsortDescStable(rescored) {
		if rescored[i] < p.ScoreThreshold {
			break
		}
		for j := 0; j < k; j++ {
			keypoints[(out*k+j)*2] = poses[i][j].y * float32(p.Stride)
			keypoints[(out*k+j)*2+1] = poses[i][j].x * float32(p.Stride)
			keypointScores[out*k+j] = kscores[i][j]
		}
		poseScores[out] = rescored[i]
		out++
	}
	return out
}

// sortedDesc returns v's values from largest to smallest.
func sortedDesc(v []float32) []float32 {
	s := append([]float32(nil), v...)
	sort.SliceStable(s, func(a, b int) bool { return s[a] > s[b] })
	return s
}

// argsortDescStable returns the indices of v by decreasing value, equal
// values by index.
func argsortDescStable(v []float32) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
	return idx
}
