// Command edgeinfer is the one CLI of edgeinfer: serve a model repository,
// run a prediction, inspect a model, benchmark the engine, or write the
// example model repository.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
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
	registerInspect,
	registerPredict,
	registerBench,
	registerExamples,
}

func usage(cmds map[string]command) {
	fmt.Fprintln(os.Stderr, "usage: edgeinfer <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, cmds[n].summary)
	}
}

func main() {
	cmds := commands()
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage(cmds)
		os.Exit(2)
	}
	c, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "edgeinfer: unknown command %q\n", os.Args[1])
		usage(cmds)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := c.run(ctx, os.Args[2:]); err != nil {
		os.Exit(report(os.Args[1], err))
	}
}

// usageError marks a command-line mistake: exit status 2, not 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// report prints err as one line and returns the exit status: 2 for usage
// errors (0 for an explicit -h), 1 for everything else.
func report(cmd string, err error) int {
	var u usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		fmt.Fprintf(os.Stderr, "edgeinfer %s: %v\n", cmd, err)
		return 2
	}
	fmt.Fprintf(os.Stderr, "edgeinfer %s: %s\n", cmd, strings.ReplaceAll(err.Error(), "\n", " "))
	return 1
}
