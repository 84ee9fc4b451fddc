package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/edgeinfer/edgeinfer/tflite/kernels/gemm"
)

func registerVersion(m map[string]command) {
	m["version"] = command{
		synopsis: "(or edgeinfer --version)",
		summary:  "print the module version, VCS revision, Go version and the int8 kernels this CPU selected (also --version)",
		run:      runVersion,
	}
}

func runVersion(_ context.Context, args []string) error {
	fs := newFlags("version")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("version takes no arguments, got %q", pos)
	}
	for _, l := range versionLines() {
		fmt.Println(l)
	}
	return nil
}

// versionLines describes this binary: module version, VCS revision and
// time (with "+dirty" when built from a modified tree), Go version and
// platform, and the int8 GEMM micro-kernel chosen for this CPU.
func versionLines() []string {
	mod, rev, at, dirty := "(unknown)", "(not recorded: built outside a git checkout or with -buildvcs=false)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		mod = bi.Main.Path + " " + bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if dirty {
		rev += "+dirty"
	}
	if at != "" {
		rev += " (" + at + ")"
	}
	return []string{
		"edgeinfer    " + mod,
		"revision     " + rev,
		"go           " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		"int8 kernels " + gemm.Impl() + " (chosen at start-up from this CPU's features; -tags noasm builds the pure-Go kernels only)",
	}
}
