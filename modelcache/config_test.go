package modelcache

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	tests := []struct {
		name      string
		in        string
		wantField string // "" and wantErr: document-level error
		wantErr   bool
		check     func(*Config) bool
	}{
		{name: "empty object", in: `{}`, check: func(c *Config) bool { return c.VersionPolicy == PolicyAll && c.MaxBatchSize == 0 }},
		{name: "batching", in: `{"max_batch_size": 16, "batch_delay_ms": 5}`, check: func(c *Config) bool { return c.MaxBatchSize == 16 && c.BatchDelayMS == 5 }},
		{name: "labels and sha", in: `{"labels": {"stable": 1}, "sha256": {"1": "` + sha + `"}}`, check: func(c *Config) bool {
			return c.Labels["stable"] == 1 && c.ExpectedSHA256(1) == sha && c.ExpectedSHA256(2) == ""
		}},
		{name: "renames", in: `{"inputs": {"a:0": "a"}, "outputs": {"b:0": "b"}}`, check: func(c *Config) bool { return c.Inputs["a:0"] == "a" }},
		{name: "whitespace around", in: " \n{\"preload\": true}\n ", check: func(c *Config) bool { return c.Preload }},
		{name: "unknown field", in: `{"max_batch": 1}`, wantErr: true, wantField: "max_batch"},
		{name: "wrong type", in: `{"max_batch_size": "8"}`, wantErr: true, wantField: "max_batch_size"},
		{name: "float for int", in: `{"timeout_ms": 1.5}`, wantErr: true, wantField: "timeout_ms"},
		{name: "overflow", in: `{"max_queue": 1e30}`, wantErr: true, wantField: "max_queue"},
		{name: "negative", in: `{"max_concurrency": -1}`, wantErr: true, wantField: "max_concurrency"},
		{name: "batch too big", in: `{"max_batch_size": 4097}`, wantErr: true, wantField: "max_batch_size"},
		{name: "delay without batch", in: `{"batch_delay_ms": 3}`, wantErr: true, wantField: "batch_delay_ms"},
		{name: "timeout too long", in: `{"timeout_ms": 3600001}`, wantErr: true, wantField: "timeout_ms"},
		{name: "bad policy", in: `{"version_policy": "newest"}`, wantErr: true, wantField: "version_policy"},
		{name: "specific without versions", in: `{"version_policy": "specific"}`, wantErr: true, wantField: "versions"},
		{name: "versions without specific", in: `{"versions": [1]}`, wantErr: true, wantField: "versions"},
		{name: "zero version", in: `{"version_policy": "specific", "versions": [0]}`, wantErr: true, wantField: "versions"},
		{name: "label zero", in: `{"labels": {"stable": 0}}`, wantErr: true, wantField: "labels"},
		{name: "label reserved", in: `{"labels": {"latest": 1}}`, wantErr: true, wantField: "labels"},
		{name: "label digits", in: `{"labels": {"12": 1}}`, wantErr: true, wantField: "labels"},
		{name: "label upper", in: `{"labels": {"Stable": 1}}`, wantErr: true, wantField: "labels"},
		{name: "sha short", in: `{"sha256": {"1": "abc"}}`, wantErr: true, wantField: "sha256"},
		{name: "sha upper", in: `{"sha256": {"1": "` + strings.ToUpper(sha) + `"}}`, wantErr: true, wantField: "sha256"},
		{name: "sha not hex", in: `{"sha256": {"1": "` + strings.Repeat("zz", 32) + `"}}`, wantErr: true, wantField: "sha256"},
		{name: "sha key not version", in: `{"sha256": {"01": "` + sha + `"}}`, wantErr: true, wantField: "sha256"},
		{name: "rename collision", in: `{"inputs": {"a": "x", "b": "x"}}`, wantErr: true, wantField: "inputs"},
		{name: "rename empty", in: `{"outputs": {"a": ""}}`, wantErr: true, wantField: "outputs"},
		{name: "array", in: `[]`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
		{name: "trailing", in: `{} {}`, wantErr: true},
		{name: "truncated", in: `{"preload": tr`, wantErr: true},
		{name: "too big", in: `{"inputs": {"a": "` + strings.Repeat("b", MaxConfigBytes) + `"}}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig("m", []byte(tc.in))
			if tc.wantErr {
				var ce *ConfigError
				if !errors.As(err, &ce) || !errors.Is(err, ErrBadConfig) {
					t.Fatalf("got %v, want a ConfigError", err)
				}
				if ce.Field != tc.wantField || ce.Model != "m" {
					t.Fatalf("error %q names field %q, want %q", err, ce.Field, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Fatalf("parsed %+v", c)
			}
		})
	}
}

func TestParseConfigTestdata(t *testing.T) {
	tests := []struct {
		name string
		file string
		ok   bool
	}{
		{"full", "full.json", true},
		{"empty", "empty.json", true},
		{"unknown field", "unknown_field.json", false},
		{"reserved label", "reserved_label.json", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "config", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseConfig("m", b)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseConfig: %v", err)
			}
			if tc.file == "full.json" && (!c.Served(2, []int64{1, 2, 3}) || c.Served(3, []int64{1, 2, 3}) || c.Labels["canary"] != 2) {
				t.Fatalf("full.json parsed as %+v", c)
			}
		})
	}
}

func TestServed(t *testing.T) {
	all := []int64{1, 2, 5}
	tests := []struct {
		name string
		cfg  string
		want []int64
	}{
		{"all", `{}`, []int64{1, 2, 5}},
		{"latest", `{"version_policy": "latest"}`, []int64{5}},
		{"latest plus label", `{"version_policy": "latest", "labels": {"stable": 1}}`, []int64{1, 5}},
		{"specific", `{"version_policy": "specific", "versions": [2, 7]}`, []int64{2}},
		{"label of a missing version", `{"version_policy": "latest", "labels": {"old": 3}}`, []int64{5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig("m", []byte(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			mi := &ModelInfo{Name: "m", Config: c}
			for _, v := range all {
				mi.Versions = append(mi.Versions, VersionInfo{Version: v})
			}
			if got := mi.Served(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("served %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Ref
		err  bool
	}{
		{"name", "mnist", Ref{Model: "mnist"}, false},
		{"version", "mnist:12", Ref{Model: "mnist", Version: 12}, false},
		{"label", "mnist@stable", Ref{Model: "mnist", Label: "stable"}, false},
		{"latest", "mnist@latest", Ref{Model: "mnist", Label: "latest"}, false},
		{"zero version", "mnist:0", Ref{}, true},
		{"leading zero", "mnist:01", Ref{}, true},
		{"huge version", "mnist:99999999999999999999", Ref{}, true},
		{"empty name", ":1", Ref{}, true},
		{"slash", "a/b", Ref{}, true},
		{"dot dot", "..", Ref{}, true},
		{"bad label", "m@Stable", Ref{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRef(tc.in)
			if tc.err {
				if !errors.Is(err, ErrBadRef) {
					t.Fatalf("got %v, %v; want ErrBadRef", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if back, err := ParseRef(got.String()); err != nil || (back != got && got.Label != LatestLabel) {
				t.Fatalf("String round trip: %q → %+v %v", got.String(), back, err)
			}
		})
	}
}

// FuzzParseConfig checks that no input panics, every error is a
// ConfigError, and an accepted config survives a JSON round trip unchanged.
func FuzzParseConfig(f *testing.F) {
	ents, err := os.ReadDir(filepath.Join("testdata", "config"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata", "config", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"max_batch_size": 1e400}`))
	f.Add([]byte(`{"labels": {"a": 9223372036854775807}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("m", data)
		if err != nil {
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("error %v is not ErrBadConfig", err)
			}
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseConfig("m", b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", c, c2)
		}
	})
}

// Syntax errors say where they are: config.json is edited by hand.
func TestParseConfigSyntaxPosition(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"max_batch_size": 16, "batch_delay_ms": 2,}`, "invalid JSON at line 1, column 44: invalid character '}'"},
		{"{\"max_batch_size\": 16,\n \"labels\": {\"a\" 1}}", "invalid JSON at line 2, column 17: invalid character '1' after object key"},
		{"{\"preload\": true,\n", "the document ends early"},
	}
	for _, tc := range tests {
		_, err := ParseConfig("m", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseConfig(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestConfigImage(t *testing.T) {
	c, err := ParseConfig("m", []byte(`{"image": {"mean": [0], "std": [255], "fit": "pad", "layout": "NCHW"}}`))
	if err != nil || c.Image == nil || c.Image.Std[0] != 255 || c.Image.Fit != "pad" || c.Image.Layout != "NCHW" {
		t.Fatalf("ParseConfig: %+v, %v", c, err)
	}
	for _, bad := range []string{
		`{"image": {"fit": "zoom"}}`,
		`{"image": {"mean": [1]}}`,
		`{"image": {"raw": true, "mean": [0], "std": [1]}}`,
		`{"image": {"std": [0], "mean": [0]}}`,
		`{"image": {"gamma": 2}}`,
	} {
		if _, err := ParseConfig("m", []byte(bad)); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: err = %v, want ErrBadConfig", bad, err)
		}
	}
}
