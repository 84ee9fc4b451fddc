//go:build amd64 && !noasm

package elementwise

import (
	"testing"
	"unsafe"
)

// TestMulVecLayout pins the parameter block offsets mul_amd64.s reads.
func TestMulVecLayout(t *testing.T) {
	var v mulVec
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"off1", unsafe.Offsetof(v.off1), 0}, {"off2", unsafe.Offsetof(v.off2), 4}, {"left", unsafe.Offsetof(v.left), 8},
		{"m", unsafe.Offsetof(v.m), 12}, {"add", unsafe.Offsetof(v.add), 16}, {"thr", unsafe.Offsetof(v.thr), 24},
		{"sh", unsafe.Offsetof(v.sh), 32}, {"outOff", unsafe.Offsetof(v.outOff), 40}, {"lo", unsafe.Offsetof(v.lo), 44},
		{"hi", unsafe.Offsetof(v.hi), 48},
	} {
		if f.got != f.want {
			t.Errorf("mulVec.%s at %d, the assembly reads %d", f.name, f.got, f.want)
		}
	}
}
