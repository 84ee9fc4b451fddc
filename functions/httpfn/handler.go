package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/edgeinfer/edgeinfer/functions/internal/lambdaenv"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// InputURLHeader names an object whose bytes are the request body.
const InputURLHeader = "X-Edgeinfer-Input-Url"

// maxInputBytes caps an input passed by reference, once decompressed
// (the serving core caps it again).
const maxInputBytes = 256 << 20

// Handler wraps the serving core with the invocation deadline (less the
// safety margin) and inputs passed by reference.
type Handler struct {
	RT *lambdaenv.Runtime
	// InputPrefix enables InputURLHeader for URLs under it; "" disables it.
	InputPrefix string
}

var _ http.Handler = (*Handler)(nil)

func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.RT.Deadline(r.Context())
	defer cancel()
	r = r.WithContext(ctx)
	if u := r.Header.Get(InputURLHeader); u != "" {
		if h.InputPrefix == "" || !strings.HasPrefix(u, h.InputPrefix) || strings.Contains(u, "/../") {
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s: inputs by reference must be under INPUT_URL_PREFIX", InputURLHeader))
			return
		}
		in, err := h.RT.Store.Open(ctx, u, &objstore.ReadOptions{Decompress: true, MaxDecodedBytes: maxInputBytes})
		if err != nil {
			code := http.StatusBadGateway
			switch {
			case errors.Is(err, objstore.ErrNotFound):
				code = http.StatusNotFound
			case errors.Is(err, objstore.ErrInvalidURL), errors.Is(err, objstore.ErrUnsupported):
				code = http.StatusBadRequest
			case errors.Is(err, objstore.ErrPermission):
				code = http.StatusForbidden
			}
			writeError(w, code, fmt.Sprintf("%s: %v", InputURLHeader, err))
			return
		}
		defer in.Close()
		r.Body, r.ContentLength = in, -1
		r.Header.Del("Content-Encoding")
		r.Header.Del("Content-Length")
	}
	h.RT.Server.ServeHTTP(w, r)
}
