package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tensor"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name      string
		format    Format
		batch     int
		in        string
		want      string // y = 2x + 1, written by hand
		succeeded int
		failed    int
	}{
		{name: "ndjson", format: FormatNDJSON, batch: 2,
			in: "[0,1,2,3]\n[1,1,1,1]\nbad\n" + `{"instances":[[-1,0,1,4],[0,0,0,0]]}` + "\n[1,2]\n",
			want: `{"index":0,"outputs":{"y":[[1,3,5,7]]}}` + "\n" +
				`{"index":1,"outputs":{"y":[[3,3,3,3]]}}` + "\n" +
				`{"index":2,"line":3,"error":"*"}` + "\n" +
				`{"index":3,"outputs":{"y":[[-1,1,3,9],[1,1,1,1]]}}` + "\n" +
				`{"index":4,"line":5,"error":"*"}` + "\n",
			succeeded: 3, failed: 2},
		{name: "csv", format: FormatCSV, batch: 64,
			in:   "x0,x1,x2,x3\n0.5,0,0,0\n10,20,30,40\n",
			want: `{"index":0,"outputs":{"y":[[2,1,1,1]]}}` + "\n" + `{"index":1,"outputs":{"y":[[21,41,61,81]]}}` + "\n", succeeded: 2},
		{name: "npy", format: FormatNpy, batch: 1,
			in:   npyString(t, tensor.Float32, tensor.Shape{2, 4}, []float32{1, 2, 3, 4, 0, 0, 0, -0.5}),
			want: `{"index":0,"outputs":{"y":[[3,5,7,9]]}}` + "\n" + `{"index":1,"outputs":{"y":[[1,1,1,0]]}}` + "\n", succeeded: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := linearConfig(t, tc.format)
			cfg.MaxBatchItems = tc.batch
			var out bytes.Buffer
			sum, err := Run(context.Background(), cfg, strings.NewReader(tc.in), &out)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if !matchLines(out.String(), tc.want) {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tc.want)
			}
			if sum.Status != "ok" || sum.Succeeded != tc.succeeded || sum.Failed != tc.failed || sum.Records != tc.succeeded+tc.failed ||
				len(sum.Errors) != tc.failed || sum.Version != 1 || sum.Model != examples.Linear || sum.BytesIn != int64(len(tc.in)) || sum.BytesOut != int64(out.Len()) {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

func TestRunDeterministic(t *testing.T) {
	cfg := linearConfig(t, FormatNDJSON)
	var in strings.Builder
	for i := range 2000 {
		if i%97 == 5 {
			in.WriteString("[1,2]\n")
			continue
		}
		fmt.Fprintf(&in, "[%d,%d,%d,%d]\n", i, -i, i/2, i%7)
	}
	var first []byte
	for _, c := range []struct{ batch, conc int }{{64, 2}, {7, 4}, {1, 1}, {64, 8}} {
		cfg.MaxBatchItems, cfg.Concurrency = c.batch, c.conc
		var out bytes.Buffer
		sum, err := Run(context.Background(), cfg, strings.NewReader(in.String()), &out)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Records != 2000 || sum.Failed != 21 {
			t.Fatalf("summary %+v", sum)
		}
		if first == nil {
			first = out.Bytes()
			continue
		}
		if !bytes.Equal(first, out.Bytes()) {
			t.Fatalf("batch %d concurrency %d: output differs", c.batch, c.conc)
		}
	}
	// Spot-check one line by hand: record 10 is [10,-10,5,3] → [21,-19,11,7].
	if !bytes.Contains(first, []byte(`{"index":10,"outputs":{"y":[[21,-19,11,7]]}}`)) {
		t.Error("record 10 missing or wrong")
	}
}

func TestRunStreamErrors(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		in     string
		want   error
	}{
		{name: "truncated npy", format: FormatNpy, in: npyString(t, tensor.Float32, tensor.Shape{3, 4}, make([]float32, 12))[:0x80+40], want: ErrStream},
		{name: "npy dtype", format: FormatNpy, in: npyString(t, tensor.Float64, tensor.Shape{1, 4}, make([]float64, 4)), want: ErrFormat},
		{name: "auto format", format: FormatAuto, in: "[1,2,3,4]\n", want: ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := linearConfig(t, tc.format)
			sum, err := Run(context.Background(), cfg, strings.NewReader(tc.in), &bytes.Buffer{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if sum.Status != "failed" || sum.Error == "" {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

// slowReader yields one line per tick, forever.
type slowReader struct{ tick time.Duration }

func (r slowReader) Read(p []byte) (int, error) {
	time.Sleep(r.tick)
	return copy(p, "[1,2,3,4]\n"), nil
}

func TestRunDeadline(t *testing.T) {
	cfg := linearConfig(t, FormatNDJSON)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, cfg, slowReader{tick: time.Millisecond}, &bytes.Buffer{})
	if !errors.Is(err, ErrDeadline) {
		t.Fatalf("err = %v, want ErrDeadline", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("stopped after %v", el)
	}
}

// failingPredictor refuses every request the way an unavailable model does.
type failingPredictor struct{}

func (failingPredictor) Predict(ctx context.Context, req *serving.Request) (*serving.Response, error) {
	return nil, fmt.Errorf("%w: model gone", serving.ErrUnavailable)
}

func TestRunPredictorFailureFailsObject(t *testing.T) {
	cfg := linearConfig(t, FormatNDJSON)
	cfg.Predictor = failingPredictor{}
	_, err := Run(context.Background(), cfg, strings.NewReader("[1,2,3,4]\n"), &bytes.Buffer{})
	if !errors.Is(err, serving.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func BenchmarkRunNDJSON(b *testing.B) {
	cfg := linearConfig(b, FormatNDJSON)
	var in strings.Builder
	const n = 4096
	for i := range n {
		fmt.Fprintf(&in, "[%d,1.5,-2,0.25]\n", i)
	}
	data := in.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), cfg, strings.NewReader(data), &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// matchLines compares NDJSON output with a want where an error line's
// message may be "*": any non-empty message (its wording belongs to the
// decoders of package tensor).
func matchLines(got, want string) bool {
	g, w := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		if p, ok := strings.CutSuffix(w[i], `"*"}`+"\n"); ok {
			if !strings.HasPrefix(g[i], p+`"`) || len(g[i]) < len(p)+5 {
				return false
			}
			continue
		}
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

// flakyPredictor times out its first calls the way a request over its own
// deadline does, then hands over to the real server.
type flakyPredictor struct {
	next  Predictor
	fails atomic.Int32
}

func (f *flakyPredictor) Predict(ctx context.Context, req *serving.Request) (*serving.Response, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, fmt.Errorf("serving: linear: %w", context.DeadlineExceeded)
	}
	return f.next.Predict(ctx, req)
}

func TestRunRetriesRequestTimeout(t *testing.T) {
	cfg := linearConfig(t, FormatNDJSON)
	fp := &flakyPredictor{next: cfg.Predictor}
	fp.fails.Store(2)
	cfg.Predictor, cfg.Concurrency = fp, 1
	var out bytes.Buffer
	sum, err := Run(context.Background(), cfg, strings.NewReader("[1,2,3,4]\n"), &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.String() != `{"index":0,"outputs":{"y":[[3,5,7,9]]}}`+"\n" || sum.Batches != 3 {
		t.Errorf("output %q, %d calls", out.String(), sum.Batches)
	}
	fp.fails.Store(100)
	_, err = Run(context.Background(), cfg, strings.NewReader("[1,2,3,4]\n"), &bytes.Buffer{})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrDeadline) {
		t.Errorf("err = %v: want the request timeout, not ErrDeadline", err)
	}
}

// CSV output: a header, one row per item, one row per bad record; the
// expected rows are worked out by hand (y = 2x + 1), and the bytes do not
// depend on batch sizes or concurrency.
func TestRunCSVOutput(t *testing.T) {
	cfg := linearConfig(t, FormatNDJSON)
	_, models := newServer(t)
	cfg.Output, cfg.OutputSpecs = OutputCSV, models[examples.Linear].Outputs()
	in := "[0,1,2,3]\nbad\n" + `{"instances":[[-1,0,1,4],[0,0,0,0.5]]}` + "\n[1,1,1,1]\n"
	var first string
	for _, c := range []struct{ batch, conc int }{{64, 2}, {1, 1}, {2, 3}} {
		cfg.MaxBatchItems, cfg.Concurrency = c.batch, c.conc
		var out bytes.Buffer
		sum, err := Run(context.Background(), cfg, strings.NewReader(in), &out)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Records != 4 || sum.Failed != 1 || sum.Items != 4 {
			t.Errorf("summary %+v", sum)
		}
		lines := strings.SplitAfter(out.String(), "\n")
		want := []string{"index,item,y_0,y_1,y_2,y_3,error\n", "0,0,1,3,5,7,\n", "1,,,,,,", "2,0,-1,1,3,9,\n", "2,1,1,1,1,2,\n", "3,0,3,3,3,3,\n", ""}
		if len(lines) != len(want) {
			t.Fatalf("output:\n%s", out.String())
		}
		for i, w := range want {
			if lines[i] != w && !(i == 2 && strings.HasPrefix(lines[i], w) && len(lines[i]) > len(w)+2) {
				t.Errorf("line %d: %q, want %q", i, lines[i], w)
			}
		}
		if first == "" {
			first = out.String()
		} else if out.String() != first {
			t.Errorf("batch %d concurrency %d: output differs", c.batch, c.conc)
		}
	}
	if f, err := ParseOutputFormat("npy"); f != OutputNpy || err != nil {
		t.Errorf("npy output: %v, %v", f, err)
	}
	if _, err := ParseOutputFormat("parquet"); !errors.Is(err, ErrConfig) {
		t.Errorf("parquet output: %v, want a clear error", err)
	}
}
