package objstore

import "errors"

// Portable errors. Every driver maps its provider's failures onto these, so a
// caller branches with errors.Is and never imports a provider SDK. The
// returned errors wrap the sentinel together with the URL and the cause.
var (
	// ErrNotFound means the object (or bucket) does not exist.
	ErrNotFound = errors.New("objstore: object not found")
	// ErrPermission means the credentials were refused or lack access.
	ErrPermission = errors.New("objstore: permission denied")
	// ErrInvalidURL means the URL could not be parsed or names no object.
	ErrInvalidURL = errors.New("objstore: invalid URL")
	// ErrUnsupported means the scheme is unknown or the backend cannot do
	// the operation (for example writing to http://).
	ErrUnsupported = errors.New("objstore: unsupported")
	// ErrInvalidRange means a range read started beyond the object's end
	// or had a negative offset.
	ErrInvalidRange = errors.New("objstore: invalid range")
	// ErrTooLarge means a byte cap was exceeded: decoded bytes of a
	// compressed stream, a zstd window, or an object size limit. Caps
	// protect against decompression bombs; crossing one is never silent.
	ErrTooLarge = errors.New("objstore: size limit exceeded")
	// ErrLimit means a count limit was exceeded (for example the number of
	// keys a List may return).
	ErrLimit = errors.New("objstore: limit exceeded")
	// ErrTruncated means a body ended before its announced length and the
	// retries could not complete it. A truncated read is never reported as
	// a clean io.EOF.
	ErrTruncated = errors.New("objstore: truncated body")
	// ErrCorrupt means compressed data could not be decoded, or the data
	// did not match its declared codec or checksum.
	ErrCorrupt = errors.New("objstore: corrupt data")
	// ErrChanged means the object was replaced while it was being read in
	// several requests (its ETag changed between them).
	ErrChanged = errors.New("objstore: object changed during read")
	// ErrUnavailable means the backend kept failing with transient errors
	// (throttling, 5xx, connection resets, timeouts) until the retry budget
	// or the context ran out.
	ErrUnavailable = errors.New("objstore: backend unavailable")
	// ErrClosed means the Reader, Writer or Store was already closed.
	ErrClosed = errors.New("objstore: closed")
)
