package elementwise

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBroadcastShape(t *testing.T) {
	tests := []struct {
		name    string
		a, b    []int
		want    []int
		wantErr bool
	}{
		{name: "same", a: []int{2, 3}, b: []int{2, 3}, want: []int{2, 3}},
		{name: "scalar", a: []int{}, b: []int{4, 5}, want: []int{4, 5}},
		{name: "rank extend", a: []int{3}, b: []int{2, 1, 3}, want: []int{2, 1, 3}},
		{name: "both broadcast", a: []int{2, 1}, b: []int{1, 5}, want: []int{2, 5}},
		{name: "zero dim", a: []int{0, 3}, b: []int{1, 3}, want: []int{0, 3}},
		{name: "six dims", a: []int{1, 2, 1, 2, 1, 2}, b: []int{2, 1, 2, 1, 2, 1}, want: []int{2, 2, 2, 2, 2, 2}},
		{name: "mismatch", a: []int{2, 3}, b: []int{3, 3}, wantErr: true},
		{name: "seven dims", a: []int{1, 1, 1, 1, 1, 1, 1}, b: []int{1}, wantErr: true},
		{name: "negative", a: []int{-1}, b: []int{1}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BroadcastShape(tc.a, tc.b)
			if tc.wantErr {
				if !errors.Is(err, ErrBroadcast) {
					t.Fatalf("err = %v, want ErrBroadcast", err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// naiveIndex returns the flat index into an operand of shape s (right
// aligned against out) for the output multi-index idx.
func naiveIndex(s, out, idx []int) int {
	off := len(out) - len(s)
	flat := 0
	for i, d := range s {
		v := idx[off+i]
		if d == 1 {
			v = 0
		}
		flat = flat*d + v
	}
	return flat
}

// checkBinary runs Binary over a(i) = i, b(i) = 1000*i and compares each
// output element with the naive broadcast.
func checkBinary(t *testing.T, a, b []int) {
	t.Helper()
	out, err := BroadcastShape(a, b)
	if err != nil {
		return
	}
	prod := func(s []int) int {
		n := 1
		for _, d := range s {
			n *= d
		}
		return n
	}
	av := make([]int32, prod(a))
	bv := make([]int32, prod(b))
	for i := range av {
		av[i] = int32(i)
	}
	for i := range bv {
		bv[i] = int32(1000 * i)
	}
	got := make([]int32, prod(out))
	p := NewPlan(a, b, out)
	if p.Elements() != len(got) {
		t.Fatalf("%v %v: plan has %d elements, want %d", a, b, p.Elements(), len(got))
	}
	Binary(&p, av, bv, got, PlainRow[int32](OpAdd, -1<<31, 1<<31-1))
	idx := make([]int, len(out))
	for k := range got {
		want := av[naiveIndex(a, out, idx)] + bv[naiveIndex(b, out, idx)]
		if got[k] != want {
			t.Fatalf("%v + %v at %v: got %d, want %d", a, b, idx, got[k], want)
		}
		for d := len(out) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
}

func TestBinaryBroadcast(t *testing.T) {
	cases := [][2][]int{
		{{2, 3}, {2, 3}},
		{{}, {4}},
		{{4}, {}},
		{{2, 1, 3}, {1, 4, 1}},
		{{1, 3, 1, 5}, {2, 1, 4, 1}},
		{{2, 3, 4}, {4}},
		{{2, 3, 4}, {3, 1}},
		{{1, 1, 1}, {1}},
		{{0, 3}, {1, 3}},
		{{2, 1, 2, 1, 2, 1}, {1, 2, 1, 2, 1, 2}},
	}
	for _, c := range cases {
		checkBinary(t, c[0], c[1])
		checkBinary(t, c[1], c[0])
	}
}

func FuzzBroadcast(f *testing.F) {
	f.Add([]byte{2, 1, 3}, []byte{1, 4, 1})
	f.Add([]byte{}, []byte{5})
	f.Add([]byte{1, 2, 1, 2, 1, 2}, []byte{2, 1, 2, 1, 2, 1})
	f.Fuzz(func(t *testing.T, ra, rb []byte) {
		if len(ra) > 7 || len(rb) > 7 {
			return
		}
		conv := func(r []byte) []int {
			s := make([]int, len(r))
			for i, v := range r {
				s[i] = int(v % 5) // small dims, 0 included
			}
			return s
		}
		a, b := conv(ra), conv(rb)
		out, err := BroadcastShape(a, b)
		if err != nil {
			return
		}
		if len(out) != max(len(a), len(b)) {
			t.Fatalf("rank %d", len(out))
		}
		checkBinary(t, a, b)
	})
}

// TestBinaryTiledMatchesBinary: for a per-channel row against a tensor
// (either side, leading 1s, batch and spatial dims, rows of 2..70 values)
// BinaryTiled gives bit for bit what Binary gives, for every float
// arithmetic row (incl. the vector MUL, ADD and PRELU kernels, NaN, ±Inf,
// ±0 operands and a clamp) and an int8 row; RepeatedRow rejects plans
// without that structure.
func TestBinaryTiledMatchesBinary(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	rows := map[string]func(a, b, out []float32){
		"prelu": PreluFloatRow(),
	}
	for _, op := range []Op{OpAdd, OpSub, OpMul, OpDiv, OpSquaredDiff, OpMax, OpMin} {
		rows[fmt.Sprint("op", op)] = PlainRow[float32](op, -3, 5)
	}
	for i := range 200 {
		h, w, c := 1+r.IntN(9), 1+r.IntN(9), 2+r.IntN(69)
		full := []int{1 + r.IntN(2), h, w, c}
		if full[0]*h*w < 2 {
			full[1] = 2
		}
		vec := []int{1, 1, 1, c}
		if r.IntN(2) == 0 {
			vec = []int{c}
		}
		aShape, bShape := full, vec
		if i%2 == 1 {
			aShape, bShape = vec, full
		}
		p := NewPlan(aShape, bShape, full)
		want := 2 - i%2
		if p.RepeatedRow() != want {
			t.Fatalf("%v, %v: RepeatedRow = %d, want %d", aShape, bShape, p.RepeatedRow(), want)
		}
		fill := func(s []int) []float32 {
			e := 1
			for _, d := range s {
				e *= d
			}
			v := make([]float32, e)
			for j := range v {
				v[j] = float32(r.NormFloat64() * 4)
				if r.IntN(20) == 0 {
					v[j] = special[r.IntN(len(special))]
				}
			}
			return v
		}
		a, b := fill(aShape), fill(bShape)
		n := p.Elements()
		for name, row := range rows {
			got, ref := make([]float32, n), make([]float32, n)
			tile := make([]float32, p.TileRows()*p.Inner())
			BinaryTiled(&p, a, b, got, tile, tile, row)
			Binary(&p, a, b, ref, row)
			for j := range ref {
				if math.Float32bits(got[j]) != math.Float32bits(ref[j]) {
					t.Fatalf("%s %v, %v [%d]: tiled %v, per row %v", name, aShape, bShape, j, got[j], ref[j])
				}
			}
		}
		a8, b8 := make([]int8, len(a)), make([]int8, len(b))
		for j := range a8 {
			a8[j] = int8(r.IntN(256) - 128)
		}
		for j := range b8 {
			b8[j] = int8(r.IntN(256) - 128)
		}
		row8 := PlainRow[int8](OpMul, -100, 100)
		got8, ref8 := make([]int8, n), make([]int8, n)
		tile8 := make([]int8, p.TileRows()*p.Inner())
		BinaryTiled(&p, a8, b8, got8, tile8, tile8, row8)
		Binary(&p, a8, b8, ref8, row8)
		if !slices.Equal(got8, ref8) {
			t.Fatalf("int8 %v, %v: tiled %v, per row %v", aShape, bShape, got8, ref8)
		}
	}
	for _, s := range [][2][]int{{{2, 3}, {2, 3}}, {{4, 1}, {1, 5}}, {{3, 4}, {1}}, {{2, 1, 4}, {2, 3, 4}}, {{1, 4}, {1, 4}}} {
		out, _ := BroadcastShape(s[0], s[1])
		p := NewPlan(s[0], s[1], out)
		if got := p.RepeatedRow(); got != 0 {
			t.Errorf("%v, %v: RepeatedRow = %d, want 0", s[0], s[1], got)
		}
	}
}
