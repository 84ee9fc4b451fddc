package modelcache

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrBadConfig reports an invalid config.json (see ConfigError).
	ErrBadConfig = errors.New("modelcache: invalid model config")
	// ErrBadRef reports a malformed model reference or name.
	ErrBadRef = errors.New("modelcache: invalid model reference")
	// ErrModelNotFound reports a model, version or label the repository
	// does not have (or does not serve under its version policy).
	ErrModelNotFound = errors.New("modelcache: model not found")
	// ErrChecksum reports model bytes whose sha256 differs from the one
	// recorded in config.json or by the object store. The model is refused.
	ErrChecksum = errors.New("modelcache: model checksum mismatch")
	// ErrTooLarge reports a model bigger than the cache's whole byte budget
	// or than the largest model the cache reads.
	ErrTooLarge = errors.New("modelcache: model larger than the cache budget")
	// ErrClosed reports use of a closed Cache.
	ErrClosed = errors.New("modelcache: cache closed")
)

// PanicError is a panic (a bug reached through what a store returned,
// or in the store itself) recovered where the repository is listed and
// returned as an error instead of ending the process.
type PanicError struct {
	Op    string // what panicked, e.g. "index s3://bucket/models/"
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return fmt.Sprintf("modelcache: %s: panic: %v", e.Op, e.Value) }

// LatestLabel is the reserved label naming a model's highest version.
const LatestLabel = "latest"

// Ref names what a caller wants: a model and either a version, a label, or
// neither (the latest served version).
type Ref struct {
	Model   string
	Version int64  // > 0 for a specific version; 0 otherwise
	Label   string // a label from config.json, or "" / "latest"
}

// String formats r as model, model:version or model@label.
func (r Ref) String() string {
	switch {
	case r.Version > 0:
		return r.Model + ":" + strconv.FormatInt(r.Version, 10)
	case r.Label != "":
		return r.Model + "@" + r.Label
	}
	return r.Model
}

// ParseRef parses "model", "model:3", "model@stable" or "model@latest".
func ParseRef(s string) (Ref, error) {
	var r Ref
	if name, label, ok := strings.Cut(s, "@"); ok {
		r.Model, r.Label = name, label
		if label != LatestLabel {
			if err := checkLabel(label); err != nil {
				return Ref{}, fmt.Errorf("%w: %q: label: %v", ErrBadRef, s, err)
			}
		}
	} else if name, ver, ok := strings.Cut(s, ":"); ok {
		v, ok := ParseVersion(ver)
		if !ok {
			return Ref{}, fmt.Errorf("%w: %q: version %q is not a positive integer", ErrBadRef, s, ver)
		}
		r.Model, r.Version = name, v
	} else {
		r.Model = s
	}
	if err := CheckModelName(r.Model); err != nil {
		return Ref{}, err
	}
	return r, nil
}

// Key identifies one version of one model: what the cache holds.
type Key struct {
	Model   string
	Version int64
}

// String formats k as model:version.
func (k Key) String() string { return k.Model + ":" + strconv.FormatInt(k.Version, 10) }
