package tflite

import (
	"encoding/binary"
	"fmt"
	"math"
)

// fb reads a flatbuffer with every access bounds-checked. The first problem
// found is kept in err and later reads return zero values, so parsing code
// can read a whole table and check err once. Nothing here panics on any
// input.
type fb struct {
	b   []byte
	err error
}

// table is a located flatbuffer table: its position and its vtable.
type table struct {
	pos   uint32 // start of the table (its soffset to the vtable)
	vt    uint32 // start of the vtable
	vtLen uint32 // vtable length in bytes
	ok    bool   // false for an absent table
}

func (r *fb) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// check reports whether [pos, pos+n) lies inside the buffer.
func (r *fb) check(pos, n uint32, what string) bool {
	if r.err != nil {
		return false
	}
	if uint64(pos)+uint64(n) > uint64(len(r.b)) {
		r.fail("%s at offset %d (+%d bytes) is outside the %d-byte file", what, pos, n, len(r.b))
		return false
	}
	return true
}

func (r *fb) u32(pos uint32, what string) uint32 {
	if !r.check(pos, 4, what) {
		return 0
	}
	return binary.LittleEndian.Uint32(r.b[pos:])
}

func (r *fb) u16(pos uint32, what string) uint16 {
	if !r.check(pos, 2, what) {
		return 0
	}
	return binary.LittleEndian.Uint16(r.b[pos:])
}

// tableAt locates the table at pos.
func (r *fb) tableAt(pos uint32, what string) table {
	if r.err != nil {
		return table{}
	}
	if pos%4 != 0 {
		r.fail("%s: table at offset %d is misaligned", what, pos)
		return table{}
	}
	so := int64(int32(r.u32(pos, what)))
	vt := int64(pos) - so
	if r.err != nil {
		return table{}
	}
	if vt < 0 || vt > int64(len(r.b))-4 || vt%2 != 0 {
		r.fail("%s: vtable offset %d is outside the file", what, vt)
		return table{}
	}
	vtLen := uint32(r.u16(uint32(vt), what))
	objLen := uint32(r.u16(uint32(vt)+2, what))
	if vtLen < 4 || vtLen%2 != 0 {
		r.fail("%s: bad vtable length %d", what, vtLen)
		return table{}
	}
	if !r.check(uint32(vt), vtLen, what+" vtable") || !r.check(pos, objLen, what) {
		return table{}
	}
	return table{pos: pos, vt: uint32(vt), vtLen: vtLen, ok: true}
}

// field returns the absolute position of field slot in t and the table's
// inline size bound, or 0 when absent.
func (r *fb) field(t table, slot int, size uint32, what string) uint32 {
	if !t.ok || r.err != nil {
		return 0
	}
	vo := 4 + 2*uint32(slot)
	if vo+2 > t.vtLen {
		return 0
	}
	off := uint32(binary.LittleEndian.Uint16(r.b[t.vt+vo:]))
	if off == 0 {
		return 0
	}
	objLen := uint32(binary.LittleEndian.Uint16(r.b[t.vt+2:]))
	if off+size > objLen {
		r.fail("%s: field %d (offset %d, %d bytes) lies outside its %d-byte table", what, slot, off, size, objLen)
		return 0
	}
	return t.pos + off
}

func (r *fb) getU8(t table, slot int, def uint8, what string) uint8 {
	p := r.field(t, slot, 1, what)
	if p == 0 {
		return def
	}
	return r.b[p]
}

func (r *fb) getI32(t table, slot int, def int32, what string) int32 {
	p := r.field(t, slot, 4, what)
	if p == 0 {
		return def
	}
	return int32(binary.LittleEndian.Uint32(r.b[p:]))
}

func (r *fb) getU32(t table, slot int, def uint32, what string) uint32 {
	return uint32(r.getI32(t, slot, int32(def), what))
}

func (r *fb) getU64(t table, slot int, def uint64, what string) uint64 {
	p := r.field(t, slot, 8, what)
	if p == 0 {
		return def
	}
	return binary.LittleEndian.Uint64(r.b[p:])
}

func (r *fb) getF32(t table, slot int, def float32, what string) float32 {
	p := r.field(t, slot, 4, what)
	if p == 0 {
		return def
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(r.b[p:]))
}

// indirect follows the uoffset stored at field slot.
func (r *fb) indirect(t table, slot int, what string) (uint32, bool) {
	p := r.field(t, slot, 4, what)
	if p == 0 {
		return 0, false
	}
	off := binary.LittleEndian.Uint32(r.b[p:])
	target := uint64(p) + uint64(off)
	if target >= uint64(len(r.b)) {
		r.fail("%s: field %d points to offset %d outside the %d-byte file", what, slot, target, len(r.b))
		return 0, false
	}
	return uint32(target), true
}

// getTable returns the sub-table at field slot (ok=false when absent).
func (r *fb) getTable(t table, slot int, what string) table {
	p, ok := r.indirect(t, slot, what)
	if !ok {
		return table{}
	}
	return r.tableAt(p, what)
}

// vec is a located vector: n elements of elem bytes starting at start.
type vec struct {
	start, n, elem uint32
}

// getVec returns the vector at field slot; absent vectors have n == 0.
func (r *fb) getVec(t table, slot int, elem uint32, what string) vec {
	p, ok := r.indirect(t, slot, what)
	if !ok {
		return vec{elem: elem}
	}
	if p%4 != 0 {
		r.fail("%s: vector at offset %d is misaligned", what, p)
		return vec{elem: elem}
	}
	n := r.u32(p, what)
	if r.err != nil {
		return vec{elem: elem}
	}
	if uint64(n)*uint64(elem) > uint64(len(r.b))-uint64(p)-4 {
		r.fail("%s: vector of %d elements at offset %d runs past the end of the %d-byte file", what, n, p, len(r.b))
		return vec{elem: elem}
	}
	return vec{start: p + 4, n: n, elem: elem}
}

func (r *fb) getString(t table, slot int, what string) string {
	v := r.getVec(t, slot, 1, what)
	if v.n == 0 {
		return ""
	}
	return string(r.b[v.start : v.start+v.n])
}

func (r *fb) getBytes(t table, slot int, what string) []byte {
	v := r.getVec(t, slot, 1, what)
	if v.n == 0 {
		return nil
	}
	return r.b[v.start : v.start+v.n : v.start+v.n]
}

func (r *fb) vecI32(v vec, i uint32) int32 {
	return int32(binary.LittleEndian.Uint32(r.b[v.start+4*i:]))
}

func (r *fb) vecI64(v vec, i uint32) int64 {
	return int64(binary.LittleEndian.Uint64(r.b[v.start+8*i:]))
}

func (r *fb) vecF32(v vec, i uint32) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(r.b[v.start+4*i:]))
}

// vecTable returns element i of a vector of tables.
func (r *fb) vecTable(v vec, i uint32, what string) table {
	p := v.start + 4*i
	off := binary.LittleEndian.Uint32(r.b[p:])
	target := uint64(p) + uint64(off)
	if target >= uint64(len(r.b)) {
		r.fail("%s %d: offset %d outside the file", what, i, target)
		return table{}
	}
	return r.tableAt(uint32(target), fmt.Sprintf("%s %d", what, i))
}

// getI32s copies an int32 vector.
func (r *fb) getI32s(t table, slot int, what string) []int32 {
	v := r.getVec(t, slot, 4, what)
	if v.n == 0 {
		return nil
	}
	out := make([]int32, v.n)
	for i := range out {
		out[i] = r.vecI32(v, uint32(i))
	}
	return out
}
