package serving

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Sentinel errors. Errors from Predict and the decoders wrap one of these
// (or a context error, or an engine error); only the HTTP layer turns them
// into status codes.
var (
	// ErrNotFound: the model, version or label does not exist.
	ErrNotFound = errors.New("serving: not found")
	// ErrInvalid: the request is malformed or does not fit the model.
	ErrInvalid = errors.New("serving: invalid request")
	// ErrOverloaded: the model's queue is full; retry later.
	ErrOverloaded = errors.New("serving: overloaded")
	// ErrUnavailable: the server is shutting down or the model cannot
	// serve now.
	ErrUnavailable = errors.New("serving: unavailable")
	// ErrUnimplemented: the request asks for something this server does
	// not do.
	ErrUnimplemented = errors.New("serving: unimplemented")
	// ErrLimit: the request breaches a configured limit (see LimitError).
	ErrLimit = errors.New("serving: limit exceeded")
	// ErrUnauthorized: the request lacks the configured bearer token.
	ErrUnauthorized = errors.New("serving: unauthorized")
	// ErrForbidden: the endpoint is disabled, or the token given does not
	// grant it (the admin endpoints).
	ErrForbidden = errors.New("serving: forbidden")
)

// LimitError reports a request over one of the Server's limits.
type LimitError struct {
	Limit string // the Config field, e.g. "MaxBodyBytes"
	Max   int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("serving: request exceeds %s (%d)", e.Limit, e.Max)
}

// Is makes a LimitError match ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// hiddenError carries an error whose text must not reach clients (it may
// name server paths, storage URLs or engine internals): Error returns a
// stable public message; Unwrap returns kind (the sentinel that picks the
// status, when the hidden error does not carry one) and the original, for
// errors.Is and the status mapping; the HTTP layer logs the original with
// the request ID.
type hiddenError struct {
	kind   error // nil: the status follows err
	public string
	err    error
}

func (e *hiddenError) Error() string { return e.public }
func (e *hiddenError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// hide wraps err so that clients see only public; kind, when not nil, is
// the sentinel its status maps from. nil stays nil.
func hide(err, kind error, public string) error {
	if err == nil {
		return nil
	}
	if kind != nil {
		public = kind.Error() + ": " + public
	}
	return &hiddenError{kind: kind, public: public, err: err}
}

// errDetail returns the full text of err for the server log: the public
// message of every hidden error followed by what it hides.
func errDetail(err error) string {
	var he *hiddenError
	if !errors.As(err, &he) {
		return err.Error()
	}
	return err.Error() + " [" + errDetail(he.err) + "]"
}

// maxEcho is the most bytes of a client-supplied name or literal that an
// error message or a log line repeats.
const maxEcho = 64

// clip returns s, cut to maxEcho bytes (on a rune boundary) with the
// original length noted, for echoing client input in errors and logs.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	n := maxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s...(%d bytes)", s[:n], len(s))
}

// StatusCanceled is the non-standard status TensorFlow Serving (and nginx)
// use for a request the client cancelled.
const StatusCanceled = 499

// httpStatus maps an error to an HTTP status code following TensorFlow
// Serving's mapping of gRPC codes.
func httpStatus(err error) int {
	var le *LimitError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &le):
		if le.Limit == "MaxElements" {
			return http.StatusBadRequest
		}
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrInvalid), errors.Is(err, tensor.ErrJSON), errors.Is(err, tensor.ErrJSONLimit),
		errors.Is(err, tensor.ErrShape), errors.Is(err, tflite.ErrInput):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrOverloaded):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrUnimplemented), errors.Is(err, tflite.ErrUnsupported):
		return http.StatusNotImplemented
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return StatusCanceled
	}
	return http.StatusInternalServerError
}
