package modelcache

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/preprocess"
)

// Limits on config.json. Each value outside its bound is a *ConfigError.
const (
	// MaxConfigBytes is the largest config.json accepted.
	MaxConfigBytes = 64 << 10
	// MaxBatchSize bounds max_batch_size.
	MaxBatchSize = 4096
	// MaxBatchDelayMS bounds batch_delay_ms (10 s).
	MaxBatchDelayMS = 10_000
	// MaxConcurrency bounds max_concurrency.
	MaxConcurrency = 1024
	// MaxQueue bounds max_queue.
	MaxQueue = 1_000_000
	// MaxTimeoutMS bounds timeout_ms (1 h).
	MaxTimeoutMS = 3_600_000
	// MaxWarmupRuns bounds warmup_runs.
	MaxWarmupRuns = 100
	// MaxLabels bounds the number of labels, and of sha256 entries.
	MaxLabels = 256
	// MaxNameLen bounds model names, labels and tensor names.
	MaxNameLen = 128
)

// Version policies for Config.VersionPolicy.
const (
	// PolicyAll serves every version present (the default).
	PolicyAll = "all"
	// PolicyLatest serves the newest version and the labelled ones.
	PolicyLatest = "latest"
	// PolicySpecific serves the versions listed in Config.Versions and the
	// labelled ones.
	PolicySpecific = "specific"
)

// Config is the parsed, validated <repo>/<model>/config.json. The zero
// Config (no config.json) is valid: no batching, defaults everywhere.
// A Config returned by this package is immutable.
type Config struct {
	// MaxBatchSize is the largest batch the server forms; 0 disables
	// batching. At most MaxBatchSize.
	MaxBatchSize int `json:"max_batch_size"`
	// BatchDelayMS is how long a partial batch waits for more requests.
	BatchDelayMS int `json:"batch_delay_ms"`
	// MaxConcurrency is the number of requests run at once; 0 = server
	// default.
	MaxConcurrency int `json:"max_concurrency"`
	// MaxQueue is the number of requests waiting for a slot; 0 = server
	// default.
	MaxQueue int `json:"max_queue"`
	// TimeoutMS is the default request deadline; 0 = server default.
	TimeoutMS int `json:"timeout_ms"`
	// WarmupRuns is how many times the model runs on zero inputs after
	// each load, before it serves (see TFLiteWarmup); a model that fails a
	// warmup run is not served. 0: none.
	WarmupRuns int `json:"warmup_runs"`
	// Preload asks the server to load the model at start.
	Preload bool `json:"preload"`
	// VersionPolicy is PolicyAll (default), PolicyLatest or PolicySpecific.
	VersionPolicy string `json:"version_policy"`
	// Versions lists the served versions under PolicySpecific.
	Versions []int64 `json:"versions"`
	// Labels maps a label (for example "stable") to a version.
	Labels map[string]int64 `json:"labels"`
	// SHA256 maps a version ("1") to the lowercase hex sha256 of its
	// uncompressed model.tflite; a mismatch refuses the model.
	SHA256 map[string]string `json:"sha256"`
	// Inputs renames model input tensors: model name → public name.
	Inputs map[string]string `json:"inputs"`
	// Outputs renames model output tensors: model name → public name.
	Outputs map[string]string `json:"outputs"`
	// Image overrides how images are fed to the model's image input:
	// {"mean": [..], "std": [..]} or {"raw": true}, "fit" (stretch, crop,
	// pad) and "layout" (NHWC, NCHW). See package preprocess.
	Image *preprocess.Override `json:"image"`
}

// ConfigError reports an invalid config.json. It matches ErrBadConfig.
type ConfigError struct {
	Model string // model name, "" when unknown
	Field string // JSON field, "" for the document as a whole
	Msg   string
}

// Error implements error.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("modelcache: config.json")
	if e.Model != "" {
		fmt.Fprintf(&b, " of model %q", e.Model)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is ErrBadConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrBadConfig }

// ParseConfig parses and validates a config.json document for model (used in
// error messages only). Unknown fields, trailing data, values out of their
// bounds and documents over MaxConfigBytes are errors.
func ParseConfig(model string, data []byte) (*Config, error) {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Model: model, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > MaxConfigBytes {
		return nil, bad("", "%d bytes is over the limit of %d", len(data), MaxConfigBytes)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, bad("", "must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		var ute *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			line, col := position(data, se.Offset)
			return nil, bad("", "invalid JSON at line %d, column %d: %v", line, col, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, bad("", "invalid JSON: the document ends early (a missing '}' or ']'?)")
		case errors.As(err, &ute):
			return nil, bad(ute.Field, "want %s, got JSON %s", ute.Type, ute.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return nil, bad(f, "unknown field (known: max_batch_size, batch_delay_ms, max_concurrency, max_queue, timeout_ms, warmup_runs, preload, version_policy, versions, labels, sha256, inputs, outputs, image)")
		}
		return nil, bad("", "invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("", "trailing data after the JSON object")
	}
	if err := c.validate(model); err != nil {
		return nil, err
	}
	return &c, nil
}

// position returns the 1-based line and column of byte offset off of
// data (the byte just before it, where encoding/json reports an error).
func position(data []byte, off int64) (line, col int) {
	off = min(max(off-1, 0), int64(len(data)))
	line, col = 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func (c *Config) validate(model string) error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Model: model, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if err := c.Image.Validate(); err != nil {
		return bad("image", "%v", err)
	}
	ints := []struct {
		field string
		v     int
		max   int
	}{
		{"max_batch_size", c.MaxBatchSize, MaxBatchSize},
		{"batch_delay_ms", c.BatchDelayMS, MaxBatchDelayMS},
		{"max_concurrency", c.MaxConcurrency, MaxConcurrency},
		{"max_queue", c.MaxQueue, MaxQueue},
		{"timeout_ms", c.TimeoutMS, MaxTimeoutMS},
		{"warmup_runs", c.WarmupRuns, MaxWarmupRuns},
	}
	for _, f := range ints {
		if f.v < 0 || f.v > f.max {
			return bad(f.field, "%d is outside [0, %d]", f.v, f.max)
		}
	}
	if c.BatchDelayMS > 0 && c.MaxBatchSize == 0 {
		return bad("batch_delay_ms", "set without max_batch_size")
	}
	switch c.VersionPolicy {
	case "":
		c.VersionPolicy = PolicyAll
	case PolicyAll, PolicyLatest:
	case PolicySpecific:
		if len(c.Versions) == 0 {
			return bad("versions", "version_policy %q needs at least one version", PolicySpecific)
		}
	default:
		return bad("version_policy", "%q is not one of %q, %q, %q", c.VersionPolicy, PolicyAll, PolicyLatest, PolicySpecific)
	}
	if len(c.Versions) > 0 && c.VersionPolicy != PolicySpecific {
		return bad("versions", "only allowed with version_policy %q", PolicySpecific)
	}
	if len(c.Versions) > MaxLabels {
		return bad("versions", "%d entries is over the limit of %d", len(c.Versions), MaxLabels)
	}
	for _, v := range c.Versions {
		if v <= 0 {
			return bad("versions", "version %d is not a positive integer", v)
		}
	}
	if len(c.Labels) > MaxLabels {
		return bad("labels", "%d entries is over the limit of %d", len(c.Labels), MaxLabels)
	}
	for _, l := range slices.Sorted(maps.Keys(c.Labels)) {
		if err := checkLabel(l); err != nil {
			return bad("labels", "label %q: %v", l, err)
		}
		if v := c.Labels[l]; v <= 0 {
			return bad("labels", "label %q: version %d is not a positive integer", l, v)
		}
	}
	if len(c.SHA256) > MaxLabels {
		return bad("sha256", "%d entries is over the limit of %d", len(c.SHA256), MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(c.SHA256)) {
		if _, ok := ParseVersion(k); !ok {
			return bad("sha256", "key %q is not a version (a positive integer without leading zeros)", k)
		}
		h := c.SHA256[k]
		if len(h) != 64 || strings.ToLower(h) != h {
			return bad("sha256", "version %s: %q is not 64 lowercase hex digits", k, h)
		}
		if _, err := hex.DecodeString(h); err != nil {
			return bad("sha256", "version %s: %q is not 64 lowercase hex digits", k, h)
		}
	}
	for _, r := range []struct {
		field string
		m     map[string]string
	}{{"inputs", c.Inputs}, {"outputs", c.Outputs}} {
		if len(r.m) > MaxLabels {
			return bad(r.field, "%d entries is over the limit of %d", len(r.m), MaxLabels)
		}
		seen := make(map[string]string, len(r.m))
		for _, from := range slices.Sorted(maps.Keys(r.m)) {
			to := r.m[from]
			if from == "" || to == "" || len(from) > MaxNameLen || len(to) > MaxNameLen {
				return bad(r.field, "rename %q → %q: names must be 1 to %d bytes", from, to, MaxNameLen)
			}
			if prev, dup := seen[to]; dup {
				return bad(r.field, "%q and %q are both renamed to %q", prev, from, to)
			}
			seen[to] = from
		}
	}
	return nil
}

// Served reports whether version v of a model with the given versions
// (ascending) is served under c's version policy. Labelled versions are
// always served.
func (c *Config) Served(v int64, versions []int64) bool {
	return slices.Contains(versions, v) && c.servedIn(v, versions[len(versions)-1])
}

// servedIn reports whether version v, present, is served when newest is the
// highest version present.
func (c *Config) servedIn(v, newest int64) bool {
	for _, lv := range c.Labels {
		if lv == v {
			return true
		}
	}
	switch c.VersionPolicy {
	case PolicyLatest:
		return v == newest
	case PolicySpecific:
		return slices.Contains(c.Versions, v)
	}
	return true
}

// ExpectedSHA256 returns the sha256 config.json records for version v, or
// "" when it records none.
func (c *Config) ExpectedSHA256(v int64) string {
	return c.SHA256[strconv.FormatInt(v, 10)]
}

// checkLabel validates a label name: 1 to MaxNameLen bytes of [a-z0-9_.-],
// not all digits, and not "latest".
func checkLabel(l string) error {
	if l == "" || len(l) > MaxNameLen {
		return fmt.Errorf("must be 1 to %d bytes", MaxNameLen)
	}
	if l == LatestLabel {
		return fmt.Errorf("%q is reserved", LatestLabel)
	}
	digits := true
	for _, r := range l {
		switch {
		case r >= '0' && r <= '9':
		case r >= 'a' && r <= 'z', r == '_', r == '-', r == '.':
			digits = false
		default:
			return fmt.Errorf("byte %q is not one of [a-z0-9_.-]", r)
		}
	}
	if digits {
		return errors.New("all digits: would read as a version")
	}
	return nil
}

// ParseVersion parses a version directory name: a positive decimal integer
// without sign or leading zeros that fits in int64.
func ParseVersion(s string) (int64, bool) {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

// CheckModelName validates a model name: 1 to MaxNameLen bytes of
// [A-Za-z0-9_.-], not starting with '.' or '-'.
func CheckModelName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: model name %q must be 1 to %d bytes", ErrBadRef, name, MaxNameLen)
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("%w: model name %q must not start with %q", ErrBadRef, name, name[0])
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("%w: model name %q: byte %q is not one of [A-Za-z0-9_.-]", ErrBadRef, name, c)
		}
	}
	return nil
}
