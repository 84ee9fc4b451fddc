package modelcache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// Model file names inside a version directory, in order of preference.
var modelFiles = [...]string{"model.tflite", "model.tflite.zst", "model.tflite.gz"}

// ConfigFile is the name of a model's optional configuration object.
const ConfigFile = "config.json"

// Repository is a model repository laid out as
// <root>/<model>/<version>/model.tflite over an objstore.Store. It holds no
// state beyond its root and store, so it is safe for concurrent use.
type Repository struct {
	store *objstore.Store // never nil
	root  string          // ends in "/"
}

// NewRepository returns the repository rooted at root: a directory path,
// file://, s3://bucket/prefix or mem://bucket/prefix URL. It makes no call
// to the store.
func NewRepository(store *objstore.Store, root string) (*Repository, error) {
	if store == nil {
		return nil, errors.New("modelcache: nil store")
	}
	if root == "" {
		return nil, errors.New("modelcache: empty repository root")
	}
	if !strings.HasSuffix(root, "/") {
		root += "/"
	}
	return &Repository{store: store, root: root}, nil
}

// Root returns the repository root URL, ending in "/".
func (r *Repository) Root() string { return r.root }

// Store returns the store the repository reads from.
func (r *Repository) Store() *objstore.Store { return r.store }

// VersionInfo describes one version directory.
type VersionInfo struct {
	// Version is the directory's number.
	Version int64
	// URL names the model object (model.tflite or a compressed variant).
	URL string
	// Size is the stored size of the object.
	Size int64
	// ETag identifies the stored object's content; "" when unknown.
	ETag string
}

// ModelInfo describes one model of a repository.
type ModelInfo struct {
	// Name is the model's directory name.
	Name string
	// Config is the parsed config.json, or the zero Config when absent.
	// Never nil.
	Config *Config
	// Versions lists the version directories holding a model file,
	// ascending by version.
	Versions []VersionInfo
	// Err is non-nil when the model cannot be served as a whole (its
	// config.json is invalid); Versions may still be listed.
	Err error
}

// Version returns the listing of version v.
func (m *ModelInfo) Version(v int64) (VersionInfo, bool) {
	i, ok := slices.BinarySearchFunc(m.Versions, v, func(vi VersionInfo, v int64) int {
		switch {
		case vi.Version < v:
			return -1
		case vi.Version > v:
			return 1
		}
		return 0
	})
	if !ok {
		return VersionInfo{}, false
	}
	return m.Versions[i], true
}

// Served returns the versions served under the model's version policy,
// ascending.
func (m *ModelInfo) Served() []int64 {
	var out []int64
	for _, vi := range m.Versions {
		if m.served(vi.Version) {
			out = append(out, vi.Version)
		}
	}
	return out
}

// served reports whether version v is listed and served.
func (m *ModelInfo) served(v int64) bool {
	if _, ok := m.Version(v); !ok {
		return false
	}
	return m.Config.servedIn(v, m.Versions[len(m.Versions)-1].Version)
}

// Resolve returns the version ref names: its Version when served, the
// version of its label, or the highest served version. A model with Err set
// resolves to that error.
func (m *ModelInfo) Resolve(ref Ref) (int64, error) {
	if m.Err != nil {
		return 0, m.Err
	}
	switch {
	case ref.Version > 0:
		if !m.served(ref.Version) {
			return 0, fmt.Errorf("%w: %s: version %d is not in the repository or not served by its version policy", ErrModelNotFound, ref.Model, ref.Version)
		}
		return ref.Version, nil
	case ref.Label != "" && ref.Label != LatestLabel:
		v, ok := m.Config.Labels[ref.Label]
		if !ok {
			return 0, fmt.Errorf("%w: %s: no label %q", ErrModelNotFound, ref.Model, ref.Label)
		}
		if _, ok := m.Version(v); !ok {
			return 0, fmt.Errorf("%w: %s: label %q names version %d, which has no model file", ErrModelNotFound, ref.Model, ref.Label, v)
		}
		return v, nil
	}
	for i := len(m.Versions) - 1; i >= 0; i-- {
		if v := m.Versions[i].Version; m.served(v) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: %s: no served version", ErrModelNotFound, ref.Model)
}

// Index lists every model of the repository with its versions and config,
// sorted by name. Objects that do not fit the layout are left out (Scan
// says why). A model whose config.json is invalid is listed with Err set;
// the error is returned only when the listing itself fails.
func (r *Repository) Index(ctx context.Context) ([]*ModelInfo, error) {
	res, err := r.Scan(ctx)
	if err != nil {
		return nil, err
	}
	return res.Models, nil
}

// Model lists one model. A model with no version directory holding a model
// file (and no config.json) is ErrModelNotFound.
func (r *Repository) Model(ctx context.Context, name string) (*ModelInfo, error) {
	if err := CheckModelName(name); err != nil {
		return nil, err
	}
	objs, err := r.store.List(ctx, r.root+name+"/")
	if err != nil {
		return nil, fmt.Errorf("modelcache: list model %q: %w", name, err)
	}
	mi, _, err := r.modelFrom(ctx, name, objs)
	if err != nil {
		return nil, err
	}
	if mi.Err != nil {
		return nil, mi.Err
	}
	if len(mi.Versions) == 0 {
		return nil, fmt.Errorf("%w: %q has no version directory with a model file under %s", ErrModelNotFound, name, r.root)
	}
	return mi, nil
}

// modelFrom builds a ModelInfo from the objects under <root>/<name>/, and
// explains the objects it does not use.
func (r *Repository) modelFrom(ctx context.Context, name string, objs []objstore.Attributes) (*ModelInfo, []Skipped, error) {
	mi := &ModelInfo{Name: name, Config: &Config{VersionPolicy: PolicyAll}}
	prefix := r.root + name + "/"
	best := map[int64]int{} // version → index into modelFiles of the chosen file
	rests := make([]string, 0, len(objs))
	for _, a := range objs {
		rest := strings.TrimPrefix(a.URL, prefix)
		rests = append(rests, rest)
		if rest == ConfigFile {
			data, _, err := r.store.ReadAll(ctx, a.URL, MaxConfigBytes, nil)
			if err != nil {
				if errors.Is(err, objstore.ErrTooLarge) {
					mi.Err = &ConfigError{Model: name, Msg: fmt.Sprintf("larger than %d bytes", MaxConfigBytes)}
					continue
				}
				return nil, nil, fmt.Errorf("modelcache: read %s: %w", a.URL, err)
			}
			cfg, err := ParseConfig(name, data)
			if err != nil {
				mi.Err = err
				continue
			}
			mi.Config = cfg
			continue
		}
		dir, file, ok := strings.Cut(rest, "/")
		if !ok {
			continue
		}
		v, ok := ParseVersion(dir)
		if !ok {
			continue
		}
		rank := slices.Index(modelFiles[:], file)
		if rank < 0 {
			continue
		}
		vi := VersionInfo{Version: v, URL: a.URL, Size: a.Size, ETag: a.ETag}
		if prev, seen := best[v]; seen {
			if rank > prev {
				continue
			}
			i := slices.IndexFunc(mi.Versions, func(x VersionInfo) bool { return x.Version == v })
			mi.Versions[i] = vi
		} else {
			mi.Versions = append(mi.Versions, vi)
		}
		best[v] = rank
	}
	slices.SortFunc(mi.Versions, func(a, b VersionInfo) int {
		switch {
		case a.Version < b.Version:
			return -1
		case a.Version > b.Version:
			return 1
		}
		return 0
	})
	chosen := make(map[int64]string, len(best))
	for v, rank := range best {
		chosen[v] = modelFiles[rank]
	}
	var cfg *Config
	if mi.Err == nil {
		cfg = mi.Config
	}
	return mi, explainModel(name, rests, chosen, cfg), nil
}

// stat returns the current attributes of a model object.
func (r *Repository) stat(ctx context.Context, url string) (objstore.Attributes, error) {
	a, err := r.store.Stat(ctx, url)
	if err != nil {
		return a, mapNotFound(err)
	}
	return a, nil
}

// fetch reads a model object whole, decompressed, capped at limit bytes.
func (r *Repository) fetch(ctx context.Context, url string, limit int64) ([]byte, objstore.Attributes, error) {
	data, a, err := r.store.ReadAll(ctx, url, limit, &objstore.ReadOptions{Decompress: true})
	if err != nil {
		if errors.Is(err, objstore.ErrTooLarge) {
			return nil, a, fmt.Errorf("%w: %s: %w", ErrTooLarge, url, err)
		}
		return nil, a, mapNotFound(err)
	}
	return data, a, nil
}

// mapNotFound adds ErrModelNotFound to an objstore.ErrNotFound.
func mapNotFound(err error) error {
	if errors.Is(err, objstore.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrModelNotFound, err)
	}
	return err
}

// ReadVersion reads the model file of version vi of model m whole,
// decompressed and capped at limit bytes, and checks it against the
// sha256 m's config.json records for that version (ErrChecksum on a
// mismatch). It does not use or fill any cache.
func (r *Repository) ReadVersion(ctx context.Context, m *ModelInfo, vi VersionInfo, limit int64) ([]byte, error) {
	data, _, err := r.fetch(ctx, vi.URL, limit)
	if err != nil {
		return nil, err
	}
	if want := m.Config.ExpectedSHA256(vi.Version); want != "" {
		if got := sha256Hex(data); got != want {
			return nil, fmt.Errorf("%w: %s: config.json records sha256 %s, the bytes hash to %s", ErrChecksum, vi.URL, want, got)
		}
	}
	return data, nil
}
