package main

import (
	"errors"
	"flag"
	"reflect"
	"testing"
)

func TestParseFlagsAnywhere(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		pos     []string
		ops     bool
		out     string
		wantErr string // "usage", "help" or ""
	}{
		{name: "flags first", args: []string{"--ops", "--out", "d", "a", "b"}, pos: []string{"a", "b"}, ops: true, out: "d"},
		{name: "flags last", args: []string{"a", "b", "--ops", "--out", "d"}, pos: []string{"a", "b"}, ops: true, out: "d"},
		{name: "flags between", args: []string{"a", "--out=d", "b", "-ops"}, pos: []string{"a", "b"}, ops: true, out: "d"},
		{name: "double dash ends flags", args: []string{"a", "--", "--ops", "-x"}, pos: []string{"a", "--ops", "-x"}},
		{name: "double dash as a value", args: []string{"--out", "--", "a", "--ops"}, pos: []string{"a"}, ops: true, out: "--"},
		{name: "stdin dash is positional", args: []string{"-", "--ops"}, pos: []string{"-"}, ops: true},
		{name: "none", args: nil},
		{name: "unknown flag after args", args: []string{"a", "--nope"}, wantErr: "usage"},
		{name: "missing value", args: []string{"a", "--out"}, wantErr: "usage"},
		{name: "help after args", args: []string{"a", "-h"}, wantErr: "help"},
		{name: "long help", args: []string{"--help"}, wantErr: "help"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFlags("x")
			ops := fs.Bool("ops", false, "")
			out := fs.String("out", "", "")
			pos, err := parseFlags(fs, tc.args)
			var u usageError
			var h helpRequest
			switch {
			case tc.wantErr == "usage" && !errors.As(err, &u):
				t.Fatalf("err = %v, want a usage error", err)
			case tc.wantErr == "help" && !errors.As(err, &h):
				t.Fatalf("err = %v, want a help request", err)
			case tc.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr != "":
				return
			}
			if !reflect.DeepEqual(pos, tc.pos) || *ops != tc.ops || *out != tc.out {
				t.Fatalf("pos %q ops %v out %q; want %q %v %q", pos, *ops, *out, tc.pos, tc.ops, tc.out)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"1GiB", 1 << 30, true},
		{"1gib", 1 << 30, true},
		{"512MiB", 512 << 20, true},
		{"512Mi", 512 << 20, true},
		{"64M", 64 << 20, true},
		{"2GB", 2e9, true},
		{"500kB", 500e3, true},
		{"1.5GiB", 3 << 29, true},
		{"10B", 10, true},
		{" 4 KiB ", 4096, true},
		{"0", 0, true},
		{"", 0, false},
		{"GiB", 0, false},
		{"lots", 0, false},
		{"-1MiB", 0, false},
		{"1.5B", 0, false},
		{"9999999TiB", 0, false},
		{"NaN", 0, false},
	}
	for _, tc := range tests {
		var b byteSize
		err := b.Set(tc.in)
		if (err == nil) != tc.ok || (tc.ok && int64(b) != tc.want) {
			t.Errorf("Set(%q) = %d, %v; want %d ok=%v", tc.in, b, err, tc.want, tc.ok)
		}
	}
	for _, n := range []int64{0, 1, 1500, 1 << 10, 3 << 20, 1 << 30, 5 << 40, 1<<30 + 1} {
		b := byteSize(n)
		var back byteSize
		if err := back.Set(b.String()); err != nil || back != b {
			t.Errorf("%d formats as %q, parses back as %d (%v)", n, b.String(), back, err)
		}
	}
	var _ flag.Value = (*byteSize)(nil)
}
