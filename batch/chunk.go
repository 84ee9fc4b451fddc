package batch

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// The buffered pipeline runs models whose inputs all have a dynamic batch
// dimension and fixed item shapes (the usual case). Records are decoded
// straight into the micro-batch's input buffers (one []byte per input, the
// good records' items back to back), so a record costs no tensor, map or
// interface value; the model runs once per chunk on those buffers; results
// are formatted by appending into the chunk's reused output buffer. Decode
// (this goroutine), predict (one goroutine per chunk in flight) and
// encode+write (one goroutine) overlap. Chunks are recycled, so memory is
// Concurrency+2 chunks whatever the object's size.

// chunk is one micro-batch: its records, their inputs and, once predicted,
// their outputs.
type chunk struct {
	recs  []Record // Inputs nil: the data is in bufs
	bufs  [][]byte // per input: the good records' items, back to back
	items int      // items in bufs

	// Filled by predictChunk.
	groups  []group            // the calls, in record order
	outs    [][]*tensor.Tensor // per record, set for groups predicted record by record
	errs    []string           // per record: why it failed, "" when ok
	version int64
	calls   int
	predict time.Duration
	fatal   error
	done    chan struct{}
}

func (c *chunk) reset() {
	c.recs = c.recs[:0]
	for k := range c.bufs {
		c.bufs[k] = c.bufs[k][:0]
	}
	c.items, c.version, c.calls, c.predict, c.fatal = 0, 0, 0, 0, nil
	clear(c.outs)
	c.outs = c.outs[:0]
	c.errs = c.errs[:0]
	clear(c.groups)
	c.groups = c.groups[:0]
}

// bufDecoder is a Decoder that can also append a record's data straight
// to the micro-batch's input buffers.
type bufDecoder interface {
	// nextInto decodes the next record. A good record's items are appended
	// to dst[k] for each input k and the record's Inputs are nil; a bad
	// record appends nothing.
	nextInto(dst [][]byte) (Record, [][]byte, error)
}

// fixedItems returns the item shapes of the inputs when every input has a
// dynamic batch dimension and a fixed item shape, else nil.
func fixedItems(specs []tflite.TensorSpec) []tensor.Shape {
	out := make([]tensor.Shape, len(specs))
	for k, sp := range specs {
		if len(sp.Shape) == 0 || sp.Shape[0] >= 0 {
			return nil
		}
		if out[k] = itemShape(sp); out[k] == nil {
			return nil
		}
	}
	return out
}

// appendRecord appends the data of a record decoded by Next to dst.
func appendRecord(rec Record, dst [][]byte) [][]byte {
	for k, t := range rec.Inputs {
		dst[k] = append(dst[k], t.Data...)
	}
	return dst
}

// genericInto adapts a plain Decoder.
type genericInto struct{ d Decoder }

func (g genericInto) nextInto(dst [][]byte) (Record, [][]byte, error) {
	rec, err := g.d.Next()
	if err != nil || rec.Err != nil {
		return rec, dst, err
	}
	dst = appendRecord(rec, dst)
	rec.Inputs = nil
	return rec, dst, nil
}

// stageTimes are the time spent decoding, and encoding and writing.
type stageTimes struct{ decode, predict, encode time.Duration }

// runChunks is run for models with fixed item shapes.
func runChunks(ctx context.Context, cfg *Config, dec Decoder, items []tensor.Shape, out io.Writer, sum *Summary, tm *stageTimes) error {
	bd, ok := dec.(bufDecoder)
	if !ok {
		bd = genericInto{dec}
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	nchunks := cfg.Concurrency + 2
	free := make(chan *chunk, nchunks)
	for range nchunks {
		c := &chunk{bufs: make([][]byte, len(cfg.Inputs)), done: make(chan struct{}, 1)}
		free <- c
	}
	ordered := make(chan *chunk, nchunks)
	sem := make(chan struct{}, cfg.Concurrency)

	var (
		werr error
		wg   sync.WaitGroup
	)
	enc := &encoder{cfg: cfg}
	switch cfg.Output {
	case OutputCSV:
		var err error
		if enc.csv, err = newCSVLayout(cfg.OutputSpecs, cfg.Outputs); err != nil {
			return err
		}
		if _, err := out.Write(enc.csv.header); err != nil {
			return fmt.Errorf("batch: write output: %w", err)
		}
	case OutputNpy:
		l, err := newNPZLayout(cfg.OutputSpecs, cfg.Outputs)
		if err != nil {
			return err
		}
		if enc.npz, err = newNPZSpill(l, cfg.SpillDir, cfg.MaxSpillBytes); err != nil {
			return err
		}
		defer enc.npz.close()
	}
	wg.Go(func() {
		for c := range ordered {
			<-c.done
			if werr == nil {
				t0 := time.Now()
				werr = enc.writeChunk(c, out, sum)
				tm.encode += time.Since(t0)
				tm.predict += c.predict
				if werr != nil {
					cancel()
				}
			}
			free <- c
		}
	})
	finish := func(err error) error {
		close(ordered)
		wg.Wait()
		if err == nil {
			err = werr
		}
		if err == nil && enc.npz != nil {
			t0 := time.Now()
			err = enc.npz.writeTo(out)
			tm.encode += time.Since(t0)
		}
		if err != nil && parent.Err() != nil {
			return fmt.Errorf("%w: %w", ErrDeadline, err)
		}
		return err
	}
	itemBytes := make([]int, len(cfg.Inputs))
	itemTotal := 0 // bytes of one item, all inputs
	for k, sp := range cfg.Inputs {
		itemBytes[k] = items[k].Elements() * sp.DType.Size()
		itemTotal += itemBytes[k]
	}
	var c *chunk
	for {
		if c == nil {
			select {
			case <-ctx.Done():
				return finish(context.Cause(ctx))
			case c = <-free:
			}
			c.reset()
		}
		t0 := time.Now()
		var (
			rec Record
			err error
		)
		full := false
		for !full {
			rec, c.bufs, err = bd.nextInto(c.bufs)
			if err != nil {
				break
			}
			if rec.Err == nil {
				c.items += rec.Items
			}
			c.recs = append(c.recs, rec)
			// Full when the next record of the same size would not fit.
			full = c.items+max(rec.Items, 1) > cfg.MaxBatchItems || len(c.recs) >= 4*cfg.MaxBatchItems ||
				(c.items+max(rec.Items, 1))*itemTotal > cfg.MaxBatchBytes
			// A slow stream may take long to fill a chunk: watch the
			// deadline while it does.
			if len(c.recs)%64 == 0 && ctx.Err() != nil {
				err = context.Cause(ctx)
				break
			}
		}
		tm.decode += time.Since(t0)
		if err != nil && err != io.EOF {
			c.fatal = err
			c.done <- struct{}{}
			ordered <- c
			return finish(err)
		}
		if len(c.recs) > 0 {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				c.fatal = context.Cause(ctx)
				c.done <- struct{}{}
				ordered <- c
				return finish(context.Cause(ctx))
			}
			go func(c *chunk) {
				predictChunk(ctx, cfg, items, itemBytes, c)
				<-sem
				c.done <- struct{}{}
			}(c)
			ordered <- c
			c = nil
		}
		if err == io.EOF {
			break
		}
		if ctx.Err() != nil {
			return finish(context.Cause(ctx))
		}
	}
	if c != nil {
		free <- c
	}
	return finish(nil)
}

// group is a run of records [first, end) of a chunk predicted by one call;
// outs holds the outputs of its good records back to back, or is nil when
// the group was predicted record by record (see chunk.outs).
type group struct {
	first, end int
	outs       []*tensor.Tensor
}

// predictChunk predicts the good records of c in calls of at most
// MaxBatchItems items (a single larger record goes alone), falling back to
// one call per record when a call is refused as the input's fault.
func predictChunk(ctx context.Context, cfg *Config, items []tensor.Shape, itemBytes []int, c *chunk) {
	c.errs = c.errs[:0]
	for i := range c.recs {
		msg := ""
		if c.recs[i].Err != nil {
			msg = c.recs[i].Err.Msg
		}
		c.errs = append(c.errs, msg)
	}
	c.groups = c.groups[:0]
	off := 0 // items before the group
	for first := 0; first < len(c.recs); {
		end, n := first, 0
		for end < len(c.recs) {
			r := c.recs[end].Items
			if c.recs[end].Err != nil {
				r = 0
			}
			if n > 0 && n+r > cfg.MaxBatchItems {
				break
			}
			n += r
			end++
		}
		g := group{first: first, end: end}
		if n > 0 {
			if err := c.predictGroup(ctx, cfg, items, itemBytes, &g, off, n); err != nil {
				c.fatal = err
				return
			}
		}
		c.groups = append(c.groups, g)
		off += n
		first = end
	}
}

// slice returns the inputs of n items from item off of c's buffers.
func (c *chunk) slice(cfg *Config, items []tensor.Shape, itemBytes []int, off, n int) []*tensor.Tensor {
	ins := make([]*tensor.Tensor, len(cfg.Inputs))
	for k, sp := range cfg.Inputs {
		ins[k] = &tensor.Tensor{Name: sp.Name, DType: sp.DType, Shape: append(tensor.Shape{n}, items[k]...),
			Data: c.bufs[k][off*itemBytes[k] : (off+n)*itemBytes[k]]}
	}
	return ins
}

// predictGroup predicts g's n items (from item off of the chunk). An error
// it returns fails the object; a record's own fault is kept in c.errs.
func (c *chunk) predictGroup(ctx context.Context, cfg *Config, items []tensor.Shape, itemBytes []int, g *group, off, n int) error {
	resp, err := c.call(ctx, cfg, c.slice(cfg, items, itemBytes, off, n))
	if err == nil {
		if err := checkOutputs(resp.Outputs, n); err != nil {
			return err
		}
		g.outs = resp.Outputs
		return nil
	}
	if !recordFault(err) {
		return err
	}
	// One call per record, so that one bad record does not fail the others.
	for len(c.outs) < len(c.recs) {
		c.outs = append(c.outs, nil)
	}
	for i := g.first; i < g.end; i++ {
		rec := &c.recs[i]
		if rec.Err != nil {
			continue
		}
		resp, err := c.call(ctx, cfg, c.slice(cfg, items, itemBytes, off, rec.Items))
		off += rec.Items
		if err != nil {
			if !recordFault(err) {
				return err
			}
			c.errs[i] = err.Error()
			continue
		}
		c.outs[i] = resp.Outputs
	}
	return nil
}

// call runs one Predict, retrying transient failures.
func (c *chunk) call(ctx context.Context, cfg *Config, ins []*tensor.Tensor) (*serving.Response, error) {
	req := &serving.Request{Ref: cfg.Model, Inputs: ins, Outputs: cfg.Outputs, Timeout: cfg.Timeout}
	var (
		resp *serving.Response
		err  error
	)
	for attempt := range maxPredictAttempts {
		t0 := time.Now()
		resp, err = cfg.Predictor.Predict(ctx, req)
		c.predict += time.Since(t0)
		c.calls++
		if err == nil || !transient(ctx, err) || attempt == maxPredictAttempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(time.Duration(10<<attempt) * time.Millisecond):
		}
	}
	if err != nil {
		return nil, err
	}
	if c.version == 0 {
		c.version = resp.Version
	}
	return resp, nil
}

func checkOutputs(outs []*tensor.Tensor, total int) error {
	for _, o := range outs {
		if len(o.Shape) == 0 || o.Shape[0] != total || o.DType.Size() == 0 {
			return fmt.Errorf("batch: model output %q has shape %s for a batch of %d items", o.Name, o.Shape, total)
		}
	}
	return nil
}

// encoder formats chunks' records into reused buffers.
type encoder struct {
	cfg   *Config
	csv   *csvLayout      // set for CSV output
	npz   *npzSpill       // set for .npy output
	views []tensor.Tensor // one reused header per output
	ptrs  []*tensor.Tensor
	buf   []byte
}

// rows returns a view of n rows of o from row off, in a reused header.
func (e *encoder) rows(k int, o *tensor.Tensor, off, n int) *tensor.Tensor {
	v := &e.views[k]
	row := len(o.Data) / o.Shape[0]
	v.Name, v.DType, v.Quant = o.Name, o.DType, o.Quant
	v.Shape = append(v.Shape[:0], n)
	v.Shape = append(v.Shape, o.Shape[1:]...)
	v.Data = o.Data[off*row : (off+n)*row]
	return v
}

// csvViews returns views of n rows of each output from row off (for CSV
// and .npy output).
func (e *encoder) csvViews(whole []*tensor.Tensor, off, n int) []*tensor.Tensor {
	if len(e.views) < len(whole) {
		e.views = make([]tensor.Tensor, len(whole))
	}
	e.ptrs = e.ptrs[:0]
	for k, o := range whole {
		e.ptrs = append(e.ptrs, e.rows(k, o, off, n))
	}
	return e.ptrs
}

// writeChunk formats c's records as NDJSON lines and writes them.
func (e *encoder) writeChunk(c *chunk, out io.Writer, sum *Summary) error {
	if c.fatal != nil {
		return c.fatal
	}
	sum.Batches += c.calls
	if c.version > 0 && sum.Version == 0 {
		sum.Version = c.version
	}
	b := e.buf[:0]
	gi, off := 0, 0
	for i := range c.recs {
		rec := &c.recs[i]
		for gi < len(c.groups) && i >= c.groups[gi].end {
			gi, off = gi+1, 0
		}
		sum.Records++
		var outs, whole []*tensor.Tensor
		if len(c.outs) > i {
			outs = c.outs[i]
		}
		if gi < len(c.groups) {
			whole = c.groups[gi].outs
		}
		if rec.Err != nil || (whole == nil && outs == nil) {
			sum.Failed++
			re := RecordError{Index: rec.Index, Line: rec.Line, Msg: c.errs[i]}
			if len(sum.Errors) < e.cfg.MaxErrors {
				sum.Errors = append(sum.Errors, re)
			} else {
				sum.ErrorsTruncated = true
			}
			switch {
			case e.npz != nil:
				if err := e.npz.appendError(re); err != nil {
					return err
				}
			case e.csv != nil:
				b = e.csv.appendError(b, re.Index, re.Msg)
			default:
				b = appendErrorLine(b, re)
			}
			continue
		}
		sum.Succeeded++
		sum.Items += rec.Items
		if e.csv != nil || e.npz != nil {
			if outs == nil {
				outs = e.csvViews(whole, off, rec.Items)
				off += rec.Items
			}
			var err error
			if e.npz != nil {
				err = e.npz.appendRecord(rec.Index, rec.Items, outs)
			} else {
				b, err = e.csv.appendRows(b, rec.Index, rec.Items, outs)
			}
			if err != nil {
				return err
			}
			continue
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(rec.Index), 10)
		b = append(b, `,"outputs":{`...)
		if outs != nil {
			for k, o := range outs {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendString(b, o.Name)
				b = append(b, ':')
				b = appendJSON(b, o)
			}
		} else {
			if len(e.views) < len(whole) {
				e.views = make([]tensor.Tensor, len(whole))
			}
			for k, o := range whole {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendString(b, o.Name)
				b = append(b, ':')
				b = appendJSON(b, e.rows(k, o, off, rec.Items))
			}
			off += rec.Items
		}
		b = append(b, "}}\n"...)
	}
	e.buf = b
	if _, err := out.Write(b); err != nil {
		return fmt.Errorf("batch: write output: %w", err)
	}
	return nil
}

// runFixed runs the buffered pipeline; predict collects the Predict time.
func runFixed(ctx context.Context, cfg *Config, items []tensor.Shape, in io.Reader, out io.Writer, sum *Summary, predict *time.Duration, tm *stageTimes) error {
	dec, err := NewDecoder(in, cfg.Format, cfg.decodeOptions())
	if err != nil {
		return err
	}
	err = runChunks(ctx, cfg, dec, items, out, sum, tm)
	*predict = tm.predict
	return err
}
