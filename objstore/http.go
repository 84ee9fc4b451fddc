package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// httpDriver reads http(s):// URLs with GET and HEAD (Range and If-Match
// honoured). It cannot list, write or delete. Keys are full URLs.
type httpDriver struct {
	client *http.Client
}

var _ driver = (*httpDriver)(nil)

func (*httpDriver) remote() bool { return true }

// statusErr maps an HTTP status onto the portable errors; 429, 5xx and 408
// are transient.
func statusErr(code int, what string) error {
	switch {
	case code == http.StatusNotFound || code == http.StatusGone:
		return fmt.Errorf("%w: %s: HTTP %d", ErrNotFound, what, code)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("%w: %s: HTTP %d", ErrPermission, what, code)
	case code == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %s: HTTP %d", ErrChanged, what, code)
	case code == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%w: %s: HTTP %d", ErrInvalidRange, what, code)
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return transient(fmt.Errorf("%s: HTTP %d", what, code))
	}
	return fmt.Errorf("%s: unexpected HTTP %d", what, code)
}

// netErr classifies a transport error: the caller's or the attempt's ctx
// ending passes through; anything else (reset, refused, EOF) is transient.
func netErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return transient(err)
}

func headerAttrs(key string, h http.Header) Attributes {
	a := Attributes{
		Key:             key,
		ETag:            h.Get("ETag"),
		ContentType:     h.Get("Content-Type"),
		ContentEncoding: h.Get("Content-Encoding"),
		SHA256:          h.Get("X-Amz-Meta-Sha256"),
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		a.ModTime = t
	}
	return a
}

func (d *httpDriver) attributes(ctx context.Context, key string) (Attributes, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, key, nil)
	if err != nil {
		return Attributes{}, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return Attributes{}, netErr(ctx, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Attributes{}, statusErr(resp.StatusCode, "HEAD "+key)
	}
	a := headerAttrs(key, resp.Header)
	a.Size = resp.ContentLength
	return a, nil
}

// parseContentRange parses "bytes a-b/total" or "bytes */total".
func parseContentRange(s string) (start, end, total int64, err error) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
		}
	}
	if rng == "*" {
		return -1, -1, total, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	return start, end, total, nil
}

func rangeHeader(off, n int64) string {
	if n < 0 {
		return fmt.Sprintf("bytes=%d-", off)
	}
	return fmt.Sprintf("bytes=%d-%d", off, off+n-1)
}

func (d *httpDriver) newRangeReader(ctx context.Context, key string, off, n int64, ifMatch string) (driverReader, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	if off > 0 || n >= 0 {
		req.Header.Set("Range", rangeHeader(off, n))
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, netErr(ctx, err)
	}
	a := headerAttrs(key, resp.Header)
	switch resp.StatusCode {
	case http.StatusOK:
		a.Size = resp.ContentLength
		body := &httpBody{rc: resp.Body, a: a, n: resp.ContentLength}
		if off > 0 {
			// The server ignored Range: skip to off.
			if a.Size >= 0 && off > a.Size {
				resp.Body.Close()
				return nil, fmt.Errorf("%w: offset %d beyond size %d of %s", ErrInvalidRange, off, a.Size, key)
			}
			if _, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
				resp.Body.Close()
				return nil, netErr(ctx, err)
			}
		}
		if a.Size >= 0 {
			body.n = a.Size - off
			if n >= 0 && n < body.n {
				body.n = n
			}
		}
		return body, nil
	case http.StatusPartialContent:
		start, end, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != off {
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: %w", key, errors.Join(err, fmt.Errorf("range starts at %d, want %d", start, off)))
		}
		a.Size = total
		return &httpBody{rc: resp.Body, a: a, n: end - start + 1}, nil
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		_, _, total, perr := parseContentRange(resp.Header.Get("Content-Range"))
		if perr == nil && total == off {
			a.Size = total
			return &httpBody{rc: http.NoBody, a: a, n: 0}, nil
		}
		return nil, statusErr(resp.StatusCode, "GET "+key)
	}
	resp.Body.Close()
	return nil, statusErr(resp.StatusCode, "GET "+key)
}

// httpBody is one GET response body of a known (or, n < 0, unknown) length.
type httpBody struct {
	rc io.ReadCloser
	a  Attributes
	n  int64
}

func (b *httpBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b *httpBody) Close() error               { return b.rc.Close() }
func (b *httpBody) attrs() Attributes          { return b.a }
func (b *httpBody) length() int64              { return b.n }

func (*httpDriver) list(context.Context, string, func(Attributes) error) error {
	return fmt.Errorf("%w: http(s) cannot list", ErrUnsupported)
}

func (*httpDriver) newWriter(context.Context, string, *WriteOptions) (driverWriter, error) {
	return nil, fmt.Errorf("%w: http(s) is read-only", ErrUnsupported)
}

func (*httpDriver) delete(context.Context, string) error {
	return fmt.Errorf("%w: http(s) is read-only", ErrUnsupported)
}
