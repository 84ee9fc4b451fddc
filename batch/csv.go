package batch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/tensor"
)

// CSVHeader says whether a CSV stream starts with a header row.
type CSVHeader int

// CSV header modes.
const (
	// CSVHeaderAuto takes the first row for a header when none of its
	// fields is a number.
	CSVHeaderAuto CSVHeader = iota
	// CSVHeaderPresent: the first row is a header.
	CSVHeaderPresent
	// CSVHeaderAbsent: every row is a record.
	CSVHeaderAbsent
)

// ParseCSVHeader parses "auto" (or ""), "true"/"present" and
// "false"/"absent".
func ParseCSVHeader(s string) (CSVHeader, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return CSVHeaderAuto, nil
	case "true", "yes", "present":
		return CSVHeaderPresent, nil
	case "false", "no", "absent":
		return CSVHeaderAbsent, nil
	}
	return CSVHeaderAuto, fmt.Errorf("%w: CSV header %q: want auto, true or false", ErrConfig, s)
}

// csvDecoder decodes rows of numbers (RFC 4180: fields separated by commas,
// optionally enclosed in double quotes, a quote inside one doubled; a
// quoted field may span lines). Without a column mapping every field is an
// element of the model's single input; with one (DecodeOptions.CSVColumns)
// the header row names the columns of each input.
type csvDecoder struct {
	lines  *lineReader
	opts   DecodeOptions
	shapes []tensor.Shape // per input: [1, item shape...]
	elems  []int          // per input: elements per row
	cols   [][]int        // per input: the field of each element; nil until the header maps them (then every field, in order, for one input)
	index  int
	seen   bool // the first row was read (header handled)
	fields [][]byte
	text   []byte // unquoted field text
	joined []byte // a record spanning lines
	vals   []tensor.JSONValue
}

func newCSVDecoder(r io.Reader, o DecodeOptions) (*csvDecoder, error) {
	if len(o.CSVColumns) == 0 && len(o.Inputs) != 1 {
		return nil, fmt.Errorf("%w: CSV for a model with %d inputs needs a column mapping (CSVColumns)", ErrFormat, len(o.Inputs))
	}
	d := &csvDecoder{lines: newLineReader(r, o.MaxRecordBytes), opts: o}
	total := 0
	for _, sp := range o.Inputs {
		is := itemShape(sp)
		if is == nil {
			return nil, fmt.Errorf("%w: CSV needs a fixed item shape, input %q is %s", ErrFormat, sp.Name, sp.Shape)
		}
		n, err := is.NumElements()
		if err != nil || n == 0 || total+n > o.MaxElements {
			return nil, fmt.Errorf("%w: input %q of shape %s does not fit a CSV row", ErrFormat, sp.Name, sp.Shape)
		}
		total += n
		if cs, ok := o.CSVColumns[sp.Name]; len(o.CSVColumns) > 0 && (!ok || len(cs) != n) {
			return nil, fmt.Errorf("%w: CSV columns for input %q: %d given, its item shape %s takes %d", ErrConfig, sp.Name, len(cs), is, n)
		}
		d.shapes = append(d.shapes, append(tensor.Shape{1}, is...))
		d.elems = append(d.elems, n)
	}
	if len(o.CSVColumns) > len(o.Inputs) {
		return nil, fmt.Errorf("%w: CSV columns map %d inputs, the model has %d", ErrConfig, len(o.CSVColumns), len(o.Inputs))
	}
	return d, nil
}

var errQuote = errors.New("unterminated quoted field")

// splitCSV splits one record into fields per RFC 4180, unquoting quoted
// fields into text (which the fields then share) and trimming spaces
// around fields and inside quotes (numbers do not have them). It returns
// errQuote when a quoted field is not closed (the record may go on on the
// next line) and another error for a quote inside an unquoted field or
// text after a closing quote.
func splitCSV(b []byte, dst [][]byte, text []byte) ([][]byte, []byte, error) {
	dst, text = dst[:0], text[:0]
	// Fields point into text, which must not move: size it first.
	if cap(text) < len(b) {
		text = make([]byte, 0, len(b))
	}
	for {
		i := 0
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		if i < len(b) && b[i] == '"' {
			start := len(text)
			j := i + 1
			for {
				k := bytes.IndexByte(b[j:], '"')
				if k < 0 {
					return dst, text, errQuote
				}
				text = append(text, b[j:j+k]...)
				j += k + 1
				if j < len(b) && b[j] == '"' {
					text = append(text, '"')
					j++
					continue
				}
				break
			}
			for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
				j++
			}
			dst = append(dst, bytes.TrimSpace(text[start:]))
			if j == len(b) {
				return dst, text, nil
			}
			if b[j] != ',' {
				return dst, text, fmt.Errorf("field %d: text after the closing quote", len(dst))
			}
			b = b[j+1:]
			continue
		}
		k := bytes.IndexByte(b, ',')
		f := b
		if k >= 0 {
			f = b[:k]
		}
		if bytes.IndexByte(f, '"') >= 0 {
			return dst, text, fmt.Errorf("field %d: a quote inside an unquoted field", len(dst)+1)
		}
		dst = append(dst, bytes.TrimSpace(f))
		if k < 0 {
			return dst, text, nil
		}
		b = b[k+1:]
	}
}

func isNumber(f []byte) bool {
	_, err := strconv.ParseFloat(string(f), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// row reads the next non-blank record and splits it. msg is set (and
// fields are not) for a bad record: too long, or badly quoted.
func (d *csvDecoder) row() (line int64, msg string, err error) {
	for {
		b, tooLong, err := d.lines.next()
		if err != nil {
			return 0, "", err
		}
		if !tooLong && isBlank(b) {
			continue
		}
		line = d.lines.line
		if tooLong {
			return line, fmt.Sprintf("line longer than %d bytes", d.opts.MaxRecordBytes), nil
		}
		var serr error
		d.fields, d.text, serr = splitCSV(b, d.fields, d.text)
		if serr == errQuote {
			// A quoted field goes on over the next lines.
			d.joined = append(d.joined[:0], b...)
			for serr == errQuote {
				nb, tooLong, err := d.lines.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return 0, "", err
				}
				if tooLong || len(d.joined)+1+len(nb) > d.opts.MaxRecordBytes {
					return line, fmt.Sprintf("record longer than %d bytes", d.opts.MaxRecordBytes), nil
				}
				d.joined = append(append(d.joined, '\n'), nb...)
				d.fields, d.text, serr = splitCSV(d.joined, d.fields, d.text)
			}
		}
		if serr != nil {
			return line, serr.Error(), nil
		}
		return line, "", nil
	}
}

// header handles the first row: it reports whether the row is a header
// (and is not a record), and maps the columns.
func (d *csvDecoder) header() (bool, error) {
	isHeader := false
	switch {
	case len(d.opts.CSVColumns) > 0 || d.opts.CSVHeader == CSVHeaderPresent:
		isHeader = true
	case d.opts.CSVHeader == CSVHeaderAuto:
		isHeader = true
		for _, f := range d.fields {
			isHeader = isHeader && !isNumber(f)
		}
	}
	if len(d.opts.CSVColumns) == 0 {
		return isHeader, nil
	}
	at := map[string]int{}
	for i, f := range d.fields {
		if _, dup := at[string(f)]; !dup {
			at[string(f)] = i
		}
	}
	d.cols = make([][]int, len(d.opts.Inputs))
	for k, sp := range d.opts.Inputs {
		for _, name := range d.opts.CSVColumns[sp.Name] {
			i, ok := at[name]
			if !ok {
				return true, fmt.Errorf("%w: CSV header has no column %q (for input %q)", ErrFormat, name, sp.Name)
			}
			d.cols[k] = append(d.cols[k], i)
		}
	}
	return true, nil
}

// next returns the next record's position, or a bad record's message.
func (d *csvDecoder) next() (Record, error) {
	for {
		line, msg, err := d.row()
		if err != nil {
			return Record{}, err
		}
		if !d.seen {
			d.seen = true
			if msg == "" {
				skip, err := d.header()
				if err != nil {
					return Record{}, err
				}
				if skip {
					continue
				}
			} else if len(d.opts.CSVColumns) > 0 {
				return Record{}, fmt.Errorf("%w: CSV header row (line %d): %s", ErrFormat, line, msg)
			}
		}
		rec := Record{Index: d.index, Line: line}
		d.index++
		if msg != "" {
			rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: msg}
			return rec, nil
		}
		if d.cols == nil && len(d.fields) != d.elems[0] {
			rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: fmt.Sprintf("%d fields, input %q takes %d", len(d.fields), d.opts.Inputs[0].Name, d.elems[0])}
			return rec, nil
		}
		rec.Items = 1
		return rec, nil
	}
}

// field returns the field of element e of input k.
func (d *csvDecoder) field(k, e int) ([]byte, int, bool) {
	i := e
	if d.cols != nil {
		i = d.cols[k][e]
	}
	if i >= len(d.fields) {
		return nil, i, false
	}
	return d.fields[i], i, true
}

// tensors decodes the current record's fields into the model's inputs.
func (d *csvDecoder) tensors() ([]*tensor.Tensor, error) {
	out := make([]*tensor.Tensor, len(d.opts.Inputs))
	for k, sp := range d.opts.Inputs {
		d.vals = d.vals[:0]
		for e := range d.elems[k] {
			f, i, ok := d.field(k, e)
			if !ok {
				return nil, fmt.Errorf("%d fields, column %d is missing", len(d.fields), i+1)
			}
			if !isNumber(f) {
				return nil, fmt.Errorf("field %d: %q is not a number", i+1, f)
			}
			d.vals = append(d.vals, tensor.JSONValue{Kind: tensor.JSONNumber, Text: f})
		}
		arr := tensor.JSONValue{Kind: tensor.JSONArray, Items: d.vals}
		t, err := tensor.FromJSON(&arr, sp.DType, d.shapes[k], d.opts.MaxElements)
		if err != nil {
			if len(d.opts.Inputs) > 1 {
				return nil, fmt.Errorf("input %q: %w", sp.Name, err)
			}
			return nil, err
		}
		t.Name = sp.Name
		out[k] = t
	}
	return out, nil
}

// Next implements Decoder.
func (d *csvDecoder) Next() (Record, error) {
	rec, err := d.next()
	if err != nil || rec.Err != nil {
		return rec, err
	}
	ins, err := d.tensors()
	if err != nil {
		rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: err.Error()}
		rec.Items = 0
		return rec, nil
	}
	rec.Inputs = ins
	return rec, nil
}

// nextInto implements bufDecoder: plain JSON-style numbers are decoded
// straight into dst; anything else goes through tensors (same errors).
func (d *csvDecoder) nextInto(dst [][]byte) (Record, [][]byte, error) {
	rec, err := d.next()
	if err != nil || rec.Err != nil {
		return rec, dst, err
	}
	ok := true
	for k, sp := range d.opts.Inputs {
		if !fastDType(sp.DType) {
			ok = false
			break
		}
		start := len(dst[k])
		for e := range d.elems[k] {
			f, _, present := d.field(k, e)
			if !present {
				ok = false
				break
			}
			if dst[k], ok = appendNumber(dst[k], f, sp.DType); !ok {
				break
			}
		}
		if !ok {
			dst[k] = dst[k][:start]
			for j := range k {
				dst[j] = dst[j][:len(dst[j])-d.elems[j]*d.opts.Inputs[j].DType.Size()]
			}
			break
		}
	}
	if ok {
		return rec, dst, nil
	}
	ins, err := d.tensors()
	if err != nil {
		rec.Err = &RecordError{Index: rec.Index, Line: rec.Line, Msg: err.Error()}
		rec.Items = 0
		return rec, dst, nil
	}
	return rec, appendRecord(Record{Inputs: ins}, dst), nil
}
