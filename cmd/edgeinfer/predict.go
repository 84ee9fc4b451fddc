package main

import (
	"context"
	"errors"
)

func registerPredict(m map[string]command) {
	m["predict"] = command{summary: "(not yet built)", run: func(ctx context.Context, args []string) error {
		return errors.New("not yet built")
	}}
}
