package tflitebuild

import (
	"encoding/binary"
	"math"
)

// This file is a minimal flatbuffer writer. Unlike the official builders,
// which write back to front, it writes front to back: a table is written
// with placeholders for its offset fields, then its children after it, and
// the placeholders are patched. Every uoffset therefore points forward, as
// the format requires, and each vtable sits just before its table (the
// signed soffset allows that). The output is deterministic.

// object is something that can be serialised: a table, a vector or a string.
type object interface {
	// emit writes the object at the end of e.buf and returns the position
	// its offsets must point at.
	emit(e *encoder) uint32
}

// field is one field of a table: an inline scalar or an offset to a child.
type field struct {
	slot  int
	size  int    // 1 or 4 for scalars; 4 for offsets
	bits  uint32 // scalar value (little-endian bits)
	child object // non-nil for an offset field
}

// table is a flatbuffer table under construction.
type table struct {
	fields []field
}

func (t *table) u8(slot int, v uint8) *table {
	t.fields = append(t.fields, field{slot: slot, size: 1, bits: uint32(v)})
	return t
}

func (t *table) boolean(slot int, v bool) *table {
	var b uint8
	if v {
		b = 1
	}
	return t.u8(slot, b)
}

func (t *table) i32(slot int, v int32) *table {
	t.fields = append(t.fields, field{slot: slot, size: 4, bits: uint32(v)})
	return t
}

func (t *table) f32(slot int, v float32) *table {
	t.fields = append(t.fields, field{slot: slot, size: 4, bits: math.Float32bits(v)})
	return t
}

func (t *table) ref(slot int, child object) *table {
	if child != nil {
		t.fields = append(t.fields, field{slot: slot, size: 4, child: child})
	}
	return t
}

func (t *table) emit(e *encoder) uint32 {
	maxSlot := -1
	for _, f := range t.fields {
		maxSlot = max(maxSlot, f.slot)
	}
	// Inline layout: soffset, then 4-byte fields, then 1-byte fields.
	offsets := make([]uint16, maxSlot+1)
	pos := uint16(4)
	for _, want := range []int{4, 1} {
		for _, f := range t.fields {
			if f.size == want {
				offsets[f.slot] = pos
				pos += uint16(f.size)
			}
		}
	}
	objLen := (pos + 3) &^ 3

	// vtable, 2-byte aligned, placed so that the table after it is 4-aligned.
	vtLen := 4 + 2*len(offsets)
	e.pad(2)
	if (len(e.buf)+vtLen)%4 != 0 {
		e.buf = append(e.buf, 0, 0)
	}
	vt := uint32(len(e.buf))
	e.buf = binary.LittleEndian.AppendUint16(e.buf, uint16(vtLen))
	e.buf = binary.LittleEndian.AppendUint16(e.buf, objLen)
	for _, o := range offsets {
		e.buf = binary.LittleEndian.AppendUint16(e.buf, o)
	}

	start := uint32(len(e.buf))
	e.buf = append(e.buf, make([]byte, objLen)...)
	binary.LittleEndian.PutUint32(e.buf[start:], start-vt)
	for _, f := range t.fields {
		p := start + uint32(offsets[f.slot])
		if f.size == 1 {
			e.buf[p] = byte(f.bits)
		} else {
			binary.LittleEndian.PutUint32(e.buf[p:], f.bits)
		}
	}
	for _, f := range t.fields {
		if f.child != nil {
			e.patch(start+uint32(offsets[f.slot]), f.child.emit(e))
		}
	}
	return start
}

// scalars is a vector of fixed-size scalars, stored as little-endian bytes,
// whose data starts on an align-byte boundary.
type scalars struct {
	data  []byte
	elem  int
	align int
}

func (v scalars) emit(e *encoder) uint32 {
	e.pad(4)
	for (len(e.buf)+4)%v.align != 0 {
		e.buf = append(e.buf, 0)
	}
	start := uint32(len(e.buf))
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(v.data)/v.elem))
	e.buf = append(e.buf, v.data...)
	return start
}

func int32s(v []int32) object {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return scalars{data: b, elem: 4, align: 4}
}

func intsVec(v []int) object {
	w := make([]int32, len(v))
	for i, x := range v {
		w[i] = int32(x)
	}
	return int32s(w)
}

func int64s(v []int64) object {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return scalars{data: b, elem: 8, align: 8}
}

func float32s(v []float32) object {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return scalars{data: b, elem: 4, align: 4}
}

// bytesVec is a [ubyte] vector whose data starts on a 16-byte boundary
// (the schema's force_align for buffer data).
func bytesVec(b []byte) object { return scalars{data: b, elem: 1, align: 16} }

// str is a flatbuffer string (length-prefixed, NUL-terminated).
type str string

func (s str) emit(e *encoder) uint32 {
	e.pad(4)
	start := uint32(len(e.buf))
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(s)))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, 0)
	return start
}

// tables is a vector of tables.
type tables []*table

func (v tables) emit(e *encoder) uint32 {
	e.pad(4)
	start := uint32(len(e.buf))
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(v)))
	slots := uint32(len(e.buf))
	e.buf = append(e.buf, make([]byte, 4*len(v))...)
	for i, t := range v {
		e.patch(slots+4*uint32(i), t.emit(e))
	}
	return start
}

type encoder struct {
	buf []byte
}

func (e *encoder) pad(n int) {
	for len(e.buf)%n != 0 {
		e.buf = append(e.buf, 0)
	}
}

// patch stores at p the uoffset from p to target (target > p).
func (e *encoder) patch(p, target uint32) {
	binary.LittleEndian.PutUint32(e.buf[p:], target-p)
}

// finish serialises root with the file identifier id and returns the bytes.
// sizeHint is the expected length of the output.
func finish(root *table, id string, sizeHint int) []byte {
	e := &encoder{buf: make([]byte, 8, max(sizeHint, 1024))}
	copy(e.buf[4:8], id)
	e.patch(0, root.emit(e))
	e.pad(4)
	return e.buf
}
