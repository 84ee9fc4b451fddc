// Package mediapipe holds the float32 kernels of MediaPipe's attention-mesh
// custom operators (mediapipe/util/tflite/operations, version 2):
// Landmarks2TransformMatrix, TransformTensorBilinear and
// TransformLandmarks. The arithmetic follows MediaPipe's CPU kernels step
// by step, in float32 where they compute in float and in float64 where C++
// promotes to double, with no fused multiply-adds, so results match them
// bit for bit up to the platform's sin, cos and atan2.
//
// The kernels trust their arguments: the operator glue (tflite/ops/custom)
// validates shapes, indices and options before any of them runs.
package mediapipe

import "math"

// mul4 returns a·b for row-major 4x4 matrices, summing each entry from
// k = 0 upwards in float32 as MediaPipe's Mat4 does.
func mul4(a, b *[16]float32) [16]float32 {
	var r [16]float32
	for i := range 4 {
		for j := range 4 {
			var s float32
			for k := range 4 {
				s += float32(a[i*4+k] * b[k*4+j])
			}
			r[i*4+j] = s
		}
	}
	return r
}

// rot3 applies the 3x3 rotation [[c, −s, 0], [s, c, 0], [0, 0, 1]] to
// (x, y, z), summing in float32 from the first column as MediaPipe's Mat3.
func rot3(c, s, x, y, z float32) (float32, float32, float32) {
	var rx, ry, rz float32
	rx += float32(c * x)
	rx += float32(-s * y)
	rx += float32(0 * z)
	ry += float32(s * x)
	ry += float32(c * y)
	ry += float32(0 * z)
	rz += float32(0 * x)
	rz += float32(0 * y)
	rz += float32(1 * z)
	return rx, ry, rz
}

func cosf(x float32) float32 { return float32(math.Cos(float64(x))) }
func sinf(x float32) float32 { return float32(math.Sin(float64(x))) }

// TransformMatrixParams are Landmarks2TransformMatrix (v2) options.
type TransformMatrixParams struct {
	Subset              []int // landmark indices whose rotated bounding box is the crop
	Left, Right         int   // landmarks whose direction gives the rotation
	TargetRotation      float32
	OutHeight, OutWidth int
	ScaleX, ScaleY      float32
}

// LandmarksToTransformMatrix writes to out (16 floats, row-major) the
// matrix that maps a pixel of an OutWidth×OutHeight crop to landmark
// coordinates: the crop is centred on the bounding box of the Subset
// landmarks in the frame rotated so that Left→Right points at
// TargetRotation, scaled by ScaleX/ScaleY times that box's size.
// Landmarks are xyz triples (lm[3i], lm[3i+1], lm[3i+2]).
func LandmarksToTransformMatrix(p *TransformMatrixParams, lm []float32, out []float32) {
	lx, ly := lm[3*p.Left], lm[3*p.Left+1]
	rx, ry := lm[3*p.Right], lm[3*p.Right+1]
	rot := float32(math.Atan2(float64(ry-ly), float64(rx-lx)))
	rot = p.TargetRotation - rot

	c, s := cosf(rot), sinf(rot)
	var maxX, maxY, minX, minY float32
	for i, idx := range p.Subset {
		x, y, _ := rot3(c, s, lm[3*idx], lm[3*idx+1], 1)
		if i == 0 {
			maxX, maxY, minX, minY = x, y, x, y
			continue
		}
		if maxX < x {
			maxX = x
		}
		if maxY < y {
			maxY = y
		}
		if minX > x {
			minX = x
		}
		if minY > y {
			minY = y
		}
	}
	cropW, cropH := maxX-minX, maxY-minY
	cx, cy := (minX+maxX)/2, (minY+maxY)/2
	cx, cy, _ = rot3(cosf(-rot), sinf(-rot), cx, cy, 1)

	t := [16]float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	shift := [16]float32{1, 0, 0, cx, 0, 1, 0, cy, 0, 0, 1, 0, 0, 0, 0, 1}
	t = mul4(&t, &shift)
	r := -rot
	cr, sr := cosf(r), sinf(r)
	rotation := [16]float32{cr, -sr, 0, 0, sr, cr, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	t = mul4(&t, &rotation)
	sx := float32(p.ScaleX*cropW) / float32(p.OutWidth)
	sy := float32(p.ScaleY*cropH) / float32(p.OutHeight)
	scale := [16]float32{sx, 0, 0, 0, 0, sy, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	t = mul4(&t, &scale)
	shift2 := [16]float32{1, 0, 0, float32(-(float64(p.OutWidth) / 2)), 0, 1, 0, float32(-(float64(p.OutHeight) / 2)), 0, 0, 1, 0, 0, 0, 0, 1}
	t = mul4(&t, &shift2)
	copy(out, t[:])
}

// dot4 is MediaPipe's float4 dot product, summed left to right in float32.
func dot4(a *[4]float32, x, y, z, w float32) float32 {
	s := float32(a[0] * x)
	s += float32(a[1] * y)
	s += float32(a[2] * z)
	s += float32(a[3] * w)
	return s
}

// TransformTensorBilinear samples in ([h, w, c], batch 1) at the points
// the matrix m (its first two rows, 8 floats) maps each output pixel of
// out ([oh, ow, c]) to, with MediaPipe's version-2 half-pixel correction
// (pixel centres at +0.5): bilinear between the four neighbours, zero
// beyond the edge, and zero for a point outside [0, w−1]×[0, h−1].
func TransformTensorBilinear(in []float32, h, w, c int, m []float32, out []float32, oh, ow int) {
	xt := [4]float32{m[0], m[1], m[2], m[3]}
	yt := [4]float32{m[4], m[5], m[6], m[7]}
	xt[3] = float32(float64(xt[3]) + (float64(float64(xt[0])*0.5) + float64(float64(xt[1])*0.5) - 0.5))
	yt[3] = float32(float64(yt[3]) + (float64(float64(yt[0])*0.5) + float64(float64(yt[1])*0.5) - 0.5))
	read := func(y, x, z int) float32 {
		if y < 0 || x < 0 || y >= h || x >= w {
			return 0
		}
		return in[(y*w+x)*c+z]
	}
	for oy := range oh {
		for ox := range ow {
			dst := out[(oy*ow+ox)*c : (oy*ow+ox+1)*c]
			tx := dot4(&xt, float32(ox), float32(oy), 0, 1)
			ty := dot4(&yt, float32(ox), float32(oy), 0, 1)
			if tx < 0 || tx > float32(w-1) || ty < 0 || ty > float32(h-1) {
				clear(dst)
				continue
			}
			fx, fy := float32(math.Floor(float64(tx))), float32(math.Floor(float64(ty)))
			x0, y0 := int(fx), int(fy)
			rc, lc := tx-fx, ty-fy
			for z := range dst {
				q11, q21 := read(y0, x0, z), read(y0, x0+1, z)
				q12, q22 := read(y0+1, x0, z), read(y0+1, x0+1, z)
				upper := float32(float64((1-float64(rc))*float64(q11)) + float64(rc*q21))
				lower := float32(float64((1-float64(rc))*float64(q12)) + float64(rc*q22))
				dst[z] = float32(float64(lc*lower) + float64((1-float64(lc))*float64(upper)))
			}
		}
	}
}

// TransformLandmarks maps each of the n landmarks of in (d = 2 or 3
// floats each) through the first two rows of the matrix m: x and y become
// the transformed point, z is copied.
func TransformLandmarks(in []float32, n, d int, m []float32, out []float32) {
	xt := [4]float32{m[0], m[1], m[2], m[3]}
	yt := [4]float32{m[4], m[5], m[6], m[7]}
	for i := range n {
		x, y := in[i*d], in[i*d+1]
		out[i*d] = dot4(&xt, x, y, 0, 1)
		out[i*d+1] = dot4(&yt, x, y, 0, 1)
		if d == 3 {
			out[i*d+2] = in[i*d+2]
		}
	}
}
