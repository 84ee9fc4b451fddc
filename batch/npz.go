package batch

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// .npy output (OutputNpy) is a .npz archive, the container numpy itself
// uses for several arrays (numpy.savez_compressed): a zip whose members
// are .npy files, read with numpy.load(path)[name]. Its members, in this
// order:
//
//	index.npy       int64 (N,): the record each row comes from
//	<output>.npy    one per written output, (N, item shape...), the
//	                model's dtype: row i is an item of record index[i]
//	errors.ndjson   one NDJSON error line per bad record, as in NDJSON
//	                output ({"index":..,"line":..,"error":..})
//
// N is the number of items predicted. A .npy header states the array's
// shape before its data and the count is known only at the end, so the
// rows are spilled to temporary files (Config.SpillDir) while the run
// goes on and the archive is written to the output when it ends: it needs
// local disk for the uncompressed arrays (N × (8 + the output bytes per
// item)) and writes nothing before the last record. Members are deflated
// (level 1) with fixed timestamps, so the archive's bytes depend only on
// the input and the model, like the other formats.

// npzEpoch is the modification time of every member (the zip epoch), so
// the bytes do not depend on when the run happened.
var npzEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Names of the members beside the outputs.
const (
	npzIndexName  = "index"
	npzErrorsName = "errors.ndjson"
)

// npzArray is one output array of the archive.
type npzArray struct {
	name      string
	dtype     tensor.DType
	item      tensor.Shape // the shape of one row
	elems     int          // elements per row
	itemBytes int
}

// npzLayout is the arrays of .npy output.
type npzLayout struct{ arrays []npzArray }

// selectOutputs returns the specs of the outputs written: all when names
// is empty, else those named, in the order given.
func selectOutputs(specs []tflite.TensorSpec, names []string, format string) ([]tflite.TensorSpec, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: %s output needs the model's output specs (Config.OutputSpecs)", ErrConfig, format)
	}
	if len(names) == 0 {
		return specs, nil
	}
	var sel []tflite.TensorSpec
	for _, n := range names {
		found := false
		for _, sp := range specs {
			if sp.Name == n {
				sel, found = append(sel, sp), true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: model has no output %q", ErrConfig, n)
		}
	}
	return sel, nil
}

// newNPZLayout derives the arrays from the model's output specs.
func newNPZLayout(specs []tflite.TensorSpec, names []string) (*npzLayout, error) {
	sel, err := selectOutputs(specs, names, "npy")
	if err != nil {
		return nil, err
	}
	l := &npzLayout{}
	seen := map[string]bool{npzIndexName: true}
	for _, sp := range sel {
		if len(sp.Shape) == 0 {
			return nil, fmt.Errorf("%w: npy output: output %q has no batch dimension", ErrFormat, sp.Name)
		}
		if sp.Name == "" || seen[sp.Name] || strings.ContainsAny(sp.Name, "\x00\\") || strings.HasPrefix(sp.Name, "/") {
			return nil, fmt.Errorf("%w: npy output: output name %q cannot name an archive member (it must be unique, not %q, without NUL or backslash)", ErrFormat, sp.Name, npzIndexName)
		}
		seen[sp.Name] = true
		is := itemShape(sp)
		n, err := is.NumElements()
		if is == nil || err != nil || n > 1<<24 || sp.DType.Size() == 0 {
			return nil, fmt.Errorf("%w: npy output needs a fixed item shape, output %q is %s", ErrFormat, sp.Name, sp.Shape)
		}
		if _, err := tensor.AppendNpyHeader(nil, sp.DType, append(tensor.Shape{0}, is...)); err != nil {
			return nil, fmt.Errorf("%w: npy output: output %q: %w", ErrFormat, sp.Name, err)
		}
		l.arrays = append(l.arrays, npzArray{name: sp.Name, dtype: sp.DType, item: is, elems: n, itemBytes: n * sp.DType.Size()})
	}
	return l, nil
}

// spillFile is one temporary file the rows of an array go to.
type spillFile struct {
	f *os.File
	w *bufio.Writer
}

// npzSpill holds the rows of an archive being written: files[0] the
// index, files[1+k] output k, files[len-1] the error lines.
type npzSpill struct {
	layout *npzLayout
	files  []spillFile
	items  int   // rows written
	bytes  int64 // bytes spilled
	max    int64 // cap on bytes, 0 for none
	idx    []byte
}

// newNPZSpill creates the spill files in dir (os.TempDir() when empty).
// The files are removed from the directory at once where the system
// allows it, so a crash leaves nothing behind; close releases them.
func newNPZSpill(l *npzLayout, dir string, max int64) (*npzSpill, error) {
	s := &npzSpill{layout: l, max: max}
	for range len(l.arrays) + 2 {
		f, err := os.CreateTemp(dir, "edgeinfer-npz-*")
		if err != nil {
			s.close()
			return nil, fmt.Errorf("batch: npy output: spill file: %w", err)
		}
		os.Remove(f.Name()) // kept open; on systems that refuse, close removes it
		s.files = append(s.files, spillFile{f: f, w: bufio.NewWriterSize(f, 128<<10)})
	}
	return s, nil
}

// close releases the spill files.
func (s *npzSpill) close() {
	for _, sf := range s.files {
		name := sf.f.Name()
		sf.f.Close()
		os.Remove(name)
	}
	s.files = nil
}

func (s *npzSpill) write(i int, b []byte) error {
	s.bytes += int64(len(b))
	if s.max > 0 && s.bytes > s.max {
		return fmt.Errorf("%w: npy output: more than %d bytes to spill (Config.MaxSpillBytes)", ErrConfig, s.max)
	}
	if _, err := s.files[i].w.Write(b); err != nil {
		return fmt.Errorf("batch: npy output: spill: %w", err)
	}
	return nil
}

// appendRecord spills the rows of a good record: items rows of each
// output in outs.
func (s *npzSpill) appendRecord(index, items int, outs []*tensor.Tensor) error {
	arrs := s.layout.arrays
	if len(outs) != len(arrs) {
		return fmt.Errorf("batch: the model answered %d outputs, npy output is for %d", len(outs), len(arrs))
	}
	for k, o := range outs {
		if o.DType != arrs[k].dtype || len(o.Data) != items*arrs[k].itemBytes || o.Shape.Elements() != items*arrs[k].elems {
			return fmt.Errorf("batch: output %q is %s%s, npy output is for %s rows of %s", o.Name, o.DType, o.Shape, arrs[k].dtype, arrs[k].item)
		}
	}
	s.idx = s.idx[:0]
	for range items {
		s.idx = binary.LittleEndian.AppendUint64(s.idx, uint64(index))
	}
	if err := s.write(0, s.idx); err != nil {
		return err
	}
	for k, o := range outs {
		if err := s.write(1+k, o.Data); err != nil {
			return err
		}
	}
	s.items += items
	return nil
}

// appendError spills the error line of a bad record.
func (s *npzSpill) appendError(re RecordError) error {
	s.idx = appendErrorLine(s.idx[:0], re)
	return s.write(len(s.files)-1, s.idx)
}

// writeTo writes the archive to w.
func (s *npzSpill) writeTo(w io.Writer) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	buf := make([]byte, 64<<10)
	member := func(i int, name string, header []byte) error {
		sf := s.files[i]
		if err := sf.w.Flush(); err != nil {
			return fmt.Errorf("batch: npy output: spill: %w", err)
		}
		if _, err := sf.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("batch: npy output: spill: %w", err)
		}
		mw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: npzEpoch})
		if err != nil {
			return fmt.Errorf("batch: write output: %w", err)
		}
		if _, err := mw.Write(header); err != nil {
			return fmt.Errorf("batch: write output: %w", err)
		}
		for {
			n, rerr := io.ReadFull(sf.f, buf)
			if n > 0 {
				if _, err := mw.Write(buf[:n]); err != nil {
					return fmt.Errorf("batch: write output: %w", err)
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				return nil
			}
			if rerr != nil {
				return fmt.Errorf("batch: npy output: spill: %w", rerr)
			}
		}
	}
	hdr, err := tensor.AppendNpyHeader(nil, tensor.Int64, tensor.Shape{s.items})
	if err != nil {
		return fmt.Errorf("%w: npy output: %w", ErrFormat, err)
	}
	if err := member(0, npzIndexName+".npy", hdr); err != nil {
		return err
	}
	for k, a := range s.layout.arrays {
		hdr, err := tensor.AppendNpyHeader(nil, a.dtype, append(tensor.Shape{s.items}, a.item...))
		if err != nil {
			return fmt.Errorf("%w: npy output: %w", ErrFormat, err)
		}
		if err := member(1+k, a.name+".npy", hdr); err != nil {
			return err
		}
	}
	if err := member(len(s.files)-1, npzErrorsName, nil); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("batch: write output: %w", err)
	}
	return nil
}
