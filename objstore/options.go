package objstore

import (
	"fmt"
	"net/http"
	"time"
)

// Options configure a Store. The zero value is valid: every field left zero
// takes the default stated in its comment. Options are copied by New.
type Options struct {
	// S3Endpoint overrides the S3 endpoint, for example
	// "http://127.0.0.1:7070" for a local S3-compatible server.
	// Default: "" (the AWS endpoint for the region, or AWS_ENDPOINT_URL_S3 /
	// AWS_ENDPOINT_URL from the environment).
	S3Endpoint string
	// S3PathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key. Most S3-compatible servers need it.
	// Default: false.
	S3PathStyle bool
	// S3Region is the signing region. Default: "" (from the AWS config
	// files and AWS_REGION; "us-east-1" when none is set).
	S3Region string
	// S3AccessKeyID and S3SecretAccessKey give static credentials.
	// Default: "" (the AWS default chain: environment, shared files, IMDS).
	S3AccessKeyID string
	// S3SecretAccessKey is the secret that goes with S3AccessKeyID.
	S3SecretAccessKey string

	// HTTPClient is used for http(s):// and S3 requests.
	// Default: nil (a client with a tuned transport owned by the Store).
	HTTPClient *http.Client

	// MaxAttempts is the number of tries of one request, the first
	// included, before a transient failure is returned as ErrUnavailable
	// (or ErrTruncated). Default: 5. Set 1 to disable retries.
	MaxAttempts int
	// RetryBaseDelay is the first backoff delay; each retry doubles it up
	// to RetryMaxDelay, with full jitter. Default: 50ms.
	RetryBaseDelay time.Duration
	// RetryMaxDelay caps one backoff delay. Default: 2s.
	RetryMaxDelay time.Duration
	// AttemptTimeout bounds one attempt up to its response headers (and
	// the whole of a part fetch in parallel reads). The total time is
	// bounded by the caller's ctx. Default: 30s.
	AttemptTimeout time.Duration
	// ReadIdleTimeout cancels and retries (from the offset reached) a body
	// read that makes no progress for this long. Default: 30s.
	ReadIdleTimeout time.Duration

	// PartSize is the size of one ranged GET in parallel reads and of one
	// part of a multipart upload. Default: 8 MiB. Minimum 5 MiB when
	// writing to S3 (S3's own minimum part size).
	PartSize int64
	// Concurrency is the number of parts in flight: parallel ranged GETs
	// of one reader and concurrent part uploads of one writer. Memory per
	// stream is bounded by about Concurrency × PartSize. Default: 4. Set 1
	// for a plain single streaming GET.
	Concurrency int

	// MaxDecodedBytes caps the bytes produced by transparent decompression
	// of one stream; crossing it is ErrTooLarge. Default: 4 GiB.
	MaxDecodedBytes int64
	// MaxZstdWindow caps the window size a zstd frame may ask for (and so
	// the decoder's memory); a larger window is ErrTooLarge.
	// Default: 64 MiB.
	MaxZstdWindow uint64
	// MaxListKeys caps the number of objects one List returns; more is
	// ErrLimit. Default: 100000.
	MaxListKeys int
}

// Defaults, as stated on the Options fields.
const (
	DefaultMaxAttempts     = 5
	DefaultRetryBaseDelay  = 50 * time.Millisecond
	DefaultRetryMaxDelay   = 2 * time.Second
	DefaultAttemptTimeout  = 30 * time.Second
	DefaultReadIdleTimeout = 30 * time.Second
	DefaultPartSize        = 8 << 20
	DefaultConcurrency     = 4
	DefaultMaxDecodedBytes = 4 << 30
	DefaultMaxZstdWindow   = 64 << 20
	DefaultMaxListKeys     = 100000
	// MinS3PartSize is S3's minimum size of a multipart part (all but the
	// last).
	MinS3PartSize = 5 << 20
)

// withDefaults validates o and fills zero fields with their defaults.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.MaxAttempts < 0:
		return o, fmt.Errorf("objstore: MaxAttempts %d < 0", o.MaxAttempts)
	case o.RetryBaseDelay < 0, o.RetryMaxDelay < 0, o.AttemptTimeout < 0, o.ReadIdleTimeout < 0:
		return o, fmt.Errorf("objstore: negative duration in Options")
	case o.PartSize < 0:
		return o, fmt.Errorf("objstore: PartSize %d < 0", o.PartSize)
	case o.Concurrency < 0:
		return o, fmt.Errorf("objstore: Concurrency %d < 0", o.Concurrency)
	case o.MaxDecodedBytes < 0:
		return o, fmt.Errorf("objstore: MaxDecodedBytes %d < 0", o.MaxDecodedBytes)
	case o.MaxListKeys < 0:
		return o, fmt.Errorf("objstore: MaxListKeys %d < 0", o.MaxListKeys)
	case (o.S3AccessKeyID == "") != (o.S3SecretAccessKey == ""):
		return o, fmt.Errorf("objstore: S3AccessKeyID and S3SecretAccessKey must be set together")
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryBaseDelay == 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.RetryMaxDelay == 0 {
		o.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.ReadIdleTimeout == 0 {
		o.ReadIdleTimeout = DefaultReadIdleTimeout
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxDecodedBytes == 0 {
		o.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if o.MaxZstdWindow == 0 {
		o.MaxZstdWindow = DefaultMaxZstdWindow
	}
	if o.MaxListKeys == 0 {
		o.MaxListKeys = DefaultMaxListKeys
	}
	return o, nil
}

// ReadOptions tune one Open or OpenRange. A nil *ReadOptions means the zero
// value.
type ReadOptions struct {
	// Decompress decodes the stream when its first bytes are a zstd, gzip
	// or s2/snappy frame (the key's extension is a hint: a .zst/.gz/.s2/.sz
	// key whose bytes are not that codec is ErrCorrupt). Data with no known
	// magic passes through unchanged. Default: false (raw bytes).
	Decompress bool
	// MaxDecodedBytes overrides Options.MaxDecodedBytes for this stream.
	// Default: 0 (the Store's value).
	MaxDecodedBytes int64
	// IfMatch makes the read fail with ErrChanged unless the object's ETag
	// equals it. Default: "" (any version).
	IfMatch string
}

// Codec names a compression format.
type Codec int

// Codecs. CodecAuto picks by the key's extension on write.
const (
	// CodecAuto chooses from the key's extension: .zst → zstd, .gz →
	// gzip, .s2/.sz → s2 (snappy-compatible framing), anything else none.
	CodecAuto Codec = iota
	// CodecNone stores bytes as written.
	CodecNone
	// CodecZstd is Zstandard.
	CodecZstd
	// CodecGzip is gzip (RFC 1952).
	CodecGzip
	// CodecS2 is the S2 stream format, readable by snappy framed readers
	// when written in snappy-compatible mode.
	CodecS2
)

// String returns the codec's name.
func (c Codec) String() string {
	switch c {
	case CodecAuto:
		return "auto"
	case CodecNone:
		return "none"
	case CodecZstd:
		return "zstd"
	case CodecGzip:
		return "gzip"
	case CodecS2:
		return "s2"
	}
	return fmt.Sprintf("Codec(%d)", int(c))
}

// WriteOptions tune one Create. A nil *WriteOptions means the zero value.
type WriteOptions struct {
	// Compression compresses the written bytes. Default: CodecAuto (by the
	// key's extension; no compression for other keys).
	Compression Codec
	// ContentType is stored with the object. Default: "" (backend's
	// default, application/octet-stream on S3).
	ContentType string
	// ContentEncoding is stored with the object as is (objstore never
	// sets it from Compression: the bytes carry their own magic).
	// Default: "".
	ContentEncoding string
	// Metadata is stored with the object where the backend supports it
	// (S3 user metadata). Default: nil.
	Metadata map[string]string
	// FastCompression trades ratio for speed: zstd's fastest level, gzip's
	// BestSpeed (s2 is always fast). Default: false (zstd's and gzip's
	// default levels).
	FastCompression bool
	// CompressConcurrency is how many goroutines may compress zstd blocks
	// at once: above 1, a block is compressed while the caller writes the
	// next, and the bytes are the same as with 1. Default: 1 (compression
	// runs in Write).
	CompressConcurrency int
}
