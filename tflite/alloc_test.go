package tflite_test

import (
	"context"
	"testing"

	"github.com/edgeinfer/edgeinfer/internal/benchmodels"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// TestRunAllocatesNothing: once a Runner exists, a one-thread Run (the
// default, and what the serving layer uses under load) makes no heap
// allocation, for the example models, person detection (when the
// conformance data is present) and the benchmark MobileNets, int8 and
// float32. With two threads it allocates nothing either: kernels hand the
// worker pool a Task kept in per-Runner state, never a fresh closure. (A
// parked worker may rarely cost the runtime a sudog; AllocsPerRun's
// per-run average rounds that away, while a per-Eval allocation shows.)
func TestRunAllocatesNothing(t *testing.T) {
	models := runModels(t)
	if _, ok := models["person_detect"]; !ok {
		t.Log("person_detect skipped: ../shared/conformance is absent")
	}
	for _, name := range benchmodels.Names() {
		data, err := benchmodels.Build(name)
		if err != nil {
			t.Fatal(err)
		}
		models[name] = data
	}
	tests := []struct {
		name    string
		threads int
	}{
		{"threads1", 1},
		{"threads2", 2},
	}
	for name, data := range models {
		m, err := tflite.Load(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ins := zeroInputs(t, m)
		for _, tc := range tests {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				r := m.NewRunner()
				r.SetThreads(tc.threads)
				defer r.SetThreads(1)
				ctx := context.Background()
				// Both the copying (inputs given) and the in-place (nil)
				// forms of Run.
				runs := 10
				if testing.Short() {
					runs = 2
				}
				var runErr error
				allocs := testing.AllocsPerRun(runs, func() {
					if _, err := r.Run(ctx, ins); err != nil {
						runErr = err
					}
				})
				if runErr != nil {
					t.Fatal(runErr)
				}
				if allocs != 0 {
					t.Errorf("Run with inputs allocates %v times, want 0", allocs)
				}
				allocs = testing.AllocsPerRun(runs, func() {
					if _, err := r.Run(ctx, nil); err != nil {
						runErr = err
					}
				})
				if runErr != nil {
					t.Fatal(runErr)
				}
				if allocs != 0 {
					t.Errorf("Run in place allocates %v times, want 0", allocs)
				}
			})
		}
	}
}

// TestRunThreadsAgree: splitting the work between threads (through the
// per-Runner Tasks) gives the same bytes as one thread, for every model
// TestRunAllocatesNothing covers.
func TestRunThreadsAgree(t *testing.T) {
	models := runModels(t)
	for _, name := range benchmodels.Names() {
		data, err := benchmodels.Build(name)
		if err != nil {
			t.Fatal(err)
		}
		models[name] = data
	}
	for name, data := range models {
		t.Run(name, func(t *testing.T) {
			m, err := tflite.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			ins := zeroInputs(t, m)
			want, err := m.NewRunner().Run(context.Background(), ins)
			if err != nil {
				t.Fatal(err)
			}
			for _, threads := range []int{2, 3} {
				r := m.NewRunner()
				r.SetThreads(threads)
				got, err := r.Run(context.Background(), ins)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if string(got[i].Data) != string(want[i].Data) {
						t.Errorf("output %d with %d threads differs from one thread", i, threads)
					}
				}
				r.SetThreads(1)
			}
		})
	}
}
