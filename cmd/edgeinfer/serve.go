package main

import (
	"context"
	"errors"
)

func registerServe(m map[string]command) {
	m["serve"] = command{summary: "(not yet built)", run: func(ctx context.Context, args []string) error {
		return errors.New("not yet built")
	}}
}
