package layers

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// MaxUnzippedBytes is Lambda's limit on the unzipped size of a function and
// all its layers together: 250 MB.
const MaxUnzippedBytes = 250 * 1000 * 1000

// ModelsDir is where the layer's content lands in the function's file
// system: Lambda extracts layers under /opt, so the zip holds models/....
const ModelsDir = "models"

// Sentinel errors.
var (
	// ErrTooLarge: the layer would exceed Options.MaxUnzippedBytes.
	ErrTooLarge = errors.New("layers: layer over Lambda's unzipped size limit")
	// ErrLayout: the directory is not a clean model repository.
	ErrLayout = errors.New("layers: not a model repository")
	// ErrModel: a model file of the repository does not read or load.
	ErrModel = errors.New("layers: model does not load")
)

// Options configure BuildModels.
type Options struct {
	// MaxUnzippedBytes caps the sum of the files' sizes. Default:
	// MaxUnzippedBytes (250 MB); lower it to leave room for the function.
	MaxUnzippedBytes int64
}

// Stats describe a built layer.
type Stats struct {
	Files         int
	Models        int
	UnzippedBytes int64
}

// BuildModels writes to w a zip of the model repository in dir, laid out as
// models/<model>/<version>/model.tflite[.zst|.gz] and
// models/<model>/config.json, so that the function sees it at /opt/models
// (MODEL_REPOSITORY's default). It packages exactly what the server would
// serve and checks it first, as `edgeinfer check-repo` does: a repository
// with any problem (a config.json that does not parse, a model file the
// server would not read, a version directory that is not a number, ...) is
// ErrLayout listing every problem, and a model file that does not load is
// ErrModel; files the layout does not use (README.md) are left out. The zip
// is deterministic: sorted names, fixed timestamps and modes. A layer over
// the limit is ErrTooLarge. Nothing is written on error.
func BuildModels(ctx context.Context, w io.Writer, dir string, opts Options) (Stats, error) {
	limit := opts.MaxUnzippedBytes
	if limit <= 0 {
		limit = MaxUnzippedBytes
	}
	files, st, err := collect(ctx, dir, limit)
	if err != nil {
		return st, err
	}
	zw := zip.NewWriter(w)
	for _, f := range files {
		if err := addFile(zw, filepath.Join(dir, filepath.FromSlash(f)), path.Join(ModelsDir, f)); err != nil {
			return st, err
		}
	}
	if err := zw.Close(); err != nil {
		return st, fmt.Errorf("layers: %w", err)
	}
	return st, nil
}

// collect checks the repository in dir and lists the files the server
// reads from it (slash paths relative to dir), sorted.
func collect(ctx context.Context, dir string, limit int64) ([]string, Stats, error) {
	var st Stats
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return nil, st, fmt.Errorf("%w: %s: %w", ErrLayout, dir, err)
	}
	root, err := filepath.Abs(dir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, st, fmt.Errorf("layers: %w", err)
	}
	store, err := objstore.New(objstore.Options{})
	if err != nil {
		return nil, st, fmt.Errorf("layers: %w", err)
	}
	defer store.Close()
	repo, err := modelcache.NewRepository(store, root)
	if err != nil {
		return nil, st, fmt.Errorf("layers: %w", err)
	}
	res, err := repo.Scan(ctx)
	if err != nil {
		return nil, st, fmt.Errorf("layers: %w", err)
	}
	if p := res.Problems(); len(p) > 0 {
		return nil, st, fmt.Errorf("%w: %s: %d problem(s):\n  %s", ErrLayout, dir, len(p), strings.Join(p, "\n  "))
	}
	var files []string
	for _, m := range res.Models {
		if _, err := os.Stat(filepath.Join(root, m.Name, modelcache.ConfigFile)); err == nil {
			files = append(files, m.Name+"/"+modelcache.ConfigFile)
		}
		for _, vi := range m.Versions {
			rel := strings.TrimPrefix(vi.URL, repo.Root())
			files = append(files, rel)
			st.UnzippedBytes += vi.Size
		}
		st.Models++
	}
	for _, f := range files {
		if strings.HasSuffix(f, "/"+modelcache.ConfigFile) {
			fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(f)))
			if err != nil {
				return nil, st, fmt.Errorf("layers: %w", err)
			}
			st.UnzippedBytes += fi.Size()
		}
	}
	if st.UnzippedBytes > limit {
		return nil, st, fmt.Errorf("%w: %d bytes unzipped, limit %d", ErrTooLarge, st.UnzippedBytes, limit)
	}
	for _, m := range res.Models {
		for _, vi := range m.Versions {
			rel := strings.TrimPrefix(vi.URL, repo.Root())
			data, err := repo.ReadVersion(ctx, m, vi, limit)
			if err != nil {
				return nil, st, fmt.Errorf("%w: %s: %w", ErrModel, rel, err)
			}
			if _, err := tflite.Load(data); err != nil {
				return nil, st, fmt.Errorf("%w: %s does not load: %w", ErrModel, rel, err)
			}
		}
	}
	sort.Strings(files)
	st.Files = len(files)
	return files, st, nil
}

// epoch is the fixed modification time of every entry (zip's minimum).
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func addFile(zw *zip.Writer, src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("layers: %w", err)
	}
	defer f.Close()
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: epoch}
	h.SetMode(fs.FileMode(0o644))
	w, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("layers: %s: %w", name, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("layers: %s: %w", name, err)
	}
	return nil
}
