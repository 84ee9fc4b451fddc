package detection

// Coral's BodyPix form of PosenetDecoderOp (google-coral libcoral,
// coral/pose_estimation): after decoding the poses it assigns every cell
// of the long-range offset field to the pose its embedding is nearest to,
// giving one person-instance mask per pose.

// MaskRefineSteps is the number of refinement steps Coral's op takes when
// it follows the long-range offsets (the offsets are sampled one more time
// than this).
const MaskRefineSteps = 2

// DecodeInstanceMasks writes one [H][W] mask per decoded pose to masks
// ([MaxDetections][H][W], H = W required by the caller): 1 where the cell
// belongs to that pose, 0 elsewhere. longs are the long-range offsets
// [H][W][34] in heatmap cells (y channels first); keypoints are the
// decoded poses' keypoints in pixels as DecodePoses wrote them, of which
// the first numPoses are used.
//
// A cell's embedding for keypoint k starts at the cell and follows the
// offsets of channels k and 17+k, sampled bilinearly, MaskRefineSteps+1
// times, clamped to the field; scaled by the stride it is compared with
// keypoint k of every pose, and the cell goes to the pose with the
// smallest sum of squared distances (the first on ties). As in Coral's
// op, with no pose at all every cell goes to slot 0 (the arg-min of an
// empty list is its first position), so mask 0 is then all ones. Slots
// Coral leaves unwritten are zero here.
func DecodeInstanceMasks(p *PoseParams, longs, keypoints []float32, numPoses int, masks []float32) {
	clear(masks)
	h, w, k := p.Height, p.Width, PoseKeypoints
	stride := float32(p.Stride)
	var emb [PoseKeypoints]pt
	var off [2]float32
	var ch [2]int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for j := 0; j < k; j++ {
				ey, ex := float32(y), float32(x)
				ch = [2]int{j, k + j}
				for range MaskRefineSteps + 1 {
					p.sample(longs, 2*k, ey, ex, ch[:], off[:])
					ey = clampF(ey+off[0], 0, float32(h)-1)
					ex = clampF(ex+off[1], 0, float32(w)-1)
				}
				emb[j] = pt{ey * stride, ex * stride}
			}
			best, bestDist := 0, float32(0)
			for i := 0; i < numPoses; i++ {
				var d float32
				for j := 0; j < k; j++ {
					kp := pt{keypoints[(i*k+j)*2], keypoints[(i*k+j)*2+1]}
					d += sqDist(emb[j], kp)
				}
				if i == 0 || d < bestDist {
					best, bestDist = i, d
				}
			}
			masks[(best*h+y)*w+x] = 1
		}
	}
}
