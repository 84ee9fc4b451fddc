// Command edgeinfer is the one CLI of edgeinfer: serve a model repository,
// check one, run a prediction, inspect a model, benchmark the engine, or
// write the example model repository.
//
// Every subcommand exits 0 on success (and for -h), 1 on a runtime error
// and 2 on a usage error; flags may come before or after the positional
// arguments.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses, the same for every subcommand.
const (
	exitOK      = 0 // success, and an explicit -h / --help
	exitRuntime = 1 // the command ran and failed
	exitUsage   = 2 // the command line was wrong; nothing ran
)

// command is one subcommand. run gets the arguments after its name.
type command struct {
	// synopsis is what follows "edgeinfer <name>" on the usage line, e.g.
	// "[flags] MODEL.tflite...".
	synopsis string
	summary  string
	run      func(ctx context.Context, args []string) error
}

// commands returns every subcommand; each lives in a file of its own.
func commands() map[string]command {
	cmds := map[string]command{}
	for _, add := range registrations {
		add(cmds)
	}
	return cmds
}

// registrations lists the functions that add the subcommands.
var registrations = []func(map[string]command){
	registerServe,
	registerCheckRepo,
	registerInspect,
	registerPredict,
	registerBench,
	registerExamples,
	registerVersion,
}

// usage writes the top-level usage: one synopsis line per subcommand.
func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: edgeinfer <command> [flags] [arguments]   (flags may follow the arguments)")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nsynopsis:")
	for _, n := range names {
		fmt.Fprintf(w, "  edgeinfer %s %s\n", n, cmds[n].synopsis)
	}
	fmt.Fprintln(w, "\n`edgeinfer <command> -h` lists the flags of a command; `edgeinfer version` prints the build.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 runtime error, 2 usage error.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args (without the program name) and returns
// the exit status. Help goes to stdout, errors to stderr, each once.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			// `edgeinfer help CMD` is `edgeinfer CMD -h`.
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout, cmds)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "edgeinfer: unknown command %q (commands: %s; `edgeinfer -h` for help)\n", name, commandNames(cmds))
		return exitUsage
	}
	return report(stdout, stderr, name, c, c.run(ctx, args[1:]))
}

func commandNames(cmds map[string]command) string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// usageError marks a command-line mistake: exit status 2, not 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// report prints the outcome of command name and returns the exit status:
// help to stdout (0); a usage error once, with the synopsis, to stderr (2);
// any other error as one line to stderr (1).
func report(stdout, stderr io.Writer, name string, c command, err error) int {
	var h helpRequest
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &h):
		fmt.Fprintf(stdout, "usage: edgeinfer %s %s\n\n%s\n", name, c.synopsis, c.summary)
		if h.fs != nil && hasFlags(h.fs) {
			fmt.Fprintln(stdout, "\nflags (before or after the arguments):")
			printFlags(stdout, h.fs)
		}
		return exitOK
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "edgeinfer %s: %s\nusage: edgeinfer %s %s   (`edgeinfer %s -h` lists the flags)\n",
			name, oneLine(err), name, c.synopsis, name)
		return exitUsage
	}
	fmt.Fprintf(stderr, "edgeinfer %s: %s\n", name, oneLine(err))
	return exitRuntime
}

// oneLine is err's message on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
