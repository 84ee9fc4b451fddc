package batch

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrRecord marks a bad record: it is reported in the summary and the
	// output, and the object still succeeds.
	ErrRecord = errors.New("batch: bad record")
	// ErrStream marks a stream that cannot be decoded any further (corrupt
	// compression, a truncated or malformed .npy, a read error). The object
	// fails.
	ErrStream = errors.New("batch: corrupt input stream")
	// ErrFormat marks an input whose format cannot be decoded for the
	// model (unknown format, .npy dtype or shape that the model does not
	// take, CSV for a model with several inputs).
	ErrFormat = errors.New("batch: unsupported input format")
	// ErrDeadline means the pipeline stopped before the invocation deadline;
	// nothing was written and a retry restarts the object from the start.
	ErrDeadline = errors.New("batch: stopped before the deadline")
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("batch: invalid config")
)

// RecordError describes one bad record. It matches ErrRecord.
type RecordError struct {
	Index int    `json:"index"`          // 0-based ordinal of the record in the stream
	Line  int64  `json:"line,omitempty"` // 1-based line of NDJSON and CSV inputs; 0 for .npy
	Msg   string `json:"error"`          // what was wrong
}

// Error implements error.
func (e *RecordError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("batch: record %d (line %d): %s", e.Index, e.Line, e.Msg)
	}
	return fmt.Sprintf("batch: record %d: %s", e.Index, e.Msg)
}

// Is reports whether target is ErrRecord.
func (e *RecordError) Is(target error) bool { return target == ErrRecord }
