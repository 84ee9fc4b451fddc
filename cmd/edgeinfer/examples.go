package main

import (
	"context"
	"errors"
)

func registerExamples(m map[string]command) {
	m["examples"] = command{summary: "(not yet built)", run: func(ctx context.Context, args []string) error {
		return errors.New("not yet built")
	}}
}
