package metadata

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// BufferName is the name under which a model's metadata buffer is listed
// in the model's metadata entries.
const BufferName = "TFLITE_METADATA"

// Limits bound what Read accepts from one model file. Zero fields take the
// defaults in their comments.
type Limits struct {
	// MaxFiles is the most files the associated-file zip may hold
	// (default 64).
	MaxFiles int
	// MaxFileBytes is the largest uncompressed associated file (default
	// 16 MiB).
	MaxFileBytes int64
	// MaxTotalBytes caps all associated files together, uncompressed
	// (default 64 MiB).
	MaxTotalBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = 64
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 16 << 20
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 64 << 20
	}
	return l
}

// Model is the metadata of one model file and its associated files.
type Model struct {
	// Metadata is the parsed TFLITE_METADATA buffer; nil when the model
	// has none.
	Metadata *Metadata
	// Files holds the associated files of the appended zip by name; nil
	// when there is none.
	Files map[string][]byte
}

// Read finds the TFLITE_METADATA buffer of a .tflite file and the zip of
// associated files appended to it, and parses both. A model without
// metadata gives a Model with nil Metadata and Files. The model file is
// walked only as far as its metadata entries and buffers, each offset
// checked; the result does not alias model.
func Read(model []byte, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	buf, err := metadataBuffer(model)
	if err != nil {
		return nil, err
	}
	out := &Model{}
	if buf != nil {
		if out.Metadata, err = Parse(buf); err != nil {
			return nil, err
		}
		// Strings were copied; the vectors of floats too. Nothing aliases.
	}
	if out.Files, err = readZip(model, lim); err != nil {
		return nil, err
	}
	return out, nil
}

// metadataBuffer returns the bytes of the buffer the model's metadata
// entry BufferName points to, or nil.
func metadataBuffer(model []byte) ([]byte, error) {
	if len(model) < 8 || string(model[4:8]) != "TFL3" {
		return nil, fmt.Errorf("%w: not a TensorFlow Lite model (no \"TFL3\" identifier)", ErrInvalid)
	}
	if uint64(len(model)) >= 1<<32 {
		return nil, fmt.Errorf("%w: model files over 4 GiB are not supported", ErrInvalid)
	}
	r := &fbuf{b: model}
	root := r.root("model")
	idx := -1
	for _, m := range r.tables(root, 6, "metadata") {
		if r.str(m, 0, "metadata name") == BufferName {
			idx = int(r.u32f(m, 1, 0, "metadata buffer"))
			break
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: model: %v", ErrInvalid, r.err)
	}
	if idx < 0 {
		return nil, nil
	}
	bufs := r.vector(root, 4, 4, "buffers")
	if r.err != nil {
		return nil, fmt.Errorf("%w: model: %v", ErrInvalid, r.err)
	}
	if uint32(idx) >= bufs.n {
		return nil, fmt.Errorf("%w: metadata buffer index %d is beyond the %d buffers", ErrInvalid, idx, bufs.n)
	}
	b := r.elemTable(bufs, uint32(idx), "buffer")
	data := r.bytes(b, 0, "buffer data")
	if off, size := r.u64f(b, 1, "buffer offset"), r.u64f(b, 2, "buffer size"); off > 1 && r.err == nil {
		if off+size < off || off+size > uint64(len(model)) {
			return nil, fmt.Errorf("%w: metadata buffer at %d (+%d) is outside the %d-byte file", ErrInvalid, off, size, len(model))
		}
		data = model[off : off+size]
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: model: %v", ErrInvalid, r.err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: the %s buffer is empty", ErrInvalid, BufferName)
	}
	return data, nil
}

// readZip reads the zip archive appended to a model, if any.
func readZip(model []byte, lim Limits) (map[string][]byte, error) {
	// The end-of-central-directory record is in the last 64 KiB + 22
	// bytes; a file with no signature there has no archive.
	tail := model[max(0, len(model)-(1<<16+22)):]
	if !bytes.Contains(tail, []byte("PK\x05\x06")) {
		return nil, nil
	}
	zr, err := zip.NewReader(bytes.NewReader(model), int64(len(model)))
	if err != nil {
		// A flatbuffer can contain the signature by chance; only a
		// readable archive counts.
		return nil, nil
	}
	if len(zr.File) > lim.MaxFiles {
		return nil, fmt.Errorf("%w: associated-file zip holds %d files, more than %d", ErrInvalid, len(zr.File), lim.MaxFiles)
	}
	files := make(map[string][]byte, len(zr.File))
	var total int64
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if f.UncompressedSize64 > uint64(lim.MaxFileBytes) {
			return nil, fmt.Errorf("%w: associated file %q is %d bytes, over the %d-byte limit", ErrInvalid, f.Name, f.UncompressedSize64, lim.MaxFileBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: associated file %q: %v", ErrInvalid, f.Name, err)
		}
		// Read at most the declared size + 1: a size that lies is caught by
		// the zip reader's checks or by the limit.
		b, err := io.ReadAll(io.LimitReader(rc, lim.MaxFileBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: associated file %q: %v", ErrInvalid, f.Name, err)
		}
		if int64(len(b)) > lim.MaxFileBytes {
			return nil, fmt.Errorf("%w: associated file %q is over the %d-byte limit", ErrInvalid, f.Name, lim.MaxFileBytes)
		}
		if total += int64(len(b)); total > lim.MaxTotalBytes {
			return nil, fmt.Errorf("%w: associated files are over the %d-byte total limit", ErrInvalid, lim.MaxTotalBytes)
		}
		files[f.Name] = b
	}
	return files, nil
}

// MaxLabels bounds the labels ParseLabels returns.
const MaxLabels = 1 << 20

// ParseLabels splits a label file into one label per line (a final
// newline is optional; "\r\n" counts as "\n"; surrounding spaces are
// trimmed). A file that is not UTF-8 or holds more than MaxLabels lines is
// an error wrapping ErrInvalid.
func ParseLabels(b []byte) ([]string, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: label file is not UTF-8", ErrInvalid)
	}
	s := strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if s == "" {
		return nil, nil
	}
	if n := strings.Count(s, "\n") + 1; n > MaxLabels {
		return nil, fmt.Errorf("%w: label file has %d lines, more than %d", ErrInvalid, n, MaxLabels)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return lines, nil
}

// OutputLabels returns the labels of output i of the first subgraph: the
// first TENSOR_AXIS_LABELS file (for classifiers; else TENSOR_VALUE_LABELS,
// for detectors' class outputs) whose locale is locale or, when none
// matches, the first such file. It returns nil when the metadata names no
// label file or the archive lacks it.
func (m *Model) OutputLabels(i int, locale string) ([]string, FileType, error) {
	if m == nil || m.Metadata == nil || len(m.Metadata.Subgraphs) == 0 {
		return nil, FileUnknown, nil
	}
	outs := m.Metadata.Subgraphs[0].Outputs
	if i < 0 || i >= len(outs) {
		return nil, FileUnknown, nil
	}
	for _, typ := range []FileType{FileTensorAxisLabels, FileTensorValueLabels} {
		var pick *AssociatedFile
		for k := range outs[i].Files {
			f := &outs[i].Files[k]
			if f.Type != typ {
				continue
			}
			if pick == nil || (f.Locale == locale && pick.Locale != locale) {
				pick = f
			}
		}
		if pick == nil {
			continue
		}
		b, ok := m.Files[pick.Name]
		if !ok {
			return nil, typ, fmt.Errorf("%w: label file %q is named in the metadata but not in the model's zip", ErrInvalid, pick.Name)
		}
		labels, err := ParseLabels(b)
		return labels, typ, err
	}
	return nil, FileUnknown, nil
}

// Input returns the metadata of input i of the first subgraph, or nil.
func (m *Model) Input(i int) *TensorMetadata {
	if m == nil || m.Metadata == nil || len(m.Metadata.Subgraphs) == 0 {
		return nil
	}
	if ins := m.Metadata.Subgraphs[0].Inputs; i >= 0 && i < len(ins) {
		return &ins[i]
	}
	return nil
}

// Output returns the metadata of output i of the first subgraph, or nil.
func (m *Model) Output(i int) *TensorMetadata {
	if m == nil || m.Metadata == nil || len(m.Metadata.Subgraphs) == 0 {
		return nil
	}
	if outs := m.Metadata.Subgraphs[0].Outputs; i >= 0 && i < len(outs) {
		return &outs[i]
	}
	return nil
}
