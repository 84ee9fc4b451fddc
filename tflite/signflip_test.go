package tflite_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// TestUint8SignFlipsCorpus runs every uint8 model of the real-model corpus
// on its cases' inputs with the planner's sign-flip elision (signFlips:
// consecutive uint8 convolutions pass x ^ 0x80 between them) and without
// it (WithoutFusion), and fails unless every output byte agrees. It also
// fails unless the elision applies somewhere (Coral's MobileNets are chains
// of uint8 convolutions), so that it compares something.
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
		n := tflite.ElidedSignFlips(plain)
		t.Logf("%s: %d sign-flip pairs elided", name, n)
		elided += n
		cases, _ := filepath.Glob(filepath.Join(dir, name, "cases", "*", "in0.npy"))
		if len(cases) == 0 {
			t.Errorf("%s: no case inputs", name)
		}
		rf, rp := fused.NewRunner(), plain.NewRunner()
		for _, c := range cases {
			files, err := readCaseFiles(filepath.Dir(c), "in")
			if err != nil {
				t.Fatal(err)
			}
			ins, err := pairByShape(files, rf.Inputs())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
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
					t.Errorf("%s %s: output %d differs with the sign flips elided", name, strings.TrimPrefix(filepath.Dir(c), dir), k)
				}
			}
		}
	}
	if elided == 0 && limit == 0 {
		t.Error("no uint8 corpus model had a sign flip elided: the comparison tests nothing")
	}
}
