package main

import (
	"context"
	"errors"
)

func registerBench(m map[string]command) {
	m["bench"] = command{summary: "(not yet built)", run: func(ctx context.Context, args []string) error {
		return errors.New("not yet built")
	}}
}
