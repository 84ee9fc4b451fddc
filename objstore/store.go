package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Attributes describe one stored object.
type Attributes struct {
	// URL names the object. For List it is the listed prefix as given
	// followed by the rest of the key, so it can be passed back to Open.
	URL string
	// Key is the backend key (for files, the absolute slash path).
	Key string
	// Size is the stored size in bytes (before any decompression).
	Size int64
	// ETag identifies this version of the object; "" when the backend has
	// none. Files use a weak tag derived from size and modification time.
	ETag string
	// ModTime is the last modification time; zero when unknown.
	ModTime time.Time
	// ContentType is the stored media type; "" when unknown.
	ContentType string
	// ContentEncoding is the stored Content-Encoding; "" when none.
	ContentEncoding string
	// SHA256 is the lower-case hex SHA-256 of the stored bytes when the
	// backend knows it (memory always; S3 when written by a single PUT from
	// this package or with a full-object checksum); "" otherwise.
	SHA256 string
	// Metadata is the user metadata (S3 x-amz-meta-*); nil when none.
	Metadata map[string]string
}

// Store reads and writes objects named by URL. Create one with New; it is
// safe for concurrent use. The caller must call Close when done.
type Store struct {
	opts       Options
	client     *http.Client // never nil
	ownsClient bool
	file       *fileDriver
	http       *httpDriver

	mu     sync.Mutex
	closed bool                  // guarded by mu
	mem    map[string]*memBucket // guarded by mu
	s3     *s3Backend            // guarded by mu; nil until first s3:// use
}

// New returns a Store configured by opts (see Options for the defaults).
// It makes no network call: S3 configuration is loaded on first use of an
// s3:// URL.
func New(opts Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{opts: o, mem: map[string]*memBucket{}}
	s.client = o.HTTPClient
	if s.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 4 * o.Concurrency
		tr.ResponseHeaderTimeout = o.AttemptTimeout
		// Let the body through undecoded: objstore decompresses by magic
		// bytes itself, and Content-Length must match the bytes read.
		tr.DisableCompression = true
		s.client = &http.Client{Transport: tr}
		s.ownsClient = true
	}
	s.file = &fileDriver{}
	s.http = &httpDriver{client: s.client}
	return s, nil
}

// Options returns the Store's options with defaults filled in.
func (s *Store) Options() Options { return s.opts }

// Close releases idle connections. Calls after Close fail with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.ownsClient {
		s.client.CloseIdleConnections()
	}
	return nil
}

// resolve parses raw and returns the driver that serves it.
func (s *Store) resolve(ctx context.Context, raw string, needKey bool) (driver, location, error) {
	loc, err := parseURL(raw, needKey)
	if err != nil {
		return nil, loc, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, loc, ErrClosed
	}
	switch loc.scheme {
	case "file":
		return s.file, loc, nil
	case "http", "https":
		return s.http, loc, nil
	case "mem":
		b := s.mem[loc.bucket]
		if b == nil {
			b = newMemBucket()
			s.mem[loc.bucket] = b
		}
		return b, loc, nil
	case "s3":
		if s.s3 == nil {
			b, err := newS3Backend(ctx, s.opts, s.client)
			if err != nil {
				return nil, loc, err
			}
			s.s3 = b
		}
		return s.s3.bucket(loc.bucket), loc, nil
	}
	return nil, loc, fmt.Errorf("%w: scheme %q", ErrUnsupported, loc.scheme)
}

// Open opens the object at url for streaming. Large remote objects are read
// with parallel ranged GETs (Options.Concurrency × Options.PartSize in
// flight); interrupted bodies are resumed from the offset reached. A missing
// object is ErrNotFound. The caller must call Close.
func (s *Store) Open(ctx context.Context, url string, opts *ReadOptions) (*Reader, error) {
	return s.OpenRange(ctx, url, 0, -1, opts)
}

// OpenRange opens n bytes of the object at url starting at off (n < 0: to
// the end; a range past the end is cut at the end). off beyond the size is
// ErrInvalidRange. With opts.Decompress the range's bytes are decoded, which
// is only meaningful when off is the start of a frame. The caller must call
// Close.
func (s *Store) OpenRange(ctx context.Context, url string, off, n int64, opts *ReadOptions) (*Reader, error) {
	if opts == nil {
		opts = &ReadOptions{}
	}
	if off < 0 {
		return nil, fmt.Errorf("%w: offset %d < 0 for %q", ErrInvalidRange, off, url)
	}
	d, loc, err := s.resolve(ctx, url, true)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		a, err := s.stat(ctx, d, loc)
		if err != nil {
			return nil, err
		}
		if off > a.Size {
			return nil, fmt.Errorf("%w: offset %d beyond size %d of %q", ErrInvalidRange, off, a.Size, url)
		}
		return &Reader{src: emptyBody{}, attrs: a}, nil
	}
	body, attrs, err := s.openBody(ctx, d, loc, off, n, opts.IfMatch)
	if err != nil {
		return nil, err
	}
	attrs.URL = url
	r := &Reader{src: body, attrs: attrs, raw: body}
	if opts.Decompress {
		limit := opts.MaxDecodedBytes
		if limit <= 0 {
			limit = s.opts.MaxDecodedBytes
		}
		dr, err := NewDecompressReader(body, DecompressOptions{
			Hint:            loc.key,
			MaxDecodedBytes: limit,
			MaxZstdWindow:   s.opts.MaxZstdWindow,
		})
		if err != nil {
			body.Close()
			return nil, fmt.Errorf("open %q: %w", url, err)
		}
		r.src, r.dec = dr, dr
	}
	return r, nil
}

// ReadAll reads the whole object at url into memory, failing with
// ErrTooLarge when it (or its decoded form) exceeds limit bytes. An object
// whose stored size is over limit is refused as soon as it is opened,
// before any of its bytes is read; a decoded stream (opts.Decompress) is
// decoded no further than limit bytes. Memory: an object read as stored
// with a known size takes one buffer of that size; otherwise the bytes are
// read in chunks joined once at the end, so the peak is about twice the
// result, and about limit for a stream refused as too large.
func (s *Store) ReadAll(ctx context.Context, url string, limit int64, opts *ReadOptions) ([]byte, Attributes, error) {
	if limit < 0 {
		return nil, Attributes{}, fmt.Errorf("objstore: ReadAll limit %d < 0", limit)
	}
	decode := opts != nil && opts.Decompress
	if decode && (opts.MaxDecodedBytes <= 0 || opts.MaxDecodedBytes > limit) {
		o := *opts
		o.MaxDecodedBytes = max(limit, 1) // 0 would mean the Store's default
		opts = &o
	}
	r, err := s.Open(ctx, url, opts)
	if err != nil {
		return nil, Attributes{}, err
	}
	defer r.Close()
	a := r.Attributes()
	if a.Size > limit {
		return nil, a, fmt.Errorf("%w: %q is %d bytes, more than %d", ErrTooLarge, url, a.Size, limit)
	}
	tooLarge := func() error { return fmt.Errorf("%w: %q is larger than %d bytes", ErrTooLarge, url, limit) }
	if !decode && a.Size >= 0 {
		// One buffer of the announced size, and one byte more to see
		// whether the body keeps going.
		buf := make([]byte, a.Size+1)
		n, eof, err := fill(r, buf)
		switch {
		case err != nil:
			return nil, a, err
		case eof:
			return buf[:n:n], a, nil
		}
		// The body is longer than announced: read on in chunks.
		data, err := readChunks(r, buf, limit, tooLarge)
		return data, a, err
	}
	data, err := readChunks(r, nil, limit, tooLarge)
	return data, a, err
}

// fill reads from r until buf is full or r ends (eof); an error other than
// io.EOF is returned as is.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// readChunks reads r to its end after the bytes of first, in chunks of
// growing size, and returns all of them in one slice: no buffer is ever
// copied into a larger one but the final, exact one.
func readChunks(r io.Reader, first []byte, limit int64, tooLarge func() error) ([]byte, error) {
	const minChunk, maxChunk = 32 << 10, 4 << 20
	chunks := [][]byte{}
	total := int64(len(first))
	if len(first) > 0 {
		chunks = append(chunks, first)
	}
	size := minChunk
	for {
		if total > limit {
			return nil, tooLarge()
		}
		c := make([]byte, int(min(int64(size), limit-total+1)))
		n, eof, err := fill(r, c)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			chunks = append(chunks, c[:n])
			total += int64(n)
		}
		if eof {
			break
		}
		size = min(size*2, maxChunk)
	}
	if total > limit {
		return nil, tooLarge()
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

// Stat returns the attributes of the object at url; a missing object is
// ErrNotFound.
func (s *Store) Stat(ctx context.Context, url string) (Attributes, error) {
	d, loc, err := s.resolve(ctx, url, true)
	if err != nil {
		return Attributes{}, err
	}
	a, err := s.stat(ctx, d, loc)
	a.URL = url
	return a, err
}

func (s *Store) stat(ctx context.Context, d driver, loc location) (Attributes, error) {
	var a Attributes
	err := s.retry(ctx, func(ctx context.Context) error {
		var err error
		a, err = d.attributes(ctx, loc.key)
		return err
	})
	if err != nil {
		return Attributes{}, fmt.Errorf("stat %q: %w", loc.raw, err)
	}
	return a, nil
}

// List returns the objects whose URL starts with prefix, sorted by key. For
// files the prefix is a path prefix ("models/" lists everything under
// models; "models/a" also matches "models/ab/x"). More than
// Options.MaxListKeys objects is ErrLimit. http(s) cannot list
// (ErrUnsupported).
func (s *Store) List(ctx context.Context, prefix string) ([]Attributes, error) {
	d, loc, err := s.resolve(ctx, prefix, false)
	if err != nil {
		return nil, err
	}
	var out []Attributes
	err = s.retry(ctx, func(ctx context.Context) error {
		out = out[:0]
		return d.list(ctx, loc.key, func(a Attributes) error {
			if len(out) >= s.opts.MaxListKeys {
				return fmt.Errorf("%w: more than %d keys under %q", ErrLimit, s.opts.MaxListKeys, prefix)
			}
			a.URL = prefix + strings.TrimPrefix(a.Key, loc.key)
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object at url; a missing object is ErrNotFound.
func (s *Store) Delete(ctx context.Context, url string) error {
	d, loc, err := s.resolve(ctx, url, true)
	if err != nil {
		return err
	}
	err = s.retry(ctx, func(ctx context.Context) error { return d.delete(ctx, loc.key) })
	if err != nil {
		return fmt.Errorf("delete %q: %w", url, err)
	}
	return nil
}

// Create starts writing the object at url. Nothing is visible until Close
// returns nil; cancelling ctx before then aborts the write and leaves any
// previous object unchanged. Large streams go to S3 as a multipart upload
// (Options.PartSize parts, Options.Concurrency in flight). Bytes are
// compressed per opts.Compression (by default by the key's extension).
// The caller must call Close.
func (s *Store) Create(ctx context.Context, url string, opts *WriteOptions) (*Writer, error) {
	if opts == nil {
		opts = &WriteOptions{}
	}
	d, loc, err := s.resolve(ctx, url, true)
	if err != nil {
		return nil, err
	}
	codec := opts.Compression
	if codec == CodecAuto {
		codec = CodecForName(loc.key)
	}
	dw, err := d.newWriter(ctx, loc.key, opts)
	if err != nil {
		return nil, fmt.Errorf("create %q: %w", url, err)
	}
	w := &Writer{ctx: ctx, url: url, dw: dw, dst: dw}
	if codec != CodecNone {
		cw, err := newCompressWriter(dw, codec, opts)
		if err != nil {
			dw.abort()
			return nil, fmt.Errorf("create %q: %w", url, err)
		}
		w.dst = cw
		w.comp = cw
	}
	if ctx.Done() != nil {
		w.stop = context.AfterFunc(ctx, func() { w.abortAsync() })
	}
	return w, nil
}

// Reader is a stream over one object (or a range of it), decompressed when
// asked. Reads are not safe for concurrent use. The caller must call Close.
type Reader struct {
	src    io.Reader
	raw    io.Closer // the body under any decoder; nil for empty readers
	dec    io.Closer // the decoder; nil when not decompressing
	attrs  Attributes
	closed bool
}

// Read reads decoded bytes. A body cut short is never a clean io.EOF: it is
// resumed or reported as ErrTruncated.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	return r.src.Read(p)
}

// Attributes returns the object's attributes as of the open (Size is the
// stored size, not the decoded size nor the range length).
func (r *Reader) Attributes() Attributes { return r.attrs }

// Close releases the body and any decoder.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.dec != nil {
		err = r.dec.Close()
	}
	if r.raw != nil {
		if e := r.raw.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Writer streams an object to the store; nothing is visible until Close
// returns nil. Not safe for concurrent use. The caller must call Close.
type Writer struct {
	ctx  context.Context
	url  string
	dw   driverWriter
	dst  io.Writer      // dw, or comp over dw
	comp io.WriteCloser // compressor, or nil
	stop func() bool    // stops the ctx watcher; nil without one

	mu      sync.Mutex
	err     error // sticky; guarded by mu
	done    bool  // guarded by mu
	aborted bool  // guarded by mu
}

// Write writes p (compressed when the Writer compresses).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.done || w.aborted {
		err := w.err
		w.mu.Unlock()
		if err == nil {
			err = ErrClosed
		}
		return 0, err
	}
	w.mu.Unlock()
	n, err := w.dst.Write(p)
	if err != nil {
		w.fail(err)
		return n, fmt.Errorf("write %q: %w", w.url, err)
	}
	return n, nil
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// abortAsync runs when the Create ctx is cancelled before Close.
func (w *Writer) abortAsync() {
	w.mu.Lock()
	if w.done || w.aborted {
		w.mu.Unlock()
		return
	}
	w.aborted = true
	if w.err == nil {
		w.err = context.Canceled
	}
	w.mu.Unlock()
	w.dw.abort()
}

// Close flushes, commits the object and reports the first error of the
// whole write. After a non-nil error nothing was committed.
func (w *Writer) Close() error {
	if w.stop != nil {
		w.stop()
	}
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return nil
	}
	w.done = true
	err, aborted := w.err, w.aborted
	w.mu.Unlock()
	if !aborted && w.ctx.Err() != nil {
		// Cancelled, but the watcher has not run yet.
		w.dw.abort()
		return fmt.Errorf("write %q aborted: %w", w.url, w.ctx.Err())
	}
	if aborted {
		return fmt.Errorf("write %q aborted: %w", w.url, err)
	}
	if err == nil && w.comp != nil {
		err = w.comp.Close()
	}
	if err != nil {
		w.dw.abort()
		return fmt.Errorf("write %q: %w", w.url, err)
	}
	if err := w.dw.Close(); err != nil {
		return fmt.Errorf("write %q: %w", w.url, err)
	}
	return nil
}

// emptyBody is a zero-length body.
type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
