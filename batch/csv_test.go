package batch

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/tflite"
)

func csvAll(t *testing.T, in string, specs []tflite.TensorSpec, set func(*DecodeOptions)) ([]Record, error) {
	t.Helper()
	o := DecodeOptions{Inputs: specs, MaxRecordBytes: 256}
	if set != nil {
		set(&o)
	}
	d, err := NewDecoder(strings.NewReader(in), FormatCSV, o)
	if err != nil {
		return nil, err
	}
	var recs []Record
	for range 100 {
		r, err := d.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, r)
	}
	t.Fatal("decoder did not end")
	return nil, nil
}

// Expected values below are written by hand from the inputs.
func TestCSVQuotingAndHeaders(t *testing.T) {
	mapTwo := func(o *DecodeOptions) {
		o.CSVColumns = map[string][]string{"a": {"f2", "f1"}, "b": {"id"}}
	}
	tests := []struct {
		name    string
		in      string
		specs   []tflite.TensorSpec
		set     func(*DecodeOptions)
		want    []decoded // vals: the first input's; for specTwo the second's follow
		wantErr error
	}{
		{name: "quoted header and fields", specs: specX4,
			in:   "a,\"b \"\"q\"\", c\",d,e\n\"1\",\"2\",3,\" 4 \"\n",
			want: []decoded{{line: 2, items: 1, vals: []float64{1, 2, 3, 4}}}},
		{name: "header spanning lines", specs: specX4,
			in:   "\"x\n0\",x1,x2,x3\r\n1,2,3,4\n",
			want: []decoded{{line: 3, items: 1, vals: []float64{1, 2, 3, 4}}}},
		{name: "quoted comma is one field", specs: specX4,
			in:   "\"1,5\",2,3,4\n1,2,3,4\n",
			want: []decoded{{line: 1, bad: `field 1: "1,5" is not a number`}, {line: 2, items: 1, vals: []float64{1, 2, 3, 4}}}},
		{name: "quote inside unquoted field", specs: specX4,
			in:   "1,2\"x,3,4\n",
			want: []decoded{{line: 1, bad: "quote inside"}}},
		{name: "text after closing quote", specs: specX4,
			in:   "1,\"2\"x,3,4\n",
			want: []decoded{{line: 1, bad: "after the closing quote"}}},
		{name: "unterminated quote", specs: specX4,
			in:   "1,2,3,4\n\"5,6,7,8\n",
			want: []decoded{{line: 1, items: 1, vals: []float64{1, 2, 3, 4}}, {line: 2, bad: "unterminated"}}},
		{name: "header present, numeric", specs: specX4, set: func(o *DecodeOptions) { o.CSVHeader = CSVHeaderPresent },
			in:   "1,2,3,4\n5,6,7,8\n",
			want: []decoded{{line: 2, items: 1, vals: []float64{5, 6, 7, 8}}}},
		{name: "header absent", specs: specX4, set: func(o *DecodeOptions) { o.CSVHeader = CSVHeaderAbsent },
			in:   "a,b,c,d\n5,6,7,8\n",
			want: []decoded{{line: 1, bad: "not a number"}, {line: 2, items: 1, vals: []float64{5, 6, 7, 8}}}},
		{name: "column mapping, two inputs", specs: specTwo, set: mapTwo,
			in: "id,f1,f2,label\n7,1.5,2.5,\"cat, black\"\n8,x,1,dog\n9,0,-1\n",
			want: []decoded{{line: 2, items: 1, vals: []float64{2.5, 1.5, 7}}, {line: 3, bad: `field 2: "x" is not a number`},
				{line: 4, items: 1, vals: []float64{-1, 0, 9}}}},
		{name: "mapped column missing", specs: specTwo, set: func(o *DecodeOptions) {
			o.CSVColumns = map[string][]string{"a": {"f2", "nope"}, "b": {"id"}}
		}, in: "id,f1,f2\n1,2,3\n", wantErr: ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := csvAll(t, tc.in, tc.specs, tc.set)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tc.want) {
				t.Fatalf("%d records, want %d: %+v", len(recs), len(tc.want), recs)
			}
			for i, w := range tc.want {
				r := recs[i]
				if r.Index != i || r.Line != w.line {
					t.Errorf("record %d: index %d line %d, want line %d", i, r.Index, r.Line, w.line)
				}
				if w.bad != "" {
					if r.Err == nil || !strings.Contains(r.Err.Msg, w.bad) {
						t.Errorf("record %d: error %v, want %q", i, r.Err, w.bad)
					}
					continue
				}
				if r.Err != nil {
					t.Fatalf("record %d: %v", i, r.Err)
				}
				var got []float64
				for _, in := range r.Inputs {
					got = append(got, values(in)...)
				}
				if r.Items != w.items || !slices.Equal(got, w.vals) {
					t.Errorf("record %d: %d items %v, want %d %v", i, r.Items, got, w.items, w.vals)
				}
			}
			// The pipeline's fast path agrees with Next.
			sameAsGeneral(t, []byte(tc.in), FormatCSV, tc.specs, func(o *DecodeOptions) {
				if tc.set != nil {
					tc.set(o)
				}
			})
		})
	}
}
