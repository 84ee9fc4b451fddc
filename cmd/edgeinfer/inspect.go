package main

import (
	"context"
	"errors"
)

func registerInspect(m map[string]command) {
	m["inspect"] = command{summary: "(not yet built)", run: func(ctx context.Context, args []string) error {
		return errors.New("not yet built")
	}}
}
