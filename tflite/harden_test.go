package tflite_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// hardeningFiles returns the model files of issue 11 that killed the
// server, read in place from ../shared/hardening. It skips the test when
// they are absent, unless EDGEINFER_CONFORMANCE=require.
func hardeningFiles(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := filepath.Join("..", "..", "shared", "hardening")
	out := map[string][]byte{}
	for _, name := range []string{"crash.tflite", "crash2.tflite"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
				tb.Fatalf("hardening data required but absent: %v", err)
			}
			tb.Skipf("hardening models absent (../shared/hardening): %v", err)
		}
		out[name] = b
	}
	return out
}

// TestHardeningModels: the two files that crashed `edgeinfer serve` and
// `edgeinfer inspect` are refused with an error, by Describe and by Load.
func TestHardeningModels(t *testing.T) {
	files := hardeningFiles(t)
	tests := []struct {
		file     string
		describe error // nil: Describe succeeds
		load     error
	}{
		// An operator table whose vtable lies outside the file, in a model
		// with no operator codes: the failed read returned opcode 0, which
		// was used as an index.
		{"crash.tflite", tflite.ErrInvalidModel, tflite.ErrInvalidModel},
		// Input (and output) shape [262145,0], no operators: a zero-size
		// activation, which reached the Runner's input copy.
		{"crash2.tflite", nil, tflite.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data := files[tc.file]
			if _, err := tflite.Describe(data); !errors.Is(err, tc.describe) || (tc.describe == nil) != (err == nil) {
				t.Errorf("Describe = %v, want %v", err, tc.describe)
			}
			if _, err := tflite.Load(data); !errors.Is(err, tc.load) {
				t.Errorf("Load = %v, want %v", err, tc.load)
			}
			tryModel(t, data)
		})
	}
}

// fbField returns the absolute position of field slot of the table at
// pos in a well-formed flatbuffer (one our builder wrote), 0 when absent.
func fbField(b []byte, pos uint32, slot int) uint32 {
	vt := uint32(int64(pos) - int64(int32(binary.LittleEndian.Uint32(b[pos:]))))
	vtLen := uint32(binary.LittleEndian.Uint16(b[vt:]))
	if 4+2*uint32(slot)+2 > vtLen {
		return 0
	}
	off := uint32(binary.LittleEndian.Uint16(b[vt+4+2*uint32(slot):]))
	if off == 0 {
		return 0
	}
	return pos + off
}

// fbDeref follows the uoffset stored at p.
func fbDeref(b []byte, p uint32) uint32 { return p + binary.LittleEndian.Uint32(b[p:]) }

// opcodeTrapModel builds the minimal form of crash.tflite: a well-formed
// one-operator model whose operator_codes vector is emptied and whose
// operator table's vtable offset points outside the file.
func opcodeTrapModel(tb testing.TB) []byte {
	tb.Helper()
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.Op("RELU", []int{x}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	root := fbDeref(data, 0)
	codes := fbDeref(data, fbField(data, root, 1))
	binary.LittleEndian.PutUint32(data[codes:], 0) // no operator codes
	sg := fbDeref(data, fbDeref(data, fbField(data, root, 2))+4)
	opTable := fbDeref(data, fbDeref(data, fbField(data, sg, 3))+4)
	// soffset to the vtable: pos - soffset lands past the end of the file.
	binary.LittleEndian.PutUint32(data[opTable:], uint32(-int32(len(data))))
	return data
}

// zeroSizeModel builds the minimal form of crash2.tflite: an input with a
// zero dimension returned as the output, no operators.
func zeroSizeModel(tb testing.TB) []byte {
	tb.Helper()
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{3, 0}, nil, nil)
	b.Inputs(x)
	b.Outputs(x)
	data, err := b.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestLoadRejectsHostileShapes covers the class of crash2.tflite: every
// activation a Prepare or a kernel can see has a non-zero element count
// that fits the limits, whether the file declares it, an operator computes
// it, or a batch size produces it.
func TestLoadRejectsHostileShapes(t *testing.T) {
	build := func(f func(b *tflitebuild.Builder)) []byte {
		t.Helper()
		b := tflitebuild.New()
		f(b)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"zero-size input returned as output", zeroSizeModel(t), tflite.ErrUnsupported},
		{"zero-size input into ADD", build(func(b *tflitebuild.Builder) {
			x := b.Tensor("x", tensor.Float32, []int{2, 0, 3}, nil, nil)
			y := b.Tensor("y", tensor.Float32, []int{2, 0, 3}, nil, nil)
			b.Op("ADD", []int{x, x}, []int{y}, &op.ArithOptions{})
			b.Inputs(x)
			b.Outputs(y)
		}), tflite.ErrUnsupported},
		{"operator computes a zero-size output", build(func(b *tflitebuild.Builder) {
			x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
			begin := b.Const("begin", []int{2}, nil, []int32{0, 2})
			end := b.Const("end", []int{2}, nil, []int32{1, 2})
			strides := b.Const("strides", []int{2}, nil, []int32{1, 1})
			y := b.Tensor("y", tensor.Float32, []int{1, 0}, nil, nil)
			b.Op("STRIDED_SLICE", []int{x, begin, end, strides}, []int{y}, &op.StridedSliceOptions{})
			b.Inputs(x)
			b.Outputs(y)
		}), tflite.ErrUnsupported},
		{"operator codes emptied, operator vtable outside the file", opcodeTrapModel(t), tflite.ErrInvalidModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tflite.Load(tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
			tryModel(t, tc.data)
		})
	}
}

// TestWithBatchElementOverflow: a batch size that pushes an input past
// tensor.MaxElements is refused by WithBatch. (The element count used to
// go unchecked for inputs: the layout then sized the tensor as -1 bytes, an
// arena of 0 bytes was planned, and NewRunner panicked slicing it.)
func TestWithBatchElementOverflow(t *testing.T) {
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Int8, []int{1, 1 << 30}, nil, nil)
	b.ShapeSignature(x, []int{-1, 1 << 30})
	b.Inputs(x)
	b.Outputs(x)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data) // 1 GiB of arena: planned, never allocated here
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.WithBatch(3); !errors.Is(err, tflite.ErrInvalidModel) {
		t.Fatalf("WithBatch(3) = %v, want ErrInvalidModel (3 × 2^30 elements)", err)
	}
	if _, err := m.WithBatch(2); !errors.Is(err, tflite.ErrLimit) {
		t.Fatalf("WithBatch(2) = %v, want ErrLimit (2 GiB of arena)", err)
	}
}

// TestRunRecoversKernelPanic: a kernel that panics (a bug reached through
// a model file) makes Run return an error naming the operator, and the
// Runner stays usable.
func TestRunRecoversKernelPanic(t *testing.T) {
	calls := 0
	res := op.NewResolver()
	res.Add("RELU", func(n *op.Node) (op.Kernel, error) {
		return op.Kernel{Eval: func(_ *op.Exec, in, out []*tensor.Tensor) error {
			calls++
			if calls == 1 {
				var empty []byte
				_ = empty[len(in[0].Data)] // index out of range
			}
			copy(out[0].Data, in[0].Data)
			return nil
		}}, nil
	})
	b := tflitebuild.New()
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.Op("RELU", []int{x}, []int{y}, nil)
	b.Inputs(x)
	b.Outputs(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Load(data, tflite.WithResolver(res))
	if err != nil {
		t.Fatal(err)
	}
	r := m.NewRunner()
	if _, err := r.Run(context.Background(), nil); !errors.Is(err, tflite.ErrInvalidModel) || !errors.Is(err, tflite.ErrPanic) {
		t.Fatalf("first Run = %v, want ErrInvalidModel and ErrPanic from the recovered panic", err)
	}
	if i, _ := r.CurrentOp(); i != -1 {
		t.Fatalf("CurrentOp after the panic = %d, want -1", i)
	}
	if _, err := r.Run(context.Background(), nil); err != nil {
		t.Fatalf("second Run = %v, want success", err)
	}
}
