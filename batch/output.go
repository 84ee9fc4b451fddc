package batch

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// OutputFormat is the format of the predictions object.
type OutputFormat int

// Output formats.
const (
	// OutputNDJSON writes one JSON line per record (the default).
	OutputNDJSON OutputFormat = iota
	// OutputCSV writes a header row, then one row per item: the record's
	// index, the item's position in the record, every element of every
	// output (columns <output>_<i>, row-major), and an error column, set
	// (and nothing else but the index) on the one row of a bad record.
	// Values are formatted as in NDJSON (NaN and infinities as "NaN",
	// "Infinity", "-Infinity"). It needs output specs with fixed item
	// shapes (Config.OutputSpecs).
	OutputCSV
	// OutputNpy writes one .npy array per output, batch dimension first,
	// plus the record index of each row and the bad records' error lines,
	// in one .npz archive that numpy.load reads (see npz.go for the
	// layout). It needs output specs with fixed item shapes
	// (Config.OutputSpecs) and local disk for the arrays until the end
	// (Config.SpillDir).
	OutputNpy
)

// Suffixes of the predictions in the other output formats.
const (
	PredictionsSuffixCSV = ".predictions.csv.zst"
	PredictionsSuffixNpz = ".predictions.npz"
)

// ParseOutputFormat parses "ndjson" (or ""), "csv" and "npy" (or "npz").
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch strings.ToLower(s) {
	case "", "ndjson", "jsonl":
		return OutputNDJSON, nil
	case "csv":
		return OutputCSV, nil
	case "npy", "npz":
		return OutputNpy, nil
	}
	return OutputNDJSON, fmt.Errorf("%w: unknown output format %q (want ndjson, csv or npy)", ErrConfig, s)
}

// String returns the format's name.
func (f OutputFormat) String() string {
	switch f {
	case OutputNDJSON:
		return "ndjson"
	case OutputCSV:
		return "csv"
	case OutputNpy:
		return "npy"
	}
	return fmt.Sprintf("OutputFormat(%d)", int(f))
}

func (f OutputFormat) suffix() string {
	switch f {
	case OutputCSV:
		return PredictionsSuffixCSV
	case OutputNpy:
		return PredictionsSuffixNpz
	}
	return PredictionsSuffix
}

func (f OutputFormat) contentType() string {
	switch f {
	case OutputCSV:
		return "text/csv"
	case OutputNpy:
		return "application/zip"
	}
	return "application/x-ndjson"
}

// compression is how the predictions are compressed in the store: a
// .npz archive compresses its own members.
func (f OutputFormat) compression() objstore.Codec {
	if f == OutputNpy {
		return objstore.CodecNone
	}
	return objstore.CodecZstd
}

// csvLayout is the column layout of CSV output.
type csvLayout struct {
	header []byte
	elems  []int // per written output: elements per item
	total  int
}

// newCSVLayout derives the columns from the model's output specs and the
// outputs selected (all when names is empty), in the order the predictor
// returns them.
func newCSVLayout(specs []tflite.TensorSpec, names []string) (*csvLayout, error) {
	sel, err := selectOutputs(specs, names, "CSV")
	if err != nil {
		return nil, err
	}
	l := &csvLayout{header: []byte("index,item")}
	for _, sp := range sel {
		if len(sp.Shape) == 0 {
			return nil, fmt.Errorf("%w: CSV output: output %q has no batch dimension", ErrFormat, sp.Name)
		}
		is := itemShape(sp)
		n, err := is.NumElements()
		if is == nil || err != nil || n > 1<<20 {
			return nil, fmt.Errorf("%w: CSV output needs a fixed item shape, output %q is %s", ErrFormat, sp.Name, sp.Shape)
		}
		for i := range n {
			l.header = append(l.header, ',')
			l.header = appendCSVField(l.header, sp.Name+"_"+strconv.Itoa(i))
		}
		l.elems = append(l.elems, n)
		l.total += n
	}
	l.header = append(l.header, ",error\n"...)
	return l, nil
}

// appendCSVField appends s, quoted when it holds a comma, a quote or a
// line break (RFC 4180).
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// appendCSVRows appends one row per item of a good record.
func (l *csvLayout) appendRows(b []byte, index int, items int, outs []*tensor.Tensor) ([]byte, error) {
	if len(outs) != len(l.elems) {
		return b, fmt.Errorf("batch: the model answered %d outputs, CSV columns are for %d", len(outs), len(l.elems))
	}
	for k, o := range outs {
		if o.Shape.Elements() != items*l.elems[k] {
			return b, fmt.Errorf("batch: output %q has shape %s, CSV columns are for %d elements per item", o.Name, o.Shape, l.elems[k])
		}
	}
	for it := range items {
		b = strconv.AppendInt(b, int64(index), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(it), 10)
		for k, o := range outs {
			for e := range l.elems[k] {
				b = append(b, ',')
				b = appendJSONElem(b, o, it*l.elems[k]+e)
			}
		}
		b = append(b, ",\n"...)
	}
	return b, nil
}

// appendError appends the row of a bad record.
func (l *csvLayout) appendError(b []byte, index int, msg string) []byte {
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, ',')
	for range l.total {
		b = append(b, ',')
	}
	b = append(b, ',')
	b = appendCSVField(b, msg)
	return append(b, '\n')
}
