package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// openBody opens [off, off+n) of loc and returns a body that resumes or
// reports truncation, reading in parallel parts when that pays off.
func (s *Store) openBody(ctx context.Context, d driver, loc location, off, n int64, ifMatch string) (io.ReadCloser, Attributes, error) {
	parallel := d.remote() && s.opts.Concurrency > 1
	first := n
	if parallel && (n < 0 || n > s.opts.PartSize) {
		first = s.opts.PartSize
	}
	var body driverReader
	err := s.retry(ctx, func(actx context.Context) error {
		b, err := openWithTimer(ctx, actx, d, loc.key, off, first, ifMatch)
		body = b
		return err
	})
	if err != nil {
		return nil, Attributes{}, fmt.Errorf("open %q: %w", loc.raw, err)
	}
	attrs := body.attrs()
	end := off + body.length()
	if body.length() < 0 {
		end = -1
	}
	want := attrs.Size
	if n >= 0 && off+n < want {
		want = off + n
	}
	etag := ifMatch
	if etag == "" {
		etag = attrs.ETag
	}
	if parallel && end >= 0 && want > end {
		return newParallelReader(ctx, s, d, loc, body, off, want, etag), attrs, nil
	}
	return &resumableReader{s: s, ctx: ctx, d: d, loc: loc, body: body, pos: off, end: end, etag: etag, remote: d.remote()}, attrs, nil
}

// bodyCtx is a body whose request ctx is cancelled on Close.
type bodyCtx struct {
	driverReader
	cancel context.CancelFunc
}

func (b *bodyCtx) Close() error {
	err := b.driverReader.Close()
	b.cancel()
	return err
}

// openWithTimer opens a range whose body lives under ctx (not under the
// attempt ctx actx, which only bounds the wait for the response headers).
func openWithTimer(ctx, actx context.Context, d driver, key string, off, n int64, ifMatch string) (driverReader, error) {
	bctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(actx, cancel)
	b, err := d.newRangeReader(bctx, key, off, n, ifMatch)
	if !stop() {
		// The attempt timed out or was cancelled while opening.
		if b != nil {
			b.Close()
		}
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The attempt's own timeout: retryable.
		return nil, fmt.Errorf("attempt timed out waiting for response headers: %w", actx.Err())
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return &bodyCtx{driverReader: b, cancel: cancel}, nil
}

// resumableReader streams one range, reopening from the offset reached when
// the body breaks, stalls or ends before its announced length.
type resumableReader struct {
	s        *Store
	ctx      context.Context
	d        driver
	loc      location
	body     driverReader // nil between a failure and the reopen
	pos      int64        // absolute offset of the next byte
	end      int64        // absolute end; -1 when the length is unknown
	etag     string
	remote   bool
	fails    int   // failures since the last PartSize bytes of progress
	progress int64 // bytes read since the last reset of fails
	err      error // sticky
}

func (r *resumableReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if r.end >= 0 && r.pos >= r.end {
			r.err = io.EOF
			return 0, io.EOF
		}
		if r.body == nil {
			if err := r.reopen(); err != nil {
				r.err = err
				return 0, err
			}
		}
		if r.end >= 0 && int64(len(p)) > r.end-r.pos {
			p = p[:r.end-r.pos]
		}
		n, err := r.readBody(p)
		r.pos += int64(n)
		r.progress += int64(n)
		if r.progress >= r.s.opts.PartSize {
			// Real progress since the last failure: a fresh retry budget.
			r.fails, r.progress = 0, 0
		}
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, io.EOF) && (r.end < 0 || r.pos >= r.end):
			r.err = io.EOF
			return n, io.EOF
		case r.ctx.Err() != nil:
			r.err = r.ctx.Err()
			return n, r.err
		}
		// Broken, stalled or short body: resume from r.pos.
		r.body.Close()
		r.body = nil
		r.fails++
		r.progress = 0
		if r.fails >= r.s.opts.MaxAttempts {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				r.err = fmt.Errorf("%w: %q ended at byte %d of %d after %d attempts", ErrTruncated, r.loc.raw, r.pos, r.end, r.fails)
			} else {
				r.err = fmt.Errorf("%w: reading %q at byte %d after %d attempts: %w", ErrUnavailable, r.loc.raw, r.pos, r.fails, err)
			}
			return n, r.err
		}
		if n > 0 {
			return n, nil
		}
		if err := (retryPolicy{r.s.opts}).sleep(r.ctx, r.fails); err != nil {
			r.err = err
			return 0, err
		}
	}
}

// readBody reads once, cancelling the body if it stalls longer than
// ReadIdleTimeout (remote backends only).
func (r *resumableReader) readBody(p []byte) (int, error) {
	if !r.remote {
		return r.body.Read(p)
	}
	b := r.body
	var stalled bool
	var mu sync.Mutex
	t := time.AfterFunc(r.s.opts.ReadIdleTimeout, func() {
		mu.Lock()
		stalled = true
		mu.Unlock()
		if bc, ok := b.(*bodyCtx); ok {
			bc.cancel()
		}
	})
	n, err := b.Read(p)
	t.Stop()
	mu.Lock()
	if stalled && err == nil {
		err = fmt.Errorf("read stalled for %v", r.s.opts.ReadIdleTimeout)
	}
	mu.Unlock()
	return n, err
}

func (r *resumableReader) reopen() error {
	n := int64(-1)
	if r.end >= 0 {
		n = r.end - r.pos
	}
	return r.s.retry(r.ctx, func(actx context.Context) error {
		b, err := openWithTimer(r.ctx, actx, r.d, r.loc.key, r.pos, n, r.etag)
		if err != nil {
			return err
		}
		if r.end >= 0 && b.length() >= 0 && b.length() != n {
			b.Close()
			return fmt.Errorf("%w: %q: resumed range has %d bytes, want %d", ErrChanged, r.loc.raw, b.length(), n)
		}
		r.body = b
		return nil
	})
}

func (r *resumableReader) Close() error {
	if r.body != nil {
		err := r.body.Close()
		r.body = nil
		return err
	}
	return nil
}

// part is one fetched range of a parallel read.
type part struct {
	buf []byte
	err error
}

// parallelReader fetches [off, end) as PartSize ranges, at most Concurrency
// in flight or buffered, and yields them in order. Memory is bounded by
// Concurrency × PartSize whatever the object size.
type parallelReader struct {
	cancel context.CancelFunc
	queue  chan chan part // parts in order, as they are scheduled
	free   chan []byte    // buffers returned by the reader; one token each
	wg     sync.WaitGroup

	cur  []byte // unread bytes of the current part
	buf  []byte // the current part's buffer, returned when drained
	done bool
	err  error
}

func newParallelReader(ctx context.Context, s *Store, d driver, loc location, first driverReader, off, end int64, etag string) *parallelReader {
	ctx, cancel := context.WithCancel(ctx)
	conc := s.opts.Concurrency
	ps := s.opts.PartSize
	r := &parallelReader{
		cancel: cancel,
		queue:  make(chan chan part, conc),
		free:   make(chan []byte, conc),
	}
	for range conc {
		r.free <- nil // tokens; buffers are allocated on first use
	}
	fetch := func(ctx context.Context, buf []byte, start int64, firstBody driverReader) part {
		n := int64(len(buf))
		try := 0
		err := s.retry(ctx, func(actx context.Context) error {
			try++
			b := firstBody
			firstBody = nil
			if b == nil || try > 1 {
				if b != nil {
					b.Close()
				}
				var err error
				b, err = openWithTimer(ctx, actx, d, loc.key, start, n, etag)
				if err != nil {
					return err
				}
			}
			stop := context.AfterFunc(actx, func() { b.Close() })
			defer func() {
				if stop() {
					b.Close()
				}
			}()
			got, err := io.ReadFull(b, buf)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return transient(fmt.Errorf("%w: part at %d: got %d of %d bytes: %w", ErrTruncated, start, got, n, err))
			}
			return nil
		})
		if err != nil {
			return part{err: fmt.Errorf("read %q: %w", loc.raw, err)}
		}
		return part{buf: buf}
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(r.queue)
		firstBody := first
		defer func() {
			if firstBody != nil {
				firstBody.Close()
			}
		}()
		for start := off; start < end; start += ps {
			var buf []byte
			select {
			case buf = <-r.free:
			case <-ctx.Done():
				return
			}
			n := min(ps, end-start)
			if int64(cap(buf)) < n {
				buf = make([]byte, ps)
			}
			buf = buf[:n]
			ch := make(chan part, 1)
			select {
			case r.queue <- ch:
			case <-ctx.Done():
				return
			}
			fb := firstBody
			firstBody = nil
			r.wg.Add(1)
			go func(start int64) {
				defer r.wg.Done()
				ch <- fetch(ctx, buf, start, fb)
			}(start)
		}
	}()
	return r
}

func (r *parallelReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.buf != nil {
			r.free <- r.buf
			r.buf = nil
		}
		ch, ok := <-r.queue
		if !ok {
			r.err = io.EOF
			return 0, io.EOF
		}
		pt := <-ch
		if pt.err != nil {
			r.err = pt.err
			return 0, pt.err
		}
		r.buf, r.cur = pt.buf, pt.buf
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func (r *parallelReader) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	r.cancel()
	// Unblock the scheduler and collect the workers.
	go func() {
		for range r.queue {
		}
	}()
	r.wg.Wait()
	if r.err == nil {
		r.err = ErrClosed
	}
	return nil
}
