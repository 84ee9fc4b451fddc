package layers

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/edgeinfer/edgeinfer/modelcache"
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
	// ErrLayout: the directory is not a model repository.
	ErrLayout = errors.New("layers: not a model repository")
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
// models/<model>/<version>/model.tflite[.zst|.gz|...] and
// models/<model>/config.json, so that the function sees it at /opt/models
// (MODEL_REPOSITORY's default). Only files of the repository layout are
// taken; anything else is skipped. Every config.json is validated. The zip
// is deterministic: sorted names, fixed timestamps and modes. A layer over
// the limit is ErrTooLarge, checked before anything is written.
func BuildModels(w io.Writer, dir string, opts Options) (Stats, error) {
	limit := opts.MaxUnzippedBytes
	if limit <= 0 {
		limit = MaxUnzippedBytes
	}
	files, st, err := collect(dir)
	if err != nil {
		return st, err
	}
	if st.UnzippedBytes > limit {
		return st, fmt.Errorf("%w: %d bytes unzipped, limit %d", ErrTooLarge, st.UnzippedBytes, limit)
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

// modelFiles are the names a version directory may hold the model under.
var modelFiles = map[string]bool{
	"model.tflite": true, "model.tflite.zst": true, "model.tflite.zstd": true,
	"model.tflite.gz": true, "model.tflite.s2": true,
}

// collect lists the repository files of dir (slash paths relative to it),
// sorted.
func collect(dir string) ([]string, Stats, error) {
	var st Stats
	var files []string
	models, err := os.ReadDir(dir)
	if err != nil {
		return nil, st, fmt.Errorf("%w: %w", ErrLayout, err)
	}
	for _, m := range models {
		if !m.IsDir() || modelcache.CheckModelName(m.Name()) != nil {
			continue
		}
		n := 0
		ents, err := os.ReadDir(filepath.Join(dir, m.Name()))
		if err != nil {
			return nil, st, fmt.Errorf("layers: %w", err)
		}
		for _, e := range ents {
			rel := m.Name() + "/" + e.Name()
			switch {
			case e.Name() == modelcache.ConfigFile && e.Type().IsRegular():
				b, err := os.ReadFile(filepath.Join(dir, m.Name(), e.Name()))
				if err != nil {
					return nil, st, fmt.Errorf("layers: %w", err)
				}
				if _, err := modelcache.ParseConfig(m.Name(), b); err != nil {
					return nil, st, fmt.Errorf("%w: %s: %w", ErrLayout, rel, err)
				}
				files = append(files, rel)
				st.UnzippedBytes += int64(len(b))
			case e.IsDir():
				if _, ok := modelcache.ParseVersion(e.Name()); !ok {
					continue
				}
				vs, err := os.ReadDir(filepath.Join(dir, m.Name(), e.Name()))
				if err != nil {
					return nil, st, fmt.Errorf("layers: %w", err)
				}
				for _, v := range vs {
					if !modelFiles[v.Name()] || !v.Type().IsRegular() {
						continue
					}
					info, err := v.Info()
					if err != nil {
						return nil, st, fmt.Errorf("layers: %w", err)
					}
					files = append(files, rel+"/"+v.Name())
					st.UnzippedBytes += info.Size()
					n++
				}
			}
		}
		if n > 0 {
			st.Models++
		}
	}
	if st.Models == 0 {
		return nil, st, fmt.Errorf("%w: no <model>/<version>/model.tflite under %s", ErrLayout, dir)
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
