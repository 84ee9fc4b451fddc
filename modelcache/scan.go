package modelcache

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// Skipped is an entry of a repository that is not served, with the reason
// and what to do about it.
type Skipped struct {
	// Path is the entry relative to the repository root: a file
	// ("a/1/person_detect.tflite"), a directory ending in "/" ("a/v1/"),
	// or "" for the repository as a whole.
	Path string
	// Reason says why the entry is not served.
	Reason string
	// Fix says what to change, naming the paths involved.
	Fix string
	// Problem is true for entries that look like a mistake: a model file
	// or config.json that is not read, a version directory that is not a
	// number, a symbolic link, an empty directory, a label naming a missing
	// version, an empty repository. It is false for files the layout does
	// not use (README.md, labels.txt), which are only noted. Hidden entries
	// (names starting with '.') are not reported at all.
	Problem bool
}

// String formats s as one line: "path: reason; fix: fix".
func (s Skipped) String() string {
	p := s.Path
	if p == "" {
		p = "repository"
	}
	if s.Fix == "" {
		return p + ": " + s.Reason
	}
	return p + ": " + s.Reason + "; fix: " + s.Fix
}

// ScanResult is what Scan finds in a repository.
type ScanResult struct {
	// Models are the models found, sorted by name, as Index returns them:
	// a model whose config.json is invalid is listed with Err set.
	Models []*ModelInfo
	// Skipped lists every entry that is not served, sorted by path.
	Skipped []Skipped
}

// Problems returns the skipped entries that are mistakes (Problem set)
// and one line per model whose config.json is invalid, as strings.
func (s *ScanResult) Problems() []string {
	var out []string
	for _, m := range s.Models {
		if m.Err != nil {
			out = append(out, m.Name+"/: model unavailable: "+m.Err.Error())
		}
	}
	for _, sk := range s.Skipped {
		if sk.Problem {
			out = append(out, sk.String())
		}
	}
	return out
}

// modelSuffixes are the endings of model files named in fixes.
var modelSuffixes = [...]string{".tflite", ".tflite.zst", ".tflite.gz", ".tflite.zstd", ".tflite.gzip"}

// modelLike reports whether a file name looks like a model file: it has
// ".tflite" in it (person_detect.tflite, model.tflite.s2, model.tflite.bak).
func modelLike(name string) bool { return strings.Contains(strings.ToLower(name), ".tflite") }

// hidden reports whether a path segment is hidden (".git", ".DS_Store").
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// layoutHint is the fix for an empty repository.
const layoutHint = "lay models out as <repo>/<model>/<version>/model.tflite (`edgeinfer examples --out DIR` writes an example repository)"

// Scan lists the repository like Index and also reports every entry it
// does not serve, with the reason and the fix: model files with another
// name, outside a version directory, at the top level or nested too deep;
// version directories that are not numbers; invalid model directory
// names; several model files in one version; models without any version;
// labels and version lists naming versions that have no model file; and,
// for a repository on the local file system, symbolic links (never
// followed) and empty directories. An empty repository is reported too.
// The error is returned only when the listing itself fails; a panic
// while listing (a bug in the store or reached through what it returned)
// is returned as a *PanicError.
func (r *Repository) Scan(ctx context.Context) (res *ScanResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &PanicError{Op: "index " + r.root, Value: p, Stack: debug.Stack()}
		}
	}()
	return r.scan(ctx)
}

func (r *Repository) scan(ctx context.Context) (*ScanResult, error) {
	objs, err := r.store.List(ctx, r.root)
	if err != nil {
		return nil, fmt.Errorf("modelcache: index %s: %w", r.root, err)
	}
	res := &ScanResult{}
	byName := map[string][]objstore.Attributes{} // model name → its objects
	badDirs := map[string][]string{}             // invalid model directory → paths below it
	for _, a := range objs {
		rest := strings.TrimPrefix(a.URL, r.root)
		name, below, ok := strings.Cut(rest, "/")
		switch {
		case hidden(name):
			continue
		case !ok:
			res.Skipped = append(res.Skipped, topLevelFile(rest))
			continue
		case CheckModelName(name) != nil:
			badDirs[name] = append(badDirs[name], below)
			continue
		}
		byName[name] = append(byName[name], a)
	}
	for dir, files := range badDirs {
		sk := Skipped{Path: dir + "/", Reason: "not part of the layout (ignored)"}
		if slices.ContainsFunc(files, func(f string) bool { return modelLike(f) || path1(f) == ConfigFile }) {
			err := CheckModelName(dir)
			sk.Problem = true
			sk.Reason = "not a valid model directory name: " + strings.TrimPrefix(err.Error(), ErrBadRef.Error()+": ")
			sk.Fix = "rename the directory: 1 to 128 bytes of [A-Za-z0-9_.-], not starting with '.' or '-'"
		}
		res.Skipped = append(res.Skipped, sk)
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		mi, skipped, err := r.modelFrom(ctx, name, byName[name])
		if err != nil {
			return nil, err
		}
		res.Skipped = append(res.Skipped, skipped...)
		if mi.Err == nil && len(mi.Versions) == 0 {
			res.Skipped = append(res.Skipped, Skipped{Path: name + "/", Problem: true,
				Reason: "no version directory holds a model file, so the model is not served",
				Fix:    "put the model at " + name + "/1/model.tflite"})
			continue
		}
		res.Models = append(res.Models, mi)
	}
	if dir, ok := localDir(r.root); ok {
		res.Skipped = append(res.Skipped, scanLocal(ctx, dir)...)
	}
	if len(res.Models) == 0 {
		reason := "no models found"
		if len(objs) == 0 {
			reason = "no models found: the repository is empty or does not exist"
		}
		res.Skipped = append(res.Skipped, Skipped{Path: "", Problem: true, Reason: reason, Fix: layoutHint})
	}
	slices.SortFunc(res.Skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	return res, nil
}

// path1 returns the last segment of a slash path.
func path1(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// topLevelFile explains a file directly under the repository root.
func topLevelFile(name string) Skipped {
	sk := Skipped{Path: name, Reason: "not part of the layout (ignored)"}
	switch {
	case name == ConfigFile:
		sk.Problem = true
		sk.Reason = "config.json at the top level is not read: each model has its own"
		sk.Fix = "move it to <model>/config.json"
	case modelLike(name):
		stem := name
		for _, s := range modelSuffixes {
			if strings.HasSuffix(strings.ToLower(stem), s) {
				stem = stem[:len(stem)-len(s)]
				break
			}
		}
		if CheckModelName(stem) != nil {
			stem = "<model>"
		}
		sk.Problem = true
		sk.Reason = "a model file at the top level is not served"
		sk.Fix = "move it to " + stem + "/1/" + modelFileFor(name)
	}
	return sk
}

// modelFileFor returns the model file name with the same compression as
// name (model.tflite, model.tflite.zst or model.tflite.gz).
func modelFileFor(name string) string {
	l := strings.ToLower(name)
	switch {
	case strings.HasSuffix(l, ".zst"), strings.HasSuffix(l, ".zstd"):
		return modelFiles[1]
	case strings.HasSuffix(l, ".gz"), strings.HasSuffix(l, ".gzip"):
		return modelFiles[2]
	}
	return modelFiles[0]
}

// versionHint suggests a version directory name for dir: its digits
// without leading zeros, or "1".
func versionHint(dir string) string {
	d := strings.TrimLeft(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, dir), "0")
	if _, ok := ParseVersion(d); ok {
		return d
	}
	return "1"
}

// explainModel adds to mi's skipped entries those found while listing
// model name: rest is each object's path below <root>/<name>/, and chosen
// the model file of each version.
func explainModel(name string, rests []string, chosen map[int64]string, cfg *Config) []Skipped {
	var out []Skipped
	badVersion := map[string][]string{}
	for _, rest := range rests {
		if rest == ConfigFile || rest == LabelsFile {
			continue
		}
		parts := strings.Split(rest, "/")
		if slices.ContainsFunc(parts, hidden) {
			continue
		}
		path := name + "/" + rest
		if len(parts) == 1 {
			sk := Skipped{Path: path, Reason: "not part of the layout (ignored)"}
			if modelLike(rest) {
				sk.Problem = true
				sk.Reason = "a model file outside a version directory is not served"
				sk.Fix = "move it to " + name + "/1/" + modelFileFor(rest)
			}
			out = append(out, sk)
			continue
		}
		v, ok := ParseVersion(parts[0])
		if !ok {
			badVersion[parts[0]] = append(badVersion[parts[0]], parts[len(parts)-1])
			continue
		}
		vdir := name + "/" + parts[0] + "/"
		file := parts[len(parts)-1]
		if len(parts) == 2 && file == LabelsFile {
			continue
		}
		sk := Skipped{Path: path, Reason: "not part of the layout (ignored)"}
		switch {
		case len(parts) > 2:
			if modelLike(file) {
				sk.Problem = true
				sk.Reason = "a model file nested below the version directory is not served"
				sk.Fix = "move it to " + vdir + modelFileFor(file)
				if chosen[v] != "" {
					sk.Fix = "remove it; " + vdir + chosen[v] + " is the model of version " + parts[0]
				}
			}
		case chosen[v] == file:
			continue
		case slices.Contains(modelFiles[:], file):
			sk.Problem = true
			sk.Reason = fmt.Sprintf("%s and %s are both present; %s is served", chosen[v], file, chosen[v])
			sk.Fix = "delete one of them"
		case chosen[v] == "" && strings.HasPrefix(file, "model.tflite."):
			sk.Problem = true
			sk.Reason = "compression " + strings.TrimPrefix(file, "model.tflite") + " is not read: the server reads " + strings.Join(modelFiles[:], ", ")
			sk.Fix = "decompress it to " + vdir + modelFiles[0] + " (or recompress it as " + modelFiles[1] + " or " + modelFiles[2] + ")"
		case modelLike(file):
			sk.Problem = true
			if chosen[v] == "" {
				sk.Reason = "not a model file name: the server reads " + strings.Join(modelFiles[:], ", ")
				sk.Fix = "rename it to " + vdir + modelFileFor(file)
			} else {
				sk.Reason = "not served: " + vdir + chosen[v] + " is the model of version " + parts[0]
				sk.Fix = "remove it"
			}
		}
		out = append(out, sk)
	}
	for dir, files := range badVersion {
		sk := Skipped{Path: name + "/" + dir + "/", Reason: "not part of the layout (ignored)"}
		if slices.ContainsFunc(files, modelLike) {
			sk.Problem = true
			sk.Reason = fmt.Sprintf("version directory %q is not a version (a positive integer without leading zeros: 1, 2, 10)", dir)
			sk.Fix = "rename it to " + name + "/" + versionHint(dir) + "/"
		}
		out = append(out, sk)
	}
	if cfg == nil {
		return out
	}
	for _, l := range slices.Sorted(maps.Keys(cfg.Labels)) {
		if v := cfg.Labels[l]; chosen[v] == "" {
			out = append(out, Skipped{Path: name + "/" + ConfigFile, Problem: true,
				Reason: fmt.Sprintf("label %q names version %d, which has no model file", l, v),
				Fix:    fmt.Sprintf("add %s/%d/model.tflite or point the label at an existing version", name, v)})
		}
	}
	for _, v := range cfg.Versions {
		if chosen[v] == "" {
			out = append(out, Skipped{Path: name + "/" + ConfigFile, Problem: true,
				Reason: fmt.Sprintf("\"versions\" lists version %d, which has no model file", v),
				Fix:    fmt.Sprintf("add %s/%d/model.tflite or remove %d from \"versions\"", name, v, v)})
		}
	}
	return out
}

// localDir returns the directory of a repository on the local file
// system: a plain path or a file:// URL.
func localDir(root string) (string, bool) {
	switch {
	case strings.HasPrefix(root, "file://"):
		return filepath.FromSlash(strings.TrimPrefix(root, "file://")), true
	case strings.Contains(root, "://"):
		return "", false
	}
	return filepath.FromSlash(root), true
}

// scanLocal reports what a listing of a local repository cannot see:
// symbolic links (the reader does not follow them) and empty model or
// version directories. It looks two levels deep.
func scanLocal(ctx context.Context, dir string) []Skipped {
	var out []Skipped
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			return nil
		}
		rel, rerr := filepath.Rel(dir, p)
		if rerr != nil || rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		depth := strings.Count(rel, "/") + 1
		if hidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out = append(out, Skipped{Path: rel, Problem: true,
				Reason: fmt.Sprintf("symbolic link (to %s) is not followed", target),
				Fix:    "replace the link with the file or directory it points to"})
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if depth > 2 {
			return fs.SkipDir
		}
		if entries, err := os.ReadDir(p); err == nil && len(entries) == 0 {
			sk := Skipped{Path: rel + "/", Problem: true, Reason: "empty directory"}
			name, ver, _ := strings.Cut(rel, "/")
			switch {
			case depth == 1 && CheckModelName(name) == nil:
				sk.Reason, sk.Fix = "empty model directory", "put the model at "+rel+"/1/model.tflite"
			case depth == 2 && CheckModelName(name) == nil:
				if _, ok := ParseVersion(ver); ok {
					sk.Reason, sk.Fix = "empty version directory", "put the model at "+rel+"/model.tflite"
				} else {
					sk.Problem = false
					sk.Reason = "not part of the layout (ignored)"
				}
			default:
				sk.Problem = false
				sk.Reason = "not part of the layout (ignored)"
			}
			out = append(out, sk)
		}
		return nil
	})
	return out
}

// Summary describes m in one line: its versions with their files and
// sizes, and what its config.json sets.
func (m *ModelInfo) Summary() string {
	var b strings.Builder
	if len(m.Versions) == 0 {
		b.WriteString("no versions")
	} else {
		b.WriteString("versions ")
		for i, v := range m.Versions {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d (%s, %s", v.Version, path1(v.URL), sizeString(v.Size))
			if !m.served(v.Version) {
				b.WriteString(", not served by the version policy")
			}
			b.WriteString(")")
		}
	}
	if m.Err == nil {
		b.WriteString("; config: ")
		b.WriteString(m.Config.Summary())
	}
	return b.String()
}

// sizeString writes a byte count for people: "880 B", "1.5 MiB".
func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10) + " B"
}

// Summary describes what c sets, in config.json's own field names;
// "defaults" when it sets nothing.
func (c *Config) Summary() string {
	if c == nil {
		return "defaults"
	}
	var parts []string
	add := func(format string, a ...any) { parts = append(parts, fmt.Sprintf(format, a...)) }
	if c.MaxBatchSize > 0 {
		add("max_batch_size %d", c.MaxBatchSize)
	}
	if c.BatchDelayMS > 0 {
		add("batch_delay_ms %d", c.BatchDelayMS)
	}
	if c.MaxConcurrency > 0 {
		add("max_concurrency %d", c.MaxConcurrency)
	}
	if c.MaxQueue > 0 {
		add("max_queue %d", c.MaxQueue)
	}
	if c.TimeoutMS > 0 {
		add("timeout_ms %d", c.TimeoutMS)
	}
	if c.WarmupRuns > 0 {
		add("warmup_runs %d", c.WarmupRuns)
	}
	if c.Preload {
		add("preload")
	}
	if c.VersionPolicy != "" && c.VersionPolicy != PolicyAll {
		add("version_policy %s", c.VersionPolicy)
	}
	if len(c.Versions) > 0 {
		add("versions %v", c.Versions)
	}
	if len(c.Labels) > 0 {
		var ls []string
		for _, l := range slices.Sorted(maps.Keys(c.Labels)) {
			ls = append(ls, fmt.Sprintf("%s=%d", l, c.Labels[l]))
		}
		add("labels %s", strings.Join(ls, ","))
	}
	if len(c.SHA256) > 0 {
		add("sha256 for %d version(s)", len(c.SHA256))
	}
	if c.Image != nil {
		add("image override")
	}
	if len(c.Inputs)+len(c.Outputs) > 0 {
		add("renames %d input(s), %d output(s)", len(c.Inputs), len(c.Outputs))
	}
	if len(parts) == 0 {
		return "defaults"
	}
	return strings.Join(parts, ", ")
}
