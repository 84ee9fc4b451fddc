package serving

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ZstdMaxWindow is the largest zstd window a request body may use: the
// decoder keeps that much history, so it is charged to the memory budget
// for every zstd body. 8 MiB is the window every zstd decoder must
// support (RFC 8878); the command-line zstd uses at most that below
// level 20.
const ZstdMaxWindow = 8 << 20

// gzipState is what a gzip decoder holds (its 32 KiB window, Huffman
// tables and buffers), charged to the memory budget for every gzip body.
const gzipState = 64 << 10

// firstChunk is the largest announced body that is read straight into a
// buffer of its announced length; longer ones are read in chunks as they
// arrive, never sized from a declared Content-Length.
const firstChunk = 32 << 10

// checkContentLength refuses at once a body whose declared length is over
// MaxBodyBytes, before anything is read or admitted.
func (s *Server) checkContentLength(r *http.Request) error {
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return &LimitError{Limit: "MaxBodyBytes", Max: s.cfg.MaxBodyBytes}
	}
	return nil
}

// readBody reads the request body under MaxBodyBytes, undoes gzip or zstd
// Content-Encoding under MaxDecodedBytes as the bytes stream in, and
// returns the decoded bytes. Every buffer (and decoder state) is charged
// to ch before it is allocated; the caller releases ch when the request
// ends. w must be the ResponseWriter net/http gave the handler (or one
// that unwraps to it), so that an oversized body closes the connection.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, ch *charge) ([]byte, error) {
	if err := s.checkContentLength(r); err != nil {
		return nil, err
	}
	body := http.MaxBytesReader(unwrapWriter(w), r.Body, s.cfg.MaxBodyBytes)
	var src io.Reader = body
	limit, hint := min(s.cfg.MaxBodyBytes, s.cfg.MaxDecodedBytes), r.ContentLength
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		if err := ch.add(gzipState); err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, s.bodyError(err, "gzip")
		}
		defer zr.Close()
		src, limit, hint = zr, s.cfg.MaxDecodedBytes, -1
	case "zstd":
		if err := ch.add(ZstdMaxWindow + gzipState); err != nil {
			return nil, err
		}
		zr, err := zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(uint64(s.cfg.MaxDecodedBytes)), zstd.WithDecoderMaxWindow(ZstdMaxWindow))
		if err != nil {
			return nil, s.bodyError(err, "zstd")
		}
		defer zr.Close()
		src, limit, hint = zr, s.cfg.MaxDecodedBytes, -1
	default:
		return nil, fmt.Errorf("%w: Content-Encoding %q is not supported (use gzip or zstd)", ErrInvalid, clip(enc))
	}
	b, err := readCharged(src, limit, hint, ch, &s.chunks)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			if src == io.Reader(body) {
				le.Limit, le.Max = "MaxBodyBytes", s.cfg.MaxBodyBytes
			}
			return nil, err
		}
		if errors.Is(err, ErrOverloaded) || errors.Is(err, ErrLimit) {
			return nil, err
		}
		return nil, s.bodyError(err, "body")
	}
	return b, nil
}

// bodyChunk is the size of the pooled buffers a body is read into
// before it is known whole.
const bodyChunk = 256 << 10

// chunkPool recycles body chunks, so that reading a large body leaves
// little garbage behind. It keeps at most maxFreeChunks (4 MiB): what it
// holds is outside the memory budget, so it must stay small. Safe for
// concurrent use; one per Server (no package state).
type chunkPool struct {
	mu   sync.Mutex
	free []*[bodyChunk]byte // guarded by mu
}

// maxFreeChunks bounds the chunks a chunkPool keeps.
const maxFreeChunks = 16

func (c *chunkPool) get() *[bodyChunk]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free = c.free[:n-1]
		return b
	}
	return new([bodyChunk]byte)
}

func (c *chunkPool) put(b *[bodyChunk]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.free) < maxFreeChunks {
		c.free = append(c.free, b)
	}
}

// readCharged reads src to the end and returns its bytes in one buffer of
// exactly their length. A body announced (hint >= 0) as short is read
// straight into its buffer; any other is read into pooled chunks as the
// bytes arrive, then copied into its buffer once its length is known, so
// that nothing is ever sized from what a client claims and no doubling
// leaves garbage behind. Every chunk and the buffer are charged to ch
// before they are taken. More than limit bytes is a LimitError on
// MaxDecodedBytes.
func readCharged(src io.Reader, limit, hint int64, ch *charge, pool *chunkPool) ([]byte, error) {
	if hint >= 0 && hint < firstChunk && hint <= limit {
		if err := ch.add(hint + 1); err != nil {
			return nil, err
		}
		buf := make([]byte, hint+1) // room to see the end
		n, err := io.ReadFull(src, buf)
		switch {
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			ch.sub(int64(len(buf) - n))
			return buf[:n:n], nil
		case err != nil:
			return nil, err
		}
		// Longer than announced: go on in chunks.
		return readChunks(io.MultiReader(bytes.NewReader(buf), src), limit, ch, pool)
	}
	return readChunks(src, limit, ch, pool)
}

func readChunks(src io.Reader, limit int64, ch *charge, pool *chunkPool) ([]byte, error) {
	var chunks []*[bodyChunk]byte
	defer func() {
		for _, c := range chunks {
			pool.put(c)
			ch.sub(bodyChunk)
		}
	}()
	var total int64
	last := bodyChunk // bytes used in the last chunk
	for {
		if last == bodyChunk {
			if total > limit {
				return nil, &LimitError{Limit: "MaxDecodedBytes", Max: limit}
			}
			if err := ch.add(bodyChunk); err != nil {
				return nil, err
			}
			chunks, last = append(chunks, pool.get()), 0
		}
		n, err := src.Read(chunks[len(chunks)-1][last:])
		last += n
		total += int64(n)
		if total > limit {
			return nil, &LimitError{Limit: "MaxDecodedBytes", Max: limit}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if err := ch.add(total); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, total)
	for i, c := range chunks {
		if i == len(chunks)-1 {
			buf = append(buf, c[:last]...)
		} else {
			buf = append(buf, c[:]...)
		}
	}
	return buf, nil
}

// bodyError maps an error of reading or decoding the body; the client sees
// a stable message, the log the cause.
func (s *Server) bodyError(err error, what string) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &LimitError{Limit: "MaxBodyBytes", Max: s.cfg.MaxBodyBytes}
	case errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return &LimitError{Limit: "MaxDecodedBytes", Max: s.cfg.MaxDecodedBytes}
	case errors.Is(err, zstd.ErrWindowSizeExceeded):
		return hide(err, ErrInvalid, fmt.Sprintf("zstd window over %d bytes", ZstdMaxWindow))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return hide(err, ErrInvalid, "the request body did not arrive in time")
	case errors.Is(err, io.ErrUnexpectedEOF) && what == "body":
		return hide(err, ErrInvalid, "the request body ended early")
	case what == "body":
		return hide(err, ErrInvalid, "reading the request body failed")
	}
	return hide(err, ErrInvalid, "the "+what+" body is corrupt")
}

// unwrapWriter returns the ResponseWriter net/http created under any
// respWriter wrapping.
func unwrapWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}
