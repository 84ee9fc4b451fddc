package signal

import "math"

// The float32 and Q31 builds of KISS FFT (kiss_fft_float, kiss_fft_int32
// in TFLM) share the butterflies of the Q15 one (kissfft.go); only the
// scalar arithmetic differs, so they run one generic implementation over
// an arith table. Float products are converted to float32 one by one, as
// C computes them, so that no fused multiply-add changes a rounding.

type scalar interface{ ~int32 | ~float32 }

// Cpx is a complex value of a KISS FFT build: float32 or Q31.
type Cpx[T scalar] struct{ R, I T }

type arith[T scalar] struct {
	smul    func(a, b T) T                 // S_MUL
	cmul    func(a, b Cpx[T]) Cpx[T]       // C_MUL
	fixdiv  func(c Cpx[T], div int) Cpx[T] // C_FIXDIV
	half    func(x T) T                    // HALF_OF of a stored scalar
	halfSum func(a, b T) T                 // HALF_OF(a + b) at C's precision
	halfDif func(a, b T) T                 // HALF_OF(a - b)
	twiddle func(x float64) T              // KISS_FFT_COS/SIN of a phase's cos or sin
}

var f32Arith = arith[float32]{
	smul: func(a, b float32) float32 { return float32(a * b) },
	cmul: func(a, b Cpx[float32]) Cpx[float32] {
		return Cpx[float32]{float32(a.R*b.R) - float32(a.I*b.I), float32(a.R*b.I) + float32(a.I*b.R)}
	},
	fixdiv:  func(c Cpx[float32], div int) Cpx[float32] { return c },
	half:    func(x float32) float32 { return float32(x * 0.5) },
	halfSum: func(a, b float32) float32 { return float32((a + b) * 0.5) },
	halfDif: func(a, b float32) float32 { return float32((a - b) * 0.5) },
	twiddle: func(x float64) float32 { return float32(x) },
}

func sround31(x int64) int32 { return int32((x + 1<<30) >> 31) }

var q31Arith = arith[int32]{
	smul: func(a, b int32) int32 { return sround31(int64(a) * int64(b)) },
	cmul: func(a, b Cpx[int32]) Cpx[int32] {
		return Cpx[int32]{
			sround31(int64(a.R)*int64(b.R) - int64(a.I)*int64(b.I)),
			sround31(int64(a.R)*int64(b.I) + int64(a.I)*int64(b.R)),
		}
	},
	fixdiv: func(c Cpx[int32], div int) Cpx[int32] {
		k := int64(math.MaxInt32 / div)
		return Cpx[int32]{sround31(int64(c.R) * k), sround31(int64(c.I) * k)}
	},
	half: func(x int32) int32 { return x >> 1 },
	// int32 + int32 is computed (and wraps) in int before the shift.
	halfSum: func(a, b int32) int32 { return (a + b) >> 1 },
	halfDif: func(a, b int32) int32 { return (a - b) >> 1 },
	twiddle: func(x float64) int32 { return int32(math.Floor(0.5 + math.MaxInt32*x)) },
}

type kissG[T scalar] struct {
	ar      *arith[T]
	n       int
	inverse bool
	factors []int
	tw      []Cpx[T]
}

func newKissG[T scalar](ar *arith[T], n int, inverse bool) *kissG[T] {
	st := &kissG[T]{ar: ar, n: n, inverse: inverse, tw: make([]Cpx[T], n), factors: kissFactors(n)}
	for i := range n {
		phase := -2 * math.Pi * float64(i) / float64(n)
		if inverse {
			phase = -phase
		}
		st.tw[i] = Cpx[T]{ar.twiddle(math.Cos(phase)), ar.twiddle(math.Sin(phase))}
	}
	return st
}

func cadd2[T scalar](a, b Cpx[T]) Cpx[T] { return Cpx[T]{a.R + b.R, a.I + b.I} }
func csub2[T scalar](a, b Cpx[T]) Cpx[T] { return Cpx[T]{a.R - b.R, a.I - b.I} }

func (st *kissG[T]) work(out, in []Cpx[T], off, fstride int, factors []int) {
	p, m := factors[0], factors[1]
	if m == 1 {
		for j := range p {
			out[j] = in[off]
			off += fstride
		}
	} else {
		for j := range p {
			st.work(out[j*m:], in, off, fstride*p, factors[2:])
			off += fstride
		}
	}
	switch p {
	case 2:
		st.bfly2(out, fstride, m)
	case 3:
		st.bfly3(out, fstride, m)
	case 4:
		st.bfly4(out, fstride, m)
	default:
		st.bfly5(out, fstride, m)
	}
}

func (st *kissG[T]) bfly2(f []Cpx[T], fstride, m int) {
	ar, tw := st.ar, 0
	for k := range m {
		a, b := ar.fixdiv(f[k], 2), ar.fixdiv(f[k+m], 2)
		t := ar.cmul(b, st.tw[tw])
		tw += fstride
		f[k+m] = csub2(a, t)
		f[k] = cadd2(a, t)
	}
}

func (st *kissG[T]) bfly4(f []Cpx[T], fstride, m int) {
	ar := st.ar
	tw1, tw2, tw3 := 0, 0, 0
	for k := range m {
		f0, f1, f2, f3 := ar.fixdiv(f[k], 4), ar.fixdiv(f[k+m], 4), ar.fixdiv(f[k+2*m], 4), ar.fixdiv(f[k+3*m], 4)
		s0 := ar.cmul(f1, st.tw[tw1])
		s1 := ar.cmul(f2, st.tw[tw2])
		s2 := ar.cmul(f3, st.tw[tw3])
		s5 := csub2(f0, s1)
		f0 = cadd2(f0, s1)
		s3 := cadd2(s0, s2)
		s4 := csub2(s0, s2)
		f[k+2*m] = csub2(f0, s3)
		tw1 += fstride
		tw2 += 2 * fstride
		tw3 += 3 * fstride
		f[k] = cadd2(f0, s3)
		if st.inverse {
			f[k+m] = Cpx[T]{s5.R - s4.I, s5.I + s4.R}
			f[k+3*m] = Cpx[T]{s5.R + s4.I, s5.I - s4.R}
		} else {
			f[k+m] = Cpx[T]{s5.R + s4.I, s5.I - s4.R}
			f[k+3*m] = Cpx[T]{s5.R - s4.I, s5.I + s4.R}
		}
	}
}

func (st *kissG[T]) bfly3(f []Cpx[T], fstride, m int) {
	ar := st.ar
	epi3 := st.tw[fstride*m]
	tw1, tw2 := 0, 0
	for k := range m {
		f0, f1, f2 := ar.fixdiv(f[k], 3), ar.fixdiv(f[k+m], 3), ar.fixdiv(f[k+2*m], 3)
		s1 := ar.cmul(f1, st.tw[tw1])
		s2 := ar.cmul(f2, st.tw[tw2])
		s3 := cadd2(s1, s2)
		s0 := csub2(s1, s2)
		tw1 += fstride
		tw2 += 2 * fstride
		f1 = Cpx[T]{f0.R - ar.half(s3.R), f0.I - ar.half(s3.I)}
		s0 = Cpx[T]{ar.smul(s0.R, epi3.I), ar.smul(s0.I, epi3.I)}
		f[k] = cadd2(f0, s3)
		f[k+2*m] = Cpx[T]{f1.R + s0.I, f1.I - s0.R}
		f[k+m] = Cpx[T]{f1.R - s0.I, f1.I + s0.R}
	}
}

func (st *kissG[T]) bfly5(f []Cpx[T], fstride, m int) {
	ar := st.ar
	ya, yb := st.tw[fstride*m], st.tw[fstride*2*m]
	for u := range m {
		f0, f1, f2, f3, f4 := ar.fixdiv(f[u], 5), ar.fixdiv(f[u+m], 5), ar.fixdiv(f[u+2*m], 5), ar.fixdiv(f[u+3*m], 5), ar.fixdiv(f[u+4*m], 5)
		s0 := f0
		s1 := ar.cmul(f1, st.tw[u*fstride])
		s2 := ar.cmul(f2, st.tw[2*u*fstride])
		s3 := ar.cmul(f3, st.tw[3*u*fstride])
		s4 := ar.cmul(f4, st.tw[4*u*fstride])
		s7, s10 := cadd2(s1, s4), csub2(s1, s4)
		s8, s9 := cadd2(s2, s3), csub2(s2, s3)
		f0.R += s7.R + s8.R
		f0.I += s7.I + s8.I
		s5 := Cpx[T]{s0.R + ar.smul(s7.R, ya.R) + ar.smul(s8.R, yb.R), s0.I + ar.smul(s7.I, ya.R) + ar.smul(s8.I, yb.R)}
		s6 := Cpx[T]{ar.smul(s10.I, ya.I) + ar.smul(s9.I, yb.I), -ar.smul(s10.R, ya.I) - ar.smul(s9.R, yb.I)}
		f[u] = f0
		f[u+m] = csub2(s5, s6)
		f[u+4*m] = cadd2(s5, s6)
		s11 := Cpx[T]{s0.R + ar.smul(s7.R, yb.R) + ar.smul(s8.R, ya.R), s0.I + ar.smul(s7.I, yb.R) + ar.smul(s8.I, ya.R)}
		s12 := Cpx[T]{-ar.smul(s10.I, yb.I) + ar.smul(s9.I, ya.I), ar.smul(s10.R, yb.I) - ar.smul(s9.R, ya.I)}
		f[u+2*m] = cadd2(s11, s12)
		f[u+3*m] = csub2(s11, s12)
	}
}

// RealFFT is a forward or inverse real FFT plan of the float32 or Q31
// build (kiss_fftr / kiss_fftri). Immutable.
type RealFFT[T scalar] struct {
	n     int
	sub   *kissG[T]
	super []Cpx[T]
}

func newRealFFT[T scalar](ar *arith[T], n int, inverse bool) *RealFFT[T] {
	nc := n / 2
	r := &RealFFT[T]{n: n, sub: newKissG(ar, nc, inverse), super: make([]Cpx[T], nc/2)}
	for i := range r.super {
		phase := -math.Pi * (float64(i+1)/float64(nc) + .5)
		if inverse {
			phase = -phase
		}
		r.super[i] = Cpx[T]{ar.twiddle(math.Cos(phase)), ar.twiddle(math.Sin(phase))}
	}
	return r
}

// NewRfftF32 and NewIrfftF32 return float32 plans; NewRfftQ31 and
// NewIrfftQ31 Q31 ones (length n: ValidRfftLength).
func NewRfftF32(n int) *RealFFT[float32]  { return newRealFFT(&f32Arith, n, false) }
func NewIrfftF32(n int) *RealFFT[float32] { return newRealFFT(&f32Arith, n, true) }
func NewRfftQ31(n int) *RealFFT[int32]    { return newRealFFT(&q31Arith, n, false) }
func NewIrfftQ31(n int) *RealFFT[int32]   { return newRealFFT(&q31Arith, n, true) }

// WorkLen returns the number of complex values Forward and Inverse need as
// work.
func (r *RealFFT[T]) WorkLen() int { return r.n / 2 }

// Forward computes the n/2+1 outputs of the real FFT of in (n values as
// n/2 pairs) into out (kiss_fftr).
func (r *RealFFT[T]) Forward(in, out, work []Cpx[T]) {
	ar, nc := r.sub.ar, r.n/2
	r.sub.work(work[:nc], in[:nc], 0, 1, r.sub.factors)
	tdc := ar.fixdiv(work[0], 2)
	out[0] = Cpx[T]{tdc.R + tdc.I, 0}
	out[nc] = Cpx[T]{tdc.R - tdc.I, 0}
	for k := 1; k <= nc/2; k++ {
		fpk := ar.fixdiv(work[k], 2)
		fpnk := ar.fixdiv(Cpx[T]{work[nc-k].R, -work[nc-k].I}, 2)
		f1k, f2k := cadd2(fpk, fpnk), csub2(fpk, fpnk)
		tw := ar.cmul(f2k, r.super[k-1])
		out[k] = Cpx[T]{ar.halfSum(f1k.R, tw.R), ar.halfSum(f1k.I, tw.I)}
		out[nc-k] = Cpx[T]{ar.halfDif(f1k.R, tw.R), ar.halfDif(tw.I, f1k.I)}
	}
}

// Inverse computes the n real outputs (as n/2 pairs in out) of the
// inverse real FFT of the n/2+1 values in (kiss_fftri).
func (r *RealFFT[T]) Inverse(in, out, work []Cpx[T]) {
	ar, nc := r.sub.ar, r.n/2
	tmp := work[:nc]
	tmp[0] = ar.fixdiv(Cpx[T]{in[0].R + in[nc].R, in[0].R - in[nc].R}, 2)
	for k := 1; k <= nc/2; k++ {
		fk := ar.fixdiv(in[k], 2)
		fnkc := ar.fixdiv(Cpx[T]{in[nc-k].R, -in[nc-k].I}, 2)
		fek := cadd2(fk, fnkc)
		fok := ar.cmul(csub2(fk, fnkc), r.super[k-1])
		tmp[k] = cadd2(fek, fok)
		tmp[nc-k] = csub2(fek, fok)
		tmp[nc-k].I = -tmp[nc-k].I
	}
	r.sub.work(out[:nc], tmp, 0, 1, r.sub.factors)
}
