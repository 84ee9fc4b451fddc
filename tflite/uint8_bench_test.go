package tflite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// BenchmarkUint8Corpus times the uint8 convolution models of
// ../shared/realmodels (Coral's and TF Hub's quantized MobileNets, SSD,
// DeepLab, AutoML) on their "random" case at one thread, with GMAC/s:
//
//	go test -run '^$' -bench Uint8Corpus -benchtime 100x ./tflite/
func BenchmarkUint8Corpus(b *testing.B) {
	dir := filepath.Join("..", "..", "shared", "realmodels")
	for _, name := range []string{
		"coral__mobilenet_v2_1.0_224_quant",
		"coral__mobilenet_v1_1.0_224_quant_embedding_extractor",
		"coral__mobilenet_v1_0.75_192_quant",
		"coral__mobilenet_v1_0.25_128_quant",
		"tflsupport__mobilenet_v1_0.25_224_quant",
		"tflsupport__automl_labeler_model",
		"coral__deeplabv3_mnv2_pascal_quant",
		"coral__automl_traffic_model",
	} {
		b.Run(name, func(b *testing.B) {
			m, err := tflite.LoadFile(filepath.Join(dir, name, "model.tflite"))
			if err != nil {
				b.Skipf("corpus model unavailable: %v", err)
			}
			files, err := readCaseFiles(filepath.Join(dir, name, "cases", "random"), "in")
			if err != nil || len(files) == 0 {
				b.Skipf("corpus case unavailable: %v", err)
			}
			r := m.NewRunner()
			defer r.Close()
			r.SetThreads(1)
			ins, err := pairByShape(files, r.Inputs())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Run(ctx, ins); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(m.MACs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
