package objstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// DecompressOptions configure NewDecompressReader.
type DecompressOptions struct {
	// Hint is a key, URL or file name whose extension (.zst, .zstd, .gz,
	// .gzip, .s2, .sz, .snappy) says which codec the bytes should carry;
	// bytes that lack that codec's magic are ErrCorrupt. Default: "" (no
	// expectation: magic bytes alone decide).
	Hint string
	// MaxDecodedBytes caps the decoded output; more is ErrTooLarge.
	// Default: 0 means DefaultMaxDecodedBytes.
	MaxDecodedBytes int64
	// MaxZstdWindow caps the zstd window (decoder memory); a frame asking
	// for more is ErrTooLarge. Default: 0 means DefaultMaxZstdWindow.
	MaxZstdWindow uint64
}

// Magic numbers of the detected formats.
var (
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicGzip  = []byte{0x1f, 0x8b}
	magicS2    = []byte("\xff\x06\x00\x00S2sTwO")
	magicSnapy = []byte("\xff\x06\x00\x00sNaPpY")
)

// sniffLen is how many leading bytes DetectCodec needs.
const sniffLen = 10

// DetectCodec returns the codec whose magic bytes start head, or CodecNone.
// Zstd skippable frames count as zstd.
func DetectCodec(head []byte) Codec {
	switch {
	case bytes.HasPrefix(head, magicZstd):
		return CodecZstd
	case len(head) >= 4 && head[0]&0xf0 == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18:
		return CodecZstd // skippable frame
	case bytes.HasPrefix(head, magicGzip):
		return CodecGzip
	case bytes.HasPrefix(head, magicS2), bytes.HasPrefix(head, magicSnapy):
		return CodecS2
	}
	return CodecNone
}

// CodecForName returns the codec a name's extension implies: .zst/.zstd →
// CodecZstd, .gz/.gzip → CodecGzip, .s2/.sz/.snappy → CodecS2, anything
// else CodecNone.
func CodecForName(name string) Codec {
	switch extOf(name) {
	case ".zst", ".zstd":
		return CodecZstd
	case ".gz", ".gzip":
		return CodecGzip
	case ".s2", ".sz", ".snappy":
		return CodecS2
	}
	return CodecNone
}

// NewDecompressReader returns a reader of r's decoded bytes when r starts
// with zstd, gzip (multi-member) or s2/snappy framed magic, and of r's bytes
// unchanged otherwise (empty input included). Output beyond
// MaxDecodedBytes is ErrTooLarge; malformed input is ErrCorrupt. Errors of
// r itself (ErrTruncated, context errors) come through wrapped. The caller
// must call Close, which releases the decoder but does not close r.
func NewDecompressReader(r io.Reader, opts DecompressOptions) (io.ReadCloser, error) {
	if opts.MaxDecodedBytes < 0 {
		return nil, fmt.Errorf("objstore: MaxDecodedBytes %d < 0", opts.MaxDecodedBytes)
	}
	if opts.MaxDecodedBytes == 0 {
		opts.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if opts.MaxZstdWindow == 0 {
		opts.MaxZstdWindow = DefaultMaxZstdWindow
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	codec := DetectCodec(head)
	want := CodecForName(opts.Hint)
	if len(head) > 0 && want != CodecNone && codec != want {
		return nil, fmt.Errorf("%w: name %q implies %v but the data starts % x", ErrCorrupt, opts.Hint, want, head)
	}
	d := &decodeReader{limit: opts.MaxDecodedBytes, codec: codec}
	switch codec {
	case CodecNone:
		d.r = br
	case CodecZstd:
		zr, err := zstd.NewReader(br,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(opts.MaxZstdWindow),
			zstd.WithDecoderMaxMemory(opts.MaxZstdWindow),
		)
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %w", ErrCorrupt, err)
		}
		d.r, d.close = zr, zr.Close
	case CodecGzip:
		gr, err := gzip.NewReader(br)
		if err != nil {
			return nil, d.mapErr(err)
		}
		d.r, d.close = gr, func() { gr.Close() }
	case CodecS2:
		d.r = s2.NewReader(br)
	}
	return d, nil
}

// decodeReader counts decoded bytes against the cap and maps decoder errors.
type decodeReader struct {
	r     io.Reader
	close func()
	codec Codec
	limit int64
	n     int64
	err   error
}

func (d *decodeReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if room := d.limit - d.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := d.r.Read(p)
	d.n += int64(n)
	if d.n > d.limit {
		n -= int(d.n - d.limit)
		d.err = fmt.Errorf("%w: decoded %v stream exceeds %d bytes", ErrTooLarge, d.codec, d.limit)
		return n, d.err
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			d.err = io.EOF
		} else {
			d.err = d.mapErr(err)
		}
	}
	return n, d.err
}

// mapErr turns decoder errors into the portable ones, keeping errors of the
// underlying stream as they are.
func (d *decodeReader) mapErr(err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, ErrTruncated), errors.Is(err, ErrUnavailable), errors.Is(err, ErrChanged),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrClosed):
		return err
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded),
		errors.Is(err, s2.ErrTooLarge):
		return fmt.Errorf("%w: %v: %w", ErrTooLarge, d.codec, err)
	case errors.As(err, &ce), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, gzip.ErrHeader),
		errors.Is(err, gzip.ErrChecksum), errors.Is(err, s2.ErrCorrupt), errors.Is(err, s2.ErrUnsupported):
		return fmt.Errorf("%w: %v: %w", ErrCorrupt, d.codec, err)
	}
	return fmt.Errorf("%w: %v: %w", ErrCorrupt, d.codec, err)
}

// Close releases the decoder; it does not close the underlying reader.
func (d *decodeReader) Close() error {
	if d.close != nil {
		d.close()
		d.close = nil
	}
	if d.err == nil {
		d.err = ErrClosed
	}
	return nil
}

// NewCompressWriter returns a writer that compresses into w with codec
// (CodecNone passes bytes through). Close flushes the final frame but does
// not close w. The caller must call Close.
func NewCompressWriter(w io.Writer, codec Codec) (io.WriteCloser, error) {
	return newCompressWriter(w, codec, &WriteOptions{})
}

// newCompressWriter is NewCompressWriter tuned by opts' FastCompression
// and CompressConcurrency.
func newCompressWriter(w io.Writer, codec Codec, opts *WriteOptions) (io.WriteCloser, error) {
	switch codec {
	case CodecNone:
		return nopWriteCloser{w}, nil
	case CodecZstd:
		level := zstd.SpeedDefault
		if opts.FastCompression {
			level = zstd.SpeedFastest
		}
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(min(max(opts.CompressConcurrency, 1), 64)), zstd.WithEncoderLevel(level))
	case CodecGzip:
		if opts.FastCompression {
			return gzip.NewWriterLevel(w, gzip.BestSpeed)
		}
		return gzip.NewWriter(w), nil
	case CodecS2:
		return s2.NewWriter(w), nil
	}
	return nil, fmt.Errorf("%w: codec %v", ErrUnsupported, codec)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
