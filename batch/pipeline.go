package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Predictor runs one inference request. *serving.Server satisfies it.
type Predictor interface {
	Predict(ctx context.Context, req *serving.Request) (*serving.Response, error)
}

var _ Predictor = (*serving.Server)(nil)

// Defaults of Config.
const (
	DefaultMaxBatchItems = 1024
	DefaultMaxBatchBytes = 1 << 20
	DefaultConcurrency   = 2
	DefaultMaxErrors     = 100
	maxPredictAttempts   = 4
)

// Config configures Run. Zero fields take the defaults in their comments.
type Config struct {
	// Predictor runs the micro-batches. Required.
	Predictor Predictor
	// Model names the model. Give a fixed Version so that a re-delivered
	// object gets identical bytes even if a newer version appears.
	// Required.
	Model serving.Ref
	// Inputs are the model's input specs in signature order (Shape[0] is
	// -1 when the batch dimension is dynamic). Required.
	Inputs []tflite.TensorSpec
	// Outputs names the outputs to write, in order; empty means all.
	Outputs []string
	// Format is the input format; FormatAuto is not accepted by Run (see
	// DetectFormat; ProcessObject detects it).
	Format Format
	// MaxBatchItems is the most items one Predict call takes, for models
	// with a dynamic batch dimension. Default: 1024.
	MaxBatchItems int
	// MaxBatchBytes is the most decoded input bytes one micro-batch of a
	// model with fixed item shapes holds: a micro-batch ends at
	// MaxBatchItems items or MaxBatchBytes bytes, whichever comes first
	// (a larger record goes alone), so large items make small batches.
	// Default: 1 MiB.
	MaxBatchBytes int
	// Concurrency is the number of micro-batches in flight at once; output
	// order is kept. Memory is about (Concurrency + 2) micro-batches.
	// Default: 2.
	Concurrency int
	// MaxRecordBytes and MaxElements bound one record (see DecodeOptions).
	MaxRecordBytes int
	// MaxElements bounds the tensor elements of one record.
	MaxElements int
	// Output is the format of the results (default NDJSON).
	Output OutputFormat
	// OutputSpecs are the model's output specs; required for OutputCSV
	// and OutputNpy.
	OutputSpecs []tflite.TensorSpec
	// SpillDir is where OutputNpy keeps the arrays until the run ends
	// (temporary files, removed when it returns). Default: os.TempDir().
	SpillDir string
	// MaxSpillBytes caps the bytes OutputNpy spills (8 per item for the
	// index plus the outputs' bytes); a run that needs more fails with
	// ErrConfig. Default: 0, no cap but the disk's.
	MaxSpillBytes int64
	// CSVHeader and CSVColumns configure CSV input (see DecodeOptions).
	CSVHeader CSVHeader
	// CSVColumns maps input names to the CSV header columns holding their
	// elements.
	CSVColumns map[string][]string
	// MaxErrors is the number of bad records listed in the Summary (all are
	// counted, and all are written to the output). Default: 100.
	MaxErrors int
	// Timeout bounds one Predict call (the run as a whole is bounded by
	// ctx); a call that times out is retried. Default: 0, the model's or
	// the server's default, which are meant for interactive requests:
	// batch callers should give a longer one.
	Timeout time.Duration
}

func (c *Config) decodeOptions() DecodeOptions {
	return DecodeOptions{Inputs: c.Inputs, MaxRecordBytes: c.MaxRecordBytes, MaxElements: c.MaxElements, CSVHeader: c.CSVHeader, CSVColumns: c.CSVColumns}
}

func (c *Config) check() error {
	if c.Predictor == nil || c.Model.Model == "" || len(c.Inputs) == 0 {
		return fmt.Errorf("%w: Predictor, Model and Inputs are required", ErrConfig)
	}
	if c.MaxBatchItems <= 0 {
		c.MaxBatchItems = DefaultMaxBatchItems
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxErrors <= 0 {
		c.MaxErrors = DefaultMaxErrors
	}
	return nil
}

// Summary reports one processed stream. It is written next to the
// predictions as JSON. Everything but Timings is the same on every run over
// the same input.
type Summary struct {
	// Input and Output are the object URLs (set by ProcessObject).
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
	// Status is "ok" or "failed"; Error says why a stream failed.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Format is the input format.
	Format string `json:"format"`
	// Model and Version name the model that ran.
	Model   string `json:"model"`
	Version int64  `json:"version,omitempty"`
	// Records counts the records read; Succeeded and Failed split them.
	Records   int `json:"records"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Items counts the items (rows along the leading dimension) predicted.
	Items int `json:"items"`
	// Batches counts the Predict calls.
	Batches int `json:"batches"`
	// Errors lists the first Config.MaxErrors bad records;
	// ErrorsTruncated says more were left out.
	Errors          []RecordError `json:"errors,omitempty"`
	ErrorsTruncated bool          `json:"errors_truncated,omitempty"`
	// BytesIn counts decoded input bytes; BytesOut the output bytes before
	// compression.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	// Timings vary from run to run.
	Timings Timings `json:"timings"`
}

// Timings are the wall-clock figures of one run.
type Timings struct {
	TotalMS   float64 `json:"total_ms"`
	PredictMS float64 `json:"predict_ms"`
	// DecodeMS is the time spent reading and decoding records (input
	// decompression included); EncodeMS formatting and writing results
	// (output compression included). Stages overlap, so the three may add
	// up to more than TotalMS.
	DecodeMS      float64 `json:"decode_ms,omitempty"`
	EncodeMS      float64 `json:"encode_ms,omitempty"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// result is the outcome of one micro-batch.
type result struct {
	outs    [][]*tensor.Tensor // per record; nil for a bad record
	errs    []string           // per record: why it failed, "" when ok
	version int64
	calls   int
	predict time.Duration
	fatal   error
}

type pending struct {
	recs []Record
	done chan result
}

// Run decodes records from in (already decompressed), predicts them in
// micro-batches and writes one NDJSON line per record to out, in input
// order:
//
//	{"index":0,"outputs":{"y":[[1,3,5,7]]}}
//	{"index":1,"line":2,"error":"..."}
//
// (Config.Output selects CSV rows, or a .npz archive written to out when
// the last record is done, instead.)
//
// Bad records are counted and written, and the run goes on; a stream error
// (ErrStream, ErrFormat), a failed write, a Predict failure that is not the
// record's fault, or ctx ending (ErrDeadline) stops it with an error, and
// whatever was written to out must be discarded. The Summary is returned in
// both cases. Output bytes depend only on the input and the model.
func Run(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (*Summary, error) {
	start := time.Now()
	sum := &Summary{Status: "failed", Format: cfg.Format.String(), Model: cfg.Model.Model, Version: cfg.Model.Version}
	if err := cfg.check(); err != nil {
		return sum, err
	}
	cr := &countingReader{r: in}
	cw := &countingWriter{w: out}
	var predict time.Duration
	var tm stageTimes
	var err error
	if items := fixedItems(cfg.Inputs); items != nil {
		err = runFixed(ctx, &cfg, items, cr, cw, sum, &predict, &tm)
	} else if cfg.Output != OutputNDJSON {
		err = fmt.Errorf("%w: %s output is not supported yet for models whose inputs have no fixed item shape", ErrConfig, cfg.Output)
	} else {
		err = run(ctx, &cfg, cr, cw, sum, &predict)
	}
	sum.BytesIn, sum.BytesOut = cr.n, cw.n
	el := time.Since(start)
	sum.Timings = Timings{TotalMS: ms(el), PredictMS: ms(predict), DecodeMS: ms(tm.decode), EncodeMS: ms(tm.encode)}
	if s := el.Seconds(); s > 0 {
		sum.Timings.RecordsPerSec = float64(sum.Records) / s
		sum.Timings.MBPerSec = float64(cr.n) / 1e6 / s
	}
	if err != nil {
		sum.Error = err.Error()
		return sum, err
	}
	sum.Status = "ok"
	return sum, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func run(ctx context.Context, cfg *Config, in io.Reader, out io.Writer, sum *Summary, predict *time.Duration) error {
	dec, err := NewDecoder(in, cfg.Format, cfg.decodeOptions())
	if err != nil {
		return err
	}
	batchable := true
	for _, sp := range cfg.Inputs {
		batchable = batchable && sp.Shape[0] < 0
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		window []pending
		cur    []Record
		items  int
		buf    []byte
	)
	// finish waits for the oldest batch and writes its lines.
	finish := func() error {
		p := window[0]
		window = window[1:]
		r := <-p.done
		if r.fatal != nil {
			return r.fatal
		}
		*predict += r.predict
		sum.Batches += r.calls
		if r.version > 0 && sum.Version == 0 {
			sum.Version = r.version
		}
		buf = buf[:0]
		for i, rec := range p.recs {
			sum.Records++
			if r.outs[i] == nil {
				sum.Failed++
				re := RecordError{Index: rec.Index, Line: rec.Line, Msg: r.errs[i]}
				if len(sum.Errors) < cfg.MaxErrors {
					sum.Errors = append(sum.Errors, re)
				} else {
					sum.ErrorsTruncated = true
				}
				buf = appendErrorLine(buf, re)
				continue
			}
			sum.Succeeded++
			sum.Items += rec.Items
			buf = appendOutputLine(buf, rec.Index, r.outs[i])
		}
		if _, err := out.Write(buf); err != nil {
			return fmt.Errorf("batch: write output: %w", err)
		}
		return nil
	}
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		p := pending{recs: cur, done: make(chan result, 1)}
		go func() { p.done <- predictBatch(ctx, cfg, p.recs) }()
		window = append(window, p)
		cur, items = nil, 0
		for len(window) >= cfg.Concurrency {
			if err := finish(); err != nil {
				return err
			}
		}
		return nil
	}
	fail := func(err error) error {
		cancel()
		for _, p := range window {
			<-p.done
		}
		if parent.Err() != nil {
			return fmt.Errorf("%w: %w", ErrDeadline, err)
		}
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		if rec.Err == nil && len(cur) > 0 && (!batchable || items+rec.Items > cfg.MaxBatchItems || !sameShapes(cur, rec)) {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
		cur = append(cur, rec)
		items += rec.Items
		if !batchable || items >= cfg.MaxBatchItems {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	for len(window) > 0 {
		if err := finish(); err != nil {
			return fail(err)
		}
	}
	return nil
}

// sameShapes reports whether rec can join the good records of batch: the
// same dimensions past the leading one for every input.
func sameShapes(batch []Record, rec Record) bool {
	for _, b := range batch {
		if b.Err != nil {
			continue
		}
		for k, t := range b.Inputs {
			if !t.Shape[1:].Equal(rec.Inputs[k].Shape[1:]) {
				return false
			}
		}
		return true
	}
	return true
}

// recordFault reports whether a Predict error is the input's fault, so
// that it belongs to the record rather than failing the object.
func recordFault(err error) bool {
	return errors.Is(err, serving.ErrInvalid) || errors.Is(err, serving.ErrLimit) || errors.Is(err, serving.ErrUnimplemented)
}

// transient reports whether a Predict error may go away on retry: a full
// queue, or one request's own timeout while the run's ctx is still alive.
func transient(ctx context.Context, err error) bool {
	return errors.Is(err, serving.ErrOverloaded) || (errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil)
}

// predictBatch predicts the good records of recs in one call, falling back
// to one call per record when the batch is refused as invalid, so that one
// bad record does not fail its neighbours.
func predictBatch(ctx context.Context, cfg *Config, recs []Record) result {
	r := result{outs: make([][]*tensor.Tensor, len(recs)), errs: make([]string, len(recs))}
	var good []int
	for i, rec := range recs {
		if rec.Err != nil {
			r.errs[i] = rec.Err.Msg
			continue
		}
		good = append(good, i)
	}
	if len(good) == 0 {
		return r
	}
	err := predictGroup(ctx, cfg, recs, good, &r)
	if err != nil && recordFault(err) && len(good) > 1 {
		for _, i := range good {
			if err := predictGroup(ctx, cfg, recs, []int{i}, &r); err != nil {
				if !recordFault(err) {
					r.fatal = err
					return r
				}
				r.errs[i] = err.Error()
			}
		}
		return r
	}
	if err != nil {
		if !recordFault(err) {
			r.fatal = err
			return r
		}
		r.errs[good[0]] = err.Error()
	}
	return r
}

// predictGroup runs the records idx of recs as one request and stores their
// outputs in r.
func predictGroup(ctx context.Context, cfg *Config, recs []Record, idx []int, r *result) error {
	ins := make([]*tensor.Tensor, len(cfg.Inputs))
	total := 0
	for k := range cfg.Inputs {
		ts := make([]*tensor.Tensor, len(idx))
		for j, i := range idx {
			ts[j] = recs[i].Inputs[k]
		}
		t, err := concat(ts)
		if err != nil {
			return fmt.Errorf("%w: %v", serving.ErrInvalid, err)
		}
		ins[k] = t
	}
	for _, i := range idx {
		total += recs[i].Items
	}
	req := &serving.Request{Ref: cfg.Model, Inputs: ins, Outputs: cfg.Outputs, Timeout: cfg.Timeout}
	var (
		resp *serving.Response
		err  error
	)
	for attempt := range maxPredictAttempts {
		t0 := time.Now()
		resp, err = cfg.Predictor.Predict(ctx, req)
		r.predict += time.Since(t0)
		r.calls++
		if err == nil || !transient(ctx, err) || attempt == maxPredictAttempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(time.Duration(10<<attempt) * time.Millisecond):
		}
	}
	if err != nil {
		return err
	}
	if r.version == 0 {
		r.version = resp.Version
	}
	if len(idx) == 1 {
		r.outs[idx[0]] = resp.Outputs
		return nil
	}
	for _, o := range resp.Outputs {
		if len(o.Shape) == 0 || o.Shape[0] != total {
			return fmt.Errorf("batch: model output %q has shape %s for a batch of %d items", o.Name, o.Shape, total)
		}
	}
	off := 0
	for _, i := range idx {
		n := recs[i].Items
		outs := make([]*tensor.Tensor, len(resp.Outputs))
		for k, o := range resp.Outputs {
			row := len(o.Data) / o.Shape[0]
			outs[k] = &tensor.Tensor{Name: o.Name, DType: o.DType, Shape: append(tensor.Shape{n}, o.Shape[1:]...), Quant: o.Quant, Data: o.Data[off*row : (off+n)*row]}
		}
		r.outs[i] = outs
		off += n
	}
	return nil
}

func appendOutputLine(b []byte, index int, outs []*tensor.Tensor) []byte {
	b = append(b, `{"index":`...)
	b = appendInt(b, int64(index))
	b = append(b, `,"outputs":{`...)
	for k, o := range outs {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendString(b, o.Name)
		b = append(b, ':')
		b = appendJSON(b, o)
	}
	return append(b, "}}\n"...)
}

func appendErrorLine(b []byte, e RecordError) []byte {
	b = append(b, `{"index":`...)
	b = appendInt(b, int64(e.Index))
	if e.Line > 0 {
		b = append(b, `,"line":`...)
		b = appendInt(b, e.Line)
	}
	b = append(b, `,"error":`...)
	b = appendString(b, e.Msg)
	return append(b, "}\n"...)
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, err := json.Marshal(s)
	if err != nil { // not reachable: strings always marshal
		return append(b, `""`...)
	}
	return append(b, q...)
}
