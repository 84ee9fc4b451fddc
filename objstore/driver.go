package objstore

import (
	"context"
	"io"
)

// driver is the narrow interface every backend implements. The Store adds
// URL parsing, retries, resumption, parallel reads and compression on top,
// so a driver does one request per call and maps its errors to the portable
// sentinels (wrapping transient failures with transient()).
type driver interface {
	// newRangeReader opens bytes [off, off+n) of key (n < 0: to the end).
	// off > size is ErrInvalidRange; off == size yields an empty reader. A
	// non-empty ifMatch that differs from the object's ETag is ErrChanged.
	// The caller must call Close.
	newRangeReader(ctx context.Context, key string, off, n int64, ifMatch string) (driverReader, error)
	// attributes returns the object's attributes (Key set, URL not).
	attributes(ctx context.Context, key string) (Attributes, error)
	// list calls fn for every object whose key starts with prefix, in
	// lexical key order, stopping at fn's first error.
	list(ctx context.Context, prefix string, fn func(Attributes) error) error
	// newWriter starts writing key; nothing is visible until Close
	// returns nil. The caller must call Close or abort.
	newWriter(ctx context.Context, key string, opts *WriteOptions) (driverWriter, error)
	// delete removes key; a missing key is ErrNotFound.
	delete(ctx context.Context, key string) error
	// remote reports whether reads cross a network, so that parallel
	// ranged reads pay off.
	remote() bool
}

// driverReader is one response body.
type driverReader interface {
	io.ReadCloser
	// attrs describes the whole object (Size is the object's size, not
	// the range's).
	attrs() Attributes
	// length is the number of bytes this body must yield before io.EOF.
	length() int64
}

// driverWriter is one upload in progress.
type driverWriter interface {
	io.Writer
	// Close commits the object. After an error nothing was committed.
	Close() error
	// abort discards everything written; the object is left unchanged.
	abort()
}

// transientError marks a failure worth retrying (throttling, 5xx,
// connection reset, attempt timeout).
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// transient wraps err as retryable; nil stays nil.
func transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}
