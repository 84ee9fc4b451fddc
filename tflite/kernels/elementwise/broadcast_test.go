package elementwise

import (
	"errors"
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
