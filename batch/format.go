package batch

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Format is an input record format.
type Format int

// Formats. FormatAuto picks one with DetectFormat.
const (
	FormatAuto Format = iota
	// FormatNDJSON is one JSON document per line: a V2 inference request
	// ({"inputs": [...]}), a TF Serving request ({"instances": [...]}) or
	// one TF Serving row (an array or number for a one-input model, an
	// object of input name to value otherwise).
	FormatNDJSON
	// FormatCSV is one record per line of comma-separated numbers, all the
	// elements of the model's single input in row-major order. A first line
	// that is not all numbers is a header and is skipped.
	FormatCSV
	// FormatNpy is a .npy array whose leading dimension indexes records.
	FormatNpy
)

// String returns the format's name.
func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatNDJSON:
		return "ndjson"
	case FormatCSV:
		return "csv"
	case FormatNpy:
		return "npy"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat parses a format name as returned by String; "" is FormatAuto.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case "ndjson", "jsonl", "json":
		return FormatNDJSON, nil
	case "csv":
		return FormatCSV, nil
	case "npy":
		return FormatNpy, nil
	}
	return FormatAuto, fmt.Errorf("%w: unknown format %q", ErrFormat, s)
}

// compressionExts are the extensions objstore decompresses transparently.
var compressionExts = []string{".zst", ".zstd", ".gz", ".gzip", ".s2", ".sz", ".snappy"}

// DetectFormat returns the format of an input named name (a key or URL)
// whose first decoded bytes are head. The extension decides when it is known
// (a compression extension is looked through: x.csv.zst is CSV); otherwise
// .npy magic means FormatNpy, a first non-space byte of '{' or '[' means
// FormatNDJSON, and anything else FormatCSV.
func DetectFormat(name string, head []byte) Format {
	base := strings.ToLower(path.Base(name))
	for _, ext := range compressionExts {
		if strings.HasSuffix(base, ext) {
			base = strings.TrimSuffix(base, ext)
			break
		}
	}
	switch path.Ext(base) {
	case ".ndjson", ".jsonl", ".json":
		return FormatNDJSON
	case ".csv":
		return FormatCSV
	case ".npy":
		return FormatNpy
	}
	if bytes.HasPrefix(head, []byte("\x93NUMPY")) {
		return FormatNpy
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return FormatNDJSON
	}
	return FormatCSV
}
