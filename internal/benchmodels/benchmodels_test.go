package benchmodels

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite"
)

func TestBuild(t *testing.T) {
	tests := []struct {
		name  string
		mmacs float64 // the peer README's figure
	}{
		{name: "mnv2_int8", mmacs: 300.8},
		{name: "mnv1_int8", mmacs: 568.7},
		{name: "mnv2_f32", mmacs: 300.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Build(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Build(tc.name)
			if !bytes.Equal(b, again) {
				t.Fatal("Build is not deterministic")
			}
			m, err := tflite.Load(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := float64(m.MACs()) / 1e6; got < tc.mmacs*0.99 || got > tc.mmacs*1.01 {
				t.Fatalf("%.1f M MACs, want %.1f ±1%%", got, tc.mmacs)
			}
			r := m.NewRunner()
			out, err := r.Run(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || out[0].Shape.Elements() != 1000 {
				t.Fatalf("output %v", out)
			}
		})
	}
	if _, err := Build("resnet"); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("unknown model: %v", err)
	}
}
