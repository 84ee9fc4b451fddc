package tflite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// TestUint8SignFlipsCorpus runs every uint8 model of the real-model corpus
// with the planner's uint8-to-int8 retyping (retypeUint8: activations
// held as x ^ 0x80 with zero point − 128, uint8 convolutions without flip
// passes, ADD, pooling etc. on their int8 kernels) and without it
// (WithoutFusion: every operator on its uint8 kernel), on its cases'
// inputs, uniform random bytes and the extremes 0 and 255, and fails
// unless every output byte agrees. It also fails unless the retyping
// applies somewhere, so that it compares something.
func TestUint8SignFlipsCorpus(t *testing.T) {
	dir := realModelsDir(t)
	dtypes := corpusDTypes(t, dir)
	var names []string
	for name, dt := range dtypes {
		if dt == "uint8" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	limit := 0.0 // every model
	switch {
	case raceEnabled:
		limit = corpusRaceMACs
	case testing.Short():
		limit = corpusShortMACs
	}
	elided := 0
	for _, name := range names {
		path := filepath.Join(dir, name, "model.tflite")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		fused, err := tflite.Load(data)
		if err != nil {
			t.Logf("%s: does not load (%v); the corpus test reports it", name, err)
			continue
		}
		if limit > 0 && float64(fused.MACs()) > limit {
			continue
		}
		plain, err := tflite.Load(data, tflite.WithoutFusion())
		if err != nil {
			t.Fatalf("%s: loads only with fusion: %v", name, err)
		}
		n := tflite.RetypedUint8(plain)
		t.Logf("%s: %d uint8 activations retyped to int8", name, n)
		elided += n
		cases, _ := filepath.Glob(filepath.Join(dir, name, "cases", "*", "in0.npy"))
		if len(cases) == 0 {
			t.Errorf("%s: no case inputs", name)
		}
		rf, rp := fused.NewRunner(), plain.NewRunner()
		type input struct {
			what string
			ins  []*tensor.Tensor
		}
		var inputs []input
		for _, c := range cases {
			files, err := readCaseFiles(filepath.Dir(c), "in")
			if err != nil {
				t.Fatal(err)
			}
			ins, err := pairByShape(files, rf.Inputs())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			inputs = append(inputs, input{strings.TrimPrefix(filepath.Dir(c), dir), ins})
		}
		// Uniform random bytes and the extremes (every byte 0, every byte
		// 255) drive the activations through their clamps.
		r := rand.New(rand.NewPCG(uint64(len(name)), 7))
		for _, fill := range []int{-1, 0, 255} {
			var ins []*tensor.Tensor
			for _, in := range rf.Inputs() {
				x := &tensor.Tensor{DType: in.DType, Shape: in.Shape.Clone(), Quant: in.Quant, Data: make([]byte, len(in.Data))}
				for i := range x.Data {
					if fill < 0 {
						x.Data[i] = byte(r.IntN(256))
					} else {
						x.Data[i] = byte(fill)
					}
				}
				ins = append(ins, x)
			}
			inputs = append(inputs, input{fmt.Sprintf("bytes %d", fill), ins})
		}
		for _, in := range inputs {
			ins := in.ins
			of, err := rf.Run(context.Background(), ins)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			op, err := rp.Run(context.Background(), ins)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for k := range of {
				if string(of[k].Data) != string(op[k].Data) {
					t.Errorf("%s %s: output %d differs with uint8 activations retyped to int8", name, in.what, k)
				}
			}
		}
	}
	if elided == 0 && limit == 0 {
		t.Error("no uint8 corpus model had a sign flip elided: the comparison tests nothing")
	}
}
