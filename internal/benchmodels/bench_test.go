package benchmodels

import (
	"context"
	"fmt"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// BenchmarkRun times one inference of every model at 1 and 2 threads.
func BenchmarkRun(b *testing.B) {
	for _, name := range Names() {
		data, err := Build(name)
		if err != nil {
			b.Fatal(err)
		}
		m, err := tflite.Load(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads%d", name, threads), func(b *testing.B) {
				r := m.NewRunner()
				r.SetThreads(threads)
				defer r.SetThreads(1)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.Run(ctx, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(m.MACs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}
