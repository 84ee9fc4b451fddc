package objstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// memBucket is an in-memory bucket (mem://bucket/key), private to its Store.
// Safe for concurrent use.
type memBucket struct {
	mu   sync.RWMutex
	objs map[string]*memObject // guarded by mu; values are immutable
}

type memObject struct {
	data  []byte
	attrs Attributes
}

func newMemBucket() *memBucket { return &memBucket{objs: map[string]*memObject{}} }

var _ driver = (*memBucket)(nil)

// remote is true so that the memory backend exercises the parallel read
// path in the conformance suite.
func (*memBucket) remote() bool { return true }

func (b *memBucket) get(key string) (*memObject, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	o := b.objs[key]
	if o == nil {
		return nil, fmt.Errorf("%w: mem key %q", ErrNotFound, key)
	}
	return o, nil
}

func (b *memBucket) attributes(_ context.Context, key string) (Attributes, error) {
	o, err := b.get(key)
	if err != nil {
		return Attributes{}, err
	}
	return o.attrs, nil
}

func (b *memBucket) newRangeReader(_ context.Context, key string, off, n int64, ifMatch string) (driverReader, error) {
	o, err := b.get(key)
	if err != nil {
		return nil, err
	}
	if ifMatch != "" && ifMatch != o.attrs.ETag {
		return nil, fmt.Errorf("%w: mem key %q has ETag %s, want %s", ErrChanged, key, o.attrs.ETag, ifMatch)
	}
	size := int64(len(o.data))
	if off > size {
		return nil, fmt.Errorf("%w: offset %d beyond size %d of %q", ErrInvalidRange, off, size, key)
	}
	end := size
	if n >= 0 && off+n < end {
		end = off + n
	}
	return &memReader{Reader: bytes.NewReader(o.data[off:end]), a: o.attrs}, nil
}

type memReader struct {
	*bytes.Reader
	a Attributes
}

func (r *memReader) Close() error      { return nil }
func (r *memReader) attrs() Attributes { return r.a }
func (r *memReader) length() int64     { return r.Size() }

func (b *memBucket) list(_ context.Context, prefix string, fn func(Attributes) error) error {
	b.mu.RLock()
	keys := slices.Sorted(maps.Keys(b.objs))
	objs := make([]Attributes, 0, len(keys))
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			objs = append(objs, b.objs[k].attrs)
		}
	}
	b.mu.RUnlock()
	for _, a := range objs {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func (b *memBucket) delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.objs[key] == nil {
		return fmt.Errorf("%w: mem key %q", ErrNotFound, key)
	}
	delete(b.objs, key)
	return nil
}

func (b *memBucket) newWriter(_ context.Context, key string, opts *WriteOptions) (driverWriter, error) {
	return &memWriter{b: b, key: key, opts: *opts}, nil
}

type memWriter struct {
	b    *memBucket
	key  string
	opts WriteOptions

	mu   sync.Mutex
	buf  bytes.Buffer // guarded by mu
	done bool         // guarded by mu
}

func (w *memWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return 0, ErrClosed
	}
	return w.buf.Write(p)
}

func (w *memWriter) Close() error {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return ErrClosed
	}
	w.done = true
	data := bytes.Clone(w.buf.Bytes())
	w.mu.Unlock()
	sum := sha256.Sum256(data)
	a := Attributes{
		Key:             w.key,
		Size:            int64(len(data)),
		ETag:            `"` + hex.EncodeToString(sum[:16]) + `"`,
		ModTime:         time.Now().UTC(),
		ContentType:     w.opts.ContentType,
		ContentEncoding: w.opts.ContentEncoding,
		SHA256:          hex.EncodeToString(sum[:]),
		Metadata:        maps.Clone(w.opts.Metadata),
	}
	w.b.mu.Lock()
	w.b.objs[w.key] = &memObject{data: data, attrs: a}
	w.b.mu.Unlock()
	return nil
}

func (w *memWriter) abort() {
	w.mu.Lock()
	w.done = true
	w.buf = bytes.Buffer{}
	w.mu.Unlock()
}
