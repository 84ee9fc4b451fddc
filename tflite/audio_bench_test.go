package tflite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// BenchmarkAudioCorpus times the audio models of ../shared/realmodels (the
// TFLM audio front ends and YAMNet) on their "random" case at one thread:
//
//	go test -run '^$' -bench AudioCorpus -benchtime 200x ./tflite/
func BenchmarkAudioCorpus(b *testing.B) {
	dir := filepath.Join("..", "..", "shared", "realmodels")
	for _, name := range []string{
		"tflm__audio_preprocessor_int8",
		"tflm__audio_preprocessor_float",
		"tflsupport__yamnet_wavin_quantized_mel_relu6",
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
		})
	}
}
