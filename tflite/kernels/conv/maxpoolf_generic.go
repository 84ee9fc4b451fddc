//go:build !amd64 || noasm

package conv

// maxPoolPixelVec does nothing: there is no vector kernel on this
// architecture.
func maxPoolPixelVec(out, in []float32, offs []int) bool { return false }

// addPixelsVec does nothing: there is no vector kernel on this
// architecture.
func addPixelsVec(acc, src []float32, n, stride int) bool { return false }

// maxPoolRowVec does nothing: there is no vector kernel on this
// architecture.
func maxPoolRowVec(out, in []float32, offs []int, c, n, instep, outstep int, act FloatAct) bool {
	return false
}

// maxPoolArgmaxRowVec does nothing: there is no vector kernel on this
// architecture.
func maxPoolArgmaxRowVec(out, idx, in []float32, offs []int, pos []float32, c, n, instep, outstep int, act FloatAct) bool {
	return false
}
