package flex

import (
	"encoding/hex"
	"testing"
)

// stridedSliceNodeDef is the NodeDef of a FlexStridedSlice as the TFLite
// converter wrote it (tensorflow/tflite-support's
// 2022IDDetectorWithMetadata.tflite, op 194).
const stridedSliceNodeDef = "120c53747269646564536c6963651a001a001a001a002a100a0a626567696e5f6d61736b120218002a130a0d656c6c69707369735f6d61736b120218002a130a0d6e65775f617869735f6d61736b120218002a0e0a08656e645f6d61736b120218002a070a0154120230012a0b0a05496e646578120230092a160a10736872696e6b5f617869735f6d61736b12021801322f0a2d69645f6465746563746f725f76325f73657276655f74665f6c6974652f737472696465645f736c6963655f3138"

func TestParseNodeDef(t *testing.T) {
	b, err := hex.DecodeString(stridedSliceNodeDef)
	if err != nil {
		t.Fatal(err)
	}
	nd, err := parseNodeDef(b)
	if err != nil {
		t.Fatal(err)
	}
	if nd.op != "StridedSlice" {
		t.Fatalf("op %q", nd.op)
	}
	want := map[string]attr{
		"begin_mask": {kind: attrInt}, "end_mask": {kind: attrInt}, "ellipsis_mask": {kind: attrInt},
		"new_axis_mask": {kind: attrInt}, "shrink_axis_mask": {kind: attrInt, i: 1},
		"T": {kind: attrType, i: 1}, "Index": {kind: attrType, i: 9},
	}
	if len(nd.attrs) != len(want) {
		t.Fatalf("%d attributes, want %d: %v", len(nd.attrs), len(want), nd.attrs)
	}
	for k, w := range want {
		if g := nd.attrs[k]; g.kind != w.kind || g.i != w.i {
			t.Errorf("%s = %+v, want %+v", k, g, w)
		}
	}
	// A cut inside a field is an error (a cut between fields is a
	// shorter, valid NodeDef).
	if _, err := parseNodeDef(b[:len(b)-1]); err == nil {
		t.Error("a NodeDef cut inside its last field parsed")
	}
}

func FuzzNodeDef(f *testing.F) {
	b, err := hex.DecodeString(stridedSliceNodeDef)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		nd, err := parseNodeDef(data)
		if err == nil && len(nd.attrs) > maxAttrs {
			t.Fatalf("%d attributes", len(nd.attrs))
		}
	})
}
