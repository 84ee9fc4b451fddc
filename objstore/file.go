package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// tmpPrefix marks files being written; List skips them.
const tmpPrefix = ".objstore-tmp-"

// fileDriver serves file:// URLs and plain paths. Keys are absolute slash
// paths.
type fileDriver struct{}

var _ driver = (*fileDriver)(nil)

func (*fileDriver) remote() bool { return false }

// fileErr maps an os error onto the portable sentinels.
func fileErr(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	return err
}

func fileAttrs(key string, fi fs.FileInfo) Attributes {
	return Attributes{
		Key:     key,
		Size:    fi.Size(),
		ETag:    fmt.Sprintf("W/\"%x-%x\"", fi.Size(), fi.ModTime().UnixNano()),
		ModTime: fi.ModTime(),
	}
}

func (*fileDriver) attributes(_ context.Context, key string) (Attributes, error) {
	fi, err := os.Stat(filepath.FromSlash(key))
	if err != nil {
		return Attributes{}, fileErr(err)
	}
	if !fi.Mode().IsRegular() {
		return Attributes{}, fmt.Errorf("%w: %s is not a regular file", ErrNotFound, key)
	}
	return fileAttrs(key, fi), nil
}

func (*fileDriver) newRangeReader(_ context.Context, key string, off, n int64, ifMatch string) (driverReader, error) {
	f, err := os.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, fileErr(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileErr(err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrNotFound, key)
	}
	a := fileAttrs(key, fi)
	if ifMatch != "" && ifMatch != a.ETag {
		f.Close()
		return nil, fmt.Errorf("%w: %s has ETag %s, want %s", ErrChanged, key, a.ETag, ifMatch)
	}
	if off > a.Size {
		f.Close()
		return nil, fmt.Errorf("%w: offset %d beyond size %d of %s", ErrInvalidRange, off, a.Size, key)
	}
	length := a.Size - off
	if n >= 0 && n < length {
		length = n
	}
	return &fileReader{f: f, r: io.NewSectionReader(f, off, length), a: a, n: length}, nil
}

type fileReader struct {
	f *os.File
	r io.Reader
	a Attributes
	n int64
}

func (r *fileReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r *fileReader) Close() error               { return r.f.Close() }
func (r *fileReader) attrs() Attributes          { return r.a }
func (r *fileReader) length() int64              { return r.n }

func (*fileDriver) list(ctx context.Context, prefix string, fn func(Attributes) error) error {
	dir := prefix
	if !strings.HasSuffix(dir, "/") {
		dir = path.Dir(dir)
	}
	root := filepath.FromSlash(dir)
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fileErr(err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		key := filepath.ToSlash(p)
		if de.IsDir() {
			// Descend only into directories that can hold a key with the
			// prefix.
			ks := strings.TrimSuffix(key, "/") + "/"
			if p == root || strings.HasPrefix(ks, prefix) || strings.HasPrefix(prefix, ks) {
				return nil
			}
			return fs.SkipDir
		}
		if !de.Type().IsRegular() || !strings.HasPrefix(key, prefix) || strings.HasPrefix(de.Name(), tmpPrefix) {
			return nil
		}
		fi, err := de.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fileErr(err)
		}
		return fn(fileAttrs(key, fi))
	})
	return err
}

func (*fileDriver) delete(_ context.Context, key string) error {
	p := filepath.FromSlash(key)
	fi, err := os.Stat(p)
	if err != nil {
		return fileErr(err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrNotFound, key)
	}
	return fileErr(os.Remove(p))
}

func (*fileDriver) newWriter(_ context.Context, key string, _ *WriteOptions) (driverWriter, error) {
	if strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("%w: %q names a directory", ErrInvalidURL, key)
	}
	p := filepath.FromSlash(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fileErr(err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), tmpPrefix+"*")
	if err != nil {
		return nil, fileErr(err)
	}
	return &fileWriter{f: f, dst: p}, nil
}

// fileWriter writes a temporary file and renames it into place on Close,
// so readers never see a partial object.
type fileWriter struct {
	mu   sync.Mutex // serialises abort (from a ctx watcher) with Write/Close
	f    *os.File
	dst  string
	done bool
}

func (w *fileWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return 0, ErrClosed
	}
	return w.f.Write(p)
}

func (w *fileWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return ErrClosed
	}
	w.done = true
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return fileErr(err)
	}
	if err := os.Chmod(w.f.Name(), 0o644); err != nil {
		os.Remove(w.f.Name())
		return fileErr(err)
	}
	if err := os.Rename(w.f.Name(), w.dst); err != nil {
		os.Remove(w.f.Name())
		return fileErr(err)
	}
	return nil
}

func (w *fileWriter) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}
