package signal

import "math"

// Complex16 is a complex number in Q15 fixed point (KISS FFT's
// kiss_fft_cpx with FIXED_POINT=16).
type Complex16 struct{ R, I int16 }

// sround rounds a Q30 product back to Q15 as KISS FFT's sround does
// (adding half, an arithmetic shift, truncation to 16 bits).
func sround(x int32) int16 { return int16((x + 1<<14) >> 15) }

func cmul(a, b Complex16) Complex16 {
	return Complex16{
		sround(int32(a.R)*int32(b.R) - int32(a.I)*int32(b.I)),
		sround(int32(a.R)*int32(b.I) + int32(a.I)*int32(b.R)),
	}
}

// fixdiv divides by div as C_FIXDIV does: multiply by 32767/div in Q15.
func fixdiv(c Complex16, div int32) Complex16 {
	k := 32767 / div
	return Complex16{sround(int32(c.R) * k), sround(int32(c.I) * k)}
}

func cadd(a, b Complex16) Complex16 { return Complex16{a.R + b.R, a.I + b.I} }
func csub(a, b Complex16) Complex16 { return Complex16{a.R - b.R, a.I - b.I} }

// q15 is KISS FFT's fixed-point twiddle: floor(0.5 + 32767·x).
func q15(x float64) int16 { return int16(math.Floor(0.5 + 32767*x)) }

// kissQ15 is a complex FFT plan (kiss_fft_state, FIXED_POINT=16).
type kissQ15 struct {
	n       int
	inverse bool
	factors []int // radix, remaining length, radix, ...
	tw      []Complex16
}

func newKissQ15(n int, inverse bool) *kissQ15 {
	st := &kissQ15{n: n, inverse: inverse, tw: make([]Complex16, n)}
	for i := range n {
		phase := -2 * math.Pi * float64(i) / float64(n)
		if inverse {
			phase = -phase
		}
		st.tw[i] = Complex16{q15(math.Cos(phase)), q15(math.Sin(phase))}
	}
	st.factors = kissFactors(n)
	return st
}

// kissFactors factors n as kf_factor does: fours, then twos, then odd
// primes up to the square root of the original n, then the rest.
func kissFactors(n int) []int {
	var out []int
	p := 4
	floorSqrt := math.Floor(math.Sqrt(float64(n)))
	for {
		for n%p != 0 {
			switch p {
			case 4:
				p = 2
			case 2:
				p = 3
			default:
				p += 2
			}
			if float64(p) > floorSqrt {
				p = n
			}
		}
		n /= p
		out = append(out, p, n)
		if n <= 1 {
			return out
		}
	}
}

// fft computes out = FFT(in) (len n each; in and out must not overlap).
func (st *kissQ15) fft(out, in []Complex16) {
	st.work(out, in, 0, 1, st.factors)
}

// work is kf_work with in_stride 1: the DFT of in[off], in[off+fstride],
// ... into out[:p·m].
func (st *kissQ15) work(out, in []Complex16, off, fstride int, factors []int) {
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
	default: // 5: the only other radix ValidRfftLength allows
		st.bfly5(out, fstride, m)
	}
}

func (st *kissQ15) bfly2(f []Complex16, fstride, m int) {
	tw := 0
	for k := range m {
		a, b := fixdiv(f[k], 2), fixdiv(f[k+m], 2)
		t := cmul(b, st.tw[tw])
		tw += fstride
		f[k+m] = csub(a, t)
		f[k] = cadd(a, t)
	}
}

func (st *kissQ15) bfly4(f []Complex16, fstride, m int) {
	tw1, tw2, tw3 := 0, 0, 0
	for k := range m {
		f0, f1, f2, f3 := fixdiv(f[k], 4), fixdiv(f[k+m], 4), fixdiv(f[k+2*m], 4), fixdiv(f[k+3*m], 4)
		s0 := cmul(f1, st.tw[tw1])
		s1 := cmul(f2, st.tw[tw2])
		s2 := cmul(f3, st.tw[tw3])
		s5 := csub(f0, s1)
		f0 = cadd(f0, s1)
		s3 := cadd(s0, s2)
		s4 := csub(s0, s2)
		f[k+2*m] = csub(f0, s3)
		tw1 += fstride
		tw2 += 2 * fstride
		tw3 += 3 * fstride
		f[k] = cadd(f0, s3)
		if st.inverse {
			f[k+m] = Complex16{s5.R - s4.I, s5.I + s4.R}
			f[k+3*m] = Complex16{s5.R + s4.I, s5.I - s4.R}
		} else {
			f[k+m] = Complex16{s5.R + s4.I, s5.I - s4.R}
			f[k+3*m] = Complex16{s5.R - s4.I, s5.I + s4.R}
		}
	}
}

func (st *kissQ15) bfly3(f []Complex16, fstride, m int) {
	epi3 := st.tw[fstride*m]
	tw1, tw2 := 0, 0
	for k := range m {
		f0, f1, f2 := fixdiv(f[k], 3), fixdiv(f[k+m], 3), fixdiv(f[k+2*m], 3)
		s1 := cmul(f1, st.tw[tw1])
		s2 := cmul(f2, st.tw[tw2])
		s3 := cadd(s1, s2)
		s0 := csub(s1, s2)
		tw1 += fstride
		tw2 += 2 * fstride
		f1 = Complex16{f0.R - s3.R>>1, f0.I - s3.I>>1}
		s0 = Complex16{sround(int32(s0.R) * int32(epi3.I)), sround(int32(s0.I) * int32(epi3.I))}
		f0 = cadd(f0, s3)
		f[k] = f0
		f[k+2*m] = Complex16{f1.R + s0.I, f1.I - s0.R}
		f[k+m] = Complex16{f1.R - s0.I, f1.I + s0.R}
	}
}

func smul(a, b int16) int16 { return sround(int32(a) * int32(b)) }

func (st *kissQ15) bfly5(f []Complex16, fstride, m int) {
	ya := st.tw[fstride*m]
	yb := st.tw[fstride*2*m]
	for u := range m {
		f0, f1, f2, f3, f4 := fixdiv(f[u], 5), fixdiv(f[u+m], 5), fixdiv(f[u+2*m], 5), fixdiv(f[u+3*m], 5), fixdiv(f[u+4*m], 5)
		s0 := f0
		s1 := cmul(f1, st.tw[u*fstride])
		s2 := cmul(f2, st.tw[2*u*fstride])
		s3 := cmul(f3, st.tw[3*u*fstride])
		s4 := cmul(f4, st.tw[4*u*fstride])
		s7 := cadd(s1, s4)
		s10 := csub(s1, s4)
		s8 := cadd(s2, s3)
		s9 := csub(s2, s3)
		f0.R += s7.R + s8.R
		f0.I += s7.I + s8.I
		s5 := Complex16{s0.R + smul(s7.R, ya.R) + smul(s8.R, yb.R), s0.I + smul(s7.I, ya.R) + smul(s8.I, yb.R)}
		s6 := Complex16{smul(s10.I, ya.I) + smul(s9.I, yb.I), -smul(s10.R, ya.I) - smul(s9.R, yb.I)}
		f[u] = f0
		f[u+m] = csub(s5, s6)
		f[u+4*m] = cadd(s5, s6)
		s11 := Complex16{s0.R + smul(s7.R, yb.R) + smul(s8.R, ya.R), s0.I + smul(s7.I, yb.R) + smul(s8.I, ya.R)}
		s12 := Complex16{-smul(s10.I, yb.I) + smul(s9.I, ya.I), smul(s10.R, yb.I) - smul(s9.R, ya.I)}
		f[u+2*m] = cadd(s11, s12)
		f[u+3*m] = csub(s11, s12)
	}
}

// MaxRadix is the largest radix an FFT length may need: TFLite Micro
// builds KISS FFT without a heap, so its generic butterfly (radices above
// 5) has no scratch memory and cannot run there either.
const MaxRadix = 5

// maxPrimeFactor returns n's largest radix as kissFactors splits it.
func maxPrimeFactor(n int) int {
	f := kissFactors(n)
	m := 0
	for i := 0; i < len(f); i += 2 {
		m = max(m, f[i])
	}
	return m
}

// RfftQ15 is a real FFT plan (kiss_fftr with FIXED_POINT=16), as TFLM's
// SignalRfft runs for int16 input. Immutable.
type RfftQ15 struct {
	n     int // real input length (even)
	sub   *kissQ15
	super []Complex16
}

// ValidRfftLength reports whether n is a length NewRfftQ15 accepts: even,
// positive, at most 1<<16, with no radix above MaxRadix.
func ValidRfftLength(n int) bool {
	return n >= 2 && n <= 1<<16 && n%2 == 0 && maxPrimeFactor(n/2) <= MaxRadix
}

// NewRfftQ15 returns the plan for real FFTs of length n (ValidRfftLength).
func NewRfftQ15(n int) *RfftQ15 {
	nc := n / 2
	r := &RfftQ15{n: n, sub: newKissQ15(nc, false), super: make([]Complex16, nc/2)}
	for i := range r.super {
		phase := -math.Pi * (float64(i+1)/float64(nc) + .5)
		r.super[i] = Complex16{q15(math.Cos(phase)), q15(math.Sin(phase))}
	}
	return r
}

// Len returns the real input length.
func (r *RfftQ15) Len() int { return r.n }

// WorkLen returns the number of Complex16 values Apply needs as work.
func (r *RfftQ15) WorkLen() int { return r.n / 2 }

// Apply computes the n/2+1 complex outputs of the real FFT of in (len n,
// read as n/2 complex pairs) into out, using work (WorkLen values).
func (r *RfftQ15) Apply(in []Complex16, out []Complex16, work []Complex16) {
	nc := r.n / 2
	r.sub.fft(work[:nc], in[:nc])
	tdc := fixdiv(work[0], 2)
	out[0] = Complex16{tdc.R + tdc.I, 0}
	out[nc] = Complex16{tdc.R - tdc.I, 0}
	for k := 1; k <= nc/2; k++ {
		fpk := fixdiv(work[k], 2)
		fpnk := fixdiv(Complex16{work[nc-k].R, -work[nc-k].I}, 2)
		f1k := cadd(fpk, fpnk)
		f2k := csub(fpk, fpnk)
		tw := cmul(f2k, r.super[k-1])
		out[k] = Complex16{int16((int32(f1k.R) + int32(tw.R)) >> 1), int16((int32(f1k.I) + int32(tw.I)) >> 1)}
		out[nc-k] = Complex16{int16((int32(f1k.R) - int32(tw.R)) >> 1), int16((int32(tw.I) - int32(f1k.I)) >> 1)}
	}
}

// IrfftQ15 is an inverse real FFT plan (kiss_fftri with FIXED_POINT=16),
// as TFLM's SignalIrfft runs for int16 input. Immutable.
type IrfftQ15 struct {
	n     int // real output length (even)
	sub   *kissQ15
	super []Complex16
}

// NewIrfftQ15 returns the plan for inverse real FFTs of length n
// (ValidRfftLength).
func NewIrfftQ15(n int) *IrfftQ15 {
	nc := n / 2
	r := &IrfftQ15{n: n, sub: newKissQ15(nc, true), super: make([]Complex16, nc/2)}
	for i := range r.super {
		phase := math.Pi * (float64(i+1)/float64(nc) + .5)
		r.super[i] = Complex16{q15(math.Cos(phase)), q15(math.Sin(phase))}
	}
	return r
}

// WorkLen returns the number of Complex16 values Apply needs as work.
func (r *IrfftQ15) WorkLen() int { return r.n / 2 }

// Apply computes the n real outputs (as n/2 complex pairs in out) of the
// inverse FFT of the n/2+1 complex values in, using work (WorkLen values).
func (r *IrfftQ15) Apply(in []Complex16, out []Complex16, work []Complex16) {
	nc := r.n / 2
	tmp := work[:nc]
	tmp[0] = fixdiv(Complex16{in[0].R + in[nc].R, in[0].R - in[nc].R}, 2)
	for k := 1; k <= nc/2; k++ {
		fk := fixdiv(in[k], 2)
		fnkc := fixdiv(Complex16{in[nc-k].R, -in[nc-k].I}, 2)
		fek := cadd(fk, fnkc)
		fok := cmul(csub(fk, fnkc), r.super[k-1])
		tmp[k] = cadd(fek, fok)
		tmp[nc-k] = csub(fek, fok)
		tmp[nc-k].I = -tmp[nc-k].I
	}
	r.sub.fft(out[:nc], tmp)
}
