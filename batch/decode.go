package batch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Defaults of DecodeOptions.
const (
	DefaultMaxRecordBytes = 4 << 20
	DefaultMaxElements    = 1 << 22
)

// Record is one input record decoded from a stream: one NDJSON line, one
// CSV row or one .npy row. Its Inputs follow the model's input order and
// share a leading dimension of Items.
type Record struct {
	// Index is the 0-based ordinal of the record in the stream (blank lines
	// and a CSV header are not records).
	Index int
	// Line is the 1-based line of an NDJSON or CSV record; 0 for .npy.
	Line int64
	// Items is the size of the leading dimension of every input.
	Items int
	// Inputs are the record's tensors in the model's input order, named
	// after the model's inputs. Nil when Err is set.
	Inputs []*tensor.Tensor
	// Err is non-nil for a bad record; the stream goes on.
	Err *RecordError
}

// Decoder reads records from a decoded (decompressed) stream. Next returns
// io.EOF after the last record; any other error wraps ErrStream or
// ErrFormat and ends the stream. A Decoder is not safe for concurrent use.
type Decoder interface {
	Next() (Record, error)
}

// DecodeOptions configure NewDecoder.
type DecodeOptions struct {
	// Inputs are the model's input specs, in order; Shape[0] is the batch
	// dimension (-1 when dynamic). Required.
	Inputs []tflite.TensorSpec
	// MaxRecordBytes bounds one NDJSON or CSV line and one .npy row; a
	// longer line is a bad record (skipped), a longer .npy row is
	// ErrFormat. Default: DefaultMaxRecordBytes (4 MiB).
	MaxRecordBytes int
	// MaxElements bounds the tensor elements of one record.
	// Default: DefaultMaxElements.
	MaxElements int
	// CSVHeader says whether a CSV stream starts with a header row.
	// Default: CSVHeaderAuto.
	CSVHeader CSVHeader
	// CSVColumns maps each model input to the CSV columns, named in the
	// header row, that hold its elements in row-major order (other columns
	// are ignored). It implies a header row and allows models with several
	// inputs. Empty: every field of a row is an element of the model's
	// single input.
	CSVColumns map[string][]string
}

func (o *DecodeOptions) check() error {
	if len(o.Inputs) == 0 {
		return fmt.Errorf("%w: no model inputs", ErrConfig)
	}
	for _, sp := range o.Inputs {
		if len(sp.Shape) == 0 {
			return fmt.Errorf("%w: input %q is a scalar; records need a leading dimension", ErrFormat, sp.Name)
		}
		if sp.DType.Size() == 0 {
			return fmt.Errorf("%w: input %q has dtype %s", ErrFormat, sp.Name, sp.DType)
		}
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.MaxElements <= 0 {
		o.MaxElements = DefaultMaxElements
	}
	return nil
}

// NewDecoder returns a decoder of records in format f from r. FormatAuto is
// not accepted here (see DetectFormat).
func NewDecoder(r io.Reader, f Format, opts DecodeOptions) (Decoder, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	switch f {
	case FormatNDJSON:
		return &ndjsonDecoder{lines: newLineReader(r, opts.MaxRecordBytes), opts: opts, rowElems: rowElements(opts)}, nil
	case FormatCSV:
		return newCSVDecoder(r, opts)
	case FormatNpy:
		return newNpyDecoder(r, opts)
	}
	return nil, fmt.Errorf("%w: %s", ErrFormat, f)
}

// lineReader yields lines of at most max bytes from a stream.
type lineReader struct {
	br   *bufio.Reader
	line int64 // lines returned so far
	bom  bool  // the first line was checked for a UTF-8 BOM
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, max)}
}

// next returns the next line without its "\n" or "\r\n"; the slice is valid
// until the next call. tooLong reports a line over the buffer, which is
// consumed and not returned. At the end it returns io.EOF; read errors are
// returned wrapped in ErrStream.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	b, err := lr.br.ReadSlice('\n')
	switch {
	case err == nil:
	case errors.Is(err, bufio.ErrBufferFull):
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = lr.br.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return nil, false, fmt.Errorf("%w: %w", ErrStream, err)
		}
		lr.line++
		return nil, true, nil
	case err == io.EOF:
		if len(b) == 0 {
			return nil, false, io.EOF
		}
	default:
		return nil, false, fmt.Errorf("%w: %w", ErrStream, err)
	}
	lr.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if !lr.bom {
		lr.bom = true
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	return b, false, nil
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// ndjsonDecoder decodes one record per non-blank line.
type ndjsonDecoder struct {
	lines    *lineReader
	opts     DecodeOptions
	index    int
	rowElems int // elements of a bare row with a fast path, or 0
}

func (d *ndjsonDecoder) Next() (Record, error) {
	for {
		b, tooLong, err := d.lines.next()
		if err != nil {
			return Record{}, err
		}
		if !tooLong && isBlank(b) {
			continue
		}
		rec := Record{Index: d.index, Line: d.lines.line}
		d.index++
		if tooLong {
			rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: fmt.Sprintf("line longer than %d bytes", d.opts.MaxRecordBytes)}
			return rec, nil
		}
		ins, items, err := parseJSONRecord(b, d.opts)
		if err != nil {
			rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: err.Error()}
			return rec, nil
		}
		rec.Inputs, rec.Items = ins, items
		return rec, nil
	}
}

// parseJSONRecord decodes one NDJSON line into the model's inputs.
func parseJSONRecord(b []byte, o DecodeOptions) ([]*tensor.Tensor, int, error) {
	v, err := tensor.ParseJSON(b, tensor.JSONLimits{MaxValues: o.MaxElements + 1024})
	if err != nil {
		return nil, 0, err
	}
	if v.Kind == tensor.JSONObject {
		if in := v.Get("inputs"); in != nil && in.Kind == tensor.JSONArray {
			return parseV2(in, o)
		}
		if rows := v.Get("instances"); rows != nil {
			if rows.Kind != tensor.JSONArray || len(rows.Items) == 0 {
				return nil, 0, errors.New(`"instances" must be a non-empty array`)
			}
			return parseRows(rows.Items, o)
		}
	}
	return parseRows([]tensor.JSONValue{*v}, o)
}

// v2Names are the Open Inference Protocol datatype names.
var v2Names = map[tensor.DType]string{
	tensor.Bool: "BOOL", tensor.Uint8: "UINT8", tensor.Uint16: "UINT16", tensor.Uint32: "UINT32",
	tensor.Uint64: "UINT64", tensor.Int8: "INT8", tensor.Int16: "INT16", tensor.Int32: "INT32",
	tensor.Int64: "INT64", tensor.Float16: "FP16", tensor.Float32: "FP32", tensor.Float64: "FP64",
}

// inputIndex returns the index of the model input called name; a model with
// one input takes any name.
func inputIndex(specs []tflite.TensorSpec, name string) int {
	for i, sp := range specs {
		if sp.Name == name {
			return i
		}
	}
	if len(specs) == 1 {
		return 0
	}
	return -1
}

// parseV2 decodes the "inputs" array of a V2 inference request.
func parseV2(in *tensor.JSONValue, o DecodeOptions) ([]*tensor.Tensor, int, error) {
	specs := o.Inputs
	if len(in.Items) != len(specs) {
		return nil, 0, fmt.Errorf("model takes %d inputs, record has %d", len(specs), len(in.Items))
	}
	out := make([]*tensor.Tensor, len(specs))
	items, total := -1, 0
	for i := range in.Items {
		el := &in.Items[i]
		name, shv, dtv, data := el.Get("name"), el.Get("shape"), el.Get("datatype"), el.Get("data")
		if el.Kind != tensor.JSONObject || name == nil || name.Kind != tensor.JSONString {
			return nil, 0, fmt.Errorf("inputs[%d]: want an object with a string name", i)
		}
		k := inputIndex(specs, string(name.Text))
		if k < 0 {
			return nil, 0, fmt.Errorf("model has no input %q", name.Text)
		}
		if out[k] != nil {
			return nil, 0, fmt.Errorf("input %q given twice", specs[k].Name)
		}
		sp := specs[k]
		if dtv != nil && (dtv.Kind != tensor.JSONString || string(dtv.Text) != v2Names[sp.DType]) {
			return nil, 0, fmt.Errorf("input %q: datatype must be %s", sp.Name, v2Names[sp.DType])
		}
		if shv == nil || shv.Kind != tensor.JSONArray || data == nil {
			return nil, 0, fmt.Errorf("input %q: missing shape or data", sp.Name)
		}
		shape := make(tensor.Shape, len(shv.Items))
		for j := range shv.Items {
			d, err := strconv.Atoi(string(shv.Items[j].Text))
			if shv.Items[j].Kind != tensor.JSONNumber || err != nil || d < 0 {
				return nil, 0, fmt.Errorf("input %q: bad shape", sp.Name)
			}
			shape[j] = d
		}
		if err := checkRecordShape(sp, shape); err != nil {
			return nil, 0, err
		}
		if n, err := shape.NumElements(); err != nil || total+n > o.MaxElements {
			return nil, 0, fmt.Errorf("input %q: more than %d elements", sp.Name, o.MaxElements)
		} else {
			total += n
		}
		t, err := tensor.FromJSON(data, sp.DType, shape, o.MaxElements)
		if err != nil {
			return nil, 0, fmt.Errorf("input %q: %w", sp.Name, err)
		}
		if items >= 0 && shape[0] != items {
			return nil, 0, fmt.Errorf("inputs disagree on the leading dimension (%d and %d)", items, shape[0])
		}
		items = shape[0]
		t.Name = sp.Name
		out[k] = t
	}
	if items < 1 {
		return nil, 0, errors.New("empty leading dimension")
	}
	return out, items, nil
}

// checkRecordShape checks a record tensor's shape (leading dimension
// included) against the model input spec.
func checkRecordShape(sp tflite.TensorSpec, shape tensor.Shape) error {
	if len(shape) != len(sp.Shape) {
		return fmt.Errorf("input %q has shape %s, model wants %s", sp.Name, shape, sp.Shape)
	}
	for d := 1; d < len(shape); d++ {
		if sp.Shape[d] >= 0 && shape[d] != sp.Shape[d] {
			return fmt.Errorf("input %q has shape %s, model wants %s", sp.Name, shape, sp.Shape)
		}
	}
	return nil
}

// itemShape returns sp's shape without the leading dimension when every
// dimension is fixed, else nil.
func itemShape(sp tflite.TensorSpec) tensor.Shape {
	for _, d := range sp.Shape[1:] {
		if d < 0 {
			return nil
		}
	}
	return sp.Shape[1:]
}

// parseRows decodes TF Serving rows (one item each) into the model inputs.
func parseRows(rows []tensor.JSONValue, o DecodeOptions) ([]*tensor.Tensor, int, error) {
	specs := o.Inputs
	per := make([][]*tensor.Tensor, len(specs))
	total := 0
	for r := range rows {
		row := &rows[r]
		named := row.Kind == tensor.JSONObject && (len(specs) > 1 || row.Get(specs[0].Name) != nil)
		if !named && len(specs) > 1 {
			return nil, 0, fmt.Errorf("row %d: model has %d inputs; give an object of input name to value", r, len(specs))
		}
		if named && len(row.Keys) != len(specs) {
			return nil, 0, fmt.Errorf("row %d: model takes %d inputs, row has %d", r, len(specs), len(row.Keys))
		}
		for k, sp := range specs {
			v := row
			if named {
				if v = row.Get(sp.Name); v == nil {
					return nil, 0, fmt.Errorf("row %d: missing input %q", r, sp.Name)
				}
			}
			if total >= o.MaxElements {
				return nil, 0, fmt.Errorf("row %d: more than %d elements", r, o.MaxElements)
			}
			t, err := tensor.FromJSON(v, sp.DType, itemShape(sp), o.MaxElements-total)
			if err != nil {
				return nil, 0, fmt.Errorf("row %d: input %q: %w", r, sp.Name, err)
			}
			total += t.Shape.Elements()
			t.Shape = append(tensor.Shape{1}, t.Shape...)
			if err := checkRecordShape(sp, t.Shape); err != nil {
				return nil, 0, fmt.Errorf("row %d: %w", r, err)
			}
			t.Name = sp.Name
			per[k] = append(per[k], t)
		}
	}
	out := make([]*tensor.Tensor, len(specs))
	for k := range specs {
		t, err := concat(per[k])
		if err != nil {
			return nil, 0, fmt.Errorf("input %q: %w", specs[k].Name, err)
		}
		out[k] = t
	}
	return out, len(rows), nil
}

// concat joins tensors of one dtype along their leading dimension; their
// other dimensions must agree. A single tensor is returned as is.
func concat(ts []*tensor.Tensor) (*tensor.Tensor, error) {
	if len(ts) == 1 {
		return ts[0], nil
	}
	first := ts[0]
	n, size := 0, 0
	for _, t := range ts {
		if t.DType != first.DType || !t.Shape[1:].Equal(first.Shape[1:]) {
			return nil, fmt.Errorf("items of shapes %s and %s cannot be batched", first.Shape, t.Shape)
		}
		n += t.Shape[0]
		size += len(t.Data)
	}
	out := &tensor.Tensor{Name: first.Name, DType: first.DType, Shape: append(tensor.Shape{n}, first.Shape[1:]...), Data: make([]byte, 0, size)}
	for _, t := range ts {
		out.Data = append(out.Data, t.Data...)
	}
	return out, nil
}

// npyDecoder yields the rows of a .npy array along its leading dimension.
type npyDecoder struct {
	nr        *tensor.NpyReader
	name      string
	index     int
	block     *tensor.Tensor // rows read ahead by nextInto
	pos       int            // next row of block
	blockRows int
}

func newNpyDecoder(r io.Reader, o DecodeOptions) (*npyDecoder, error) {
	if len(o.Inputs) != 1 {
		return nil, fmt.Errorf("%w: .npy needs a model with one input, this one has %d", ErrFormat, len(o.Inputs))
	}
	nr, err := tensor.NewNpyReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStream, err)
	}
	h, sp := nr.Header(), o.Inputs[0]
	if h.DType != sp.DType {
		return nil, fmt.Errorf("%w: .npy holds %s, input %q takes %s", ErrFormat, h.DType, sp.Name, sp.DType)
	}
	if err := checkRecordShape(sp, h.Shape); err != nil {
		return nil, fmt.Errorf("%w: .npy: %w", ErrFormat, err)
	}
	if h.RecordLen() > o.MaxRecordBytes || h.RecordShape().Elements() > o.MaxElements {
		return nil, fmt.Errorf("%w: .npy rows of %d bytes exceed the limit of %d", ErrFormat, h.RecordLen(), o.MaxRecordBytes)
	}
	rows := 1
	if rl := h.RecordLen(); rl > 0 {
		rows = max(1, npyBlockBytes/rl)
	}
	return &npyDecoder{nr: nr, name: sp.Name, blockRows: rows}, nil
}

func (d *npyDecoder) Next() (Record, error) {
	t, err := d.nr.Next(1)
	if err == io.EOF {
		return Record{}, io.EOF
	}
	if err != nil {
		return Record{}, fmt.Errorf("%w: .npy record %d: %w", ErrStream, d.index, err)
	}
	t.Name = d.name
	rec := Record{Index: d.index, Items: 1, Inputs: []*tensor.Tensor{t}}
	d.index++
	return rec, nil
}
