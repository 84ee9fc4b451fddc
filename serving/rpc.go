package serving

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// This file is what front ends other than the HTTP API (the gRPC services
// of package grpcserve) use to serve over the same core: the same model
// resolution, status, repository rules, memory budget, metrics and
// public error messages as the HTTP handlers.

// ModelInfo describes a resolved model version: what its metadata
// endpoints show.
type ModelInfo struct {
	Name    string
	Version int64
	Inputs  []tflite.TensorSpec
	Outputs []tflite.TensorSpec
}

// Settings returns the Server's configuration with every default filled
// in. The Source and Logger are shared, not copied.
func (s *Server) Settings() Config { return s.cfg }

// Describe resolves ref (loading the model when it is not warm, under the
// default deadline) and returns its signature.
func (s *Server) Describe(ctx context.Context, ref Ref) (*ModelInfo, error) {
	ctx, cancel := s.withDeadline(ctx, 0)
	defer cancel()
	l, err := s.acquire(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	return &ModelInfo{Name: l.Name, Version: l.Version, Inputs: l.Model.Inputs(), Outputs: l.Model.Outputs()}, nil
}

// Status returns the repository entry of ref.Model, narrowed to the
// version or label ref names (ErrNotFound when there is none).
func (s *Server) Status(ctx context.Context, ref Ref) (ModelStatus, error) {
	if err := CheckModelName(ref.Model); err != nil {
		return ModelStatus{}, err
	}
	ms, err := s.findStatus(ctx, ref)
	if err != nil {
		return ms, err
	}
	for i := range ms.Versions {
		ms.Versions[i].Reason = publicReason(ms.Versions[i])
	}
	ms.Reason = cut(ms.Reason, maxMessage)
	return ms, nil
}

// ModelReady returns nil when ref has a servable version, else an error
// wrapping ErrNotFound or ErrUnavailable that says why (as GET
// /v2/models/{m}/ready).
func (s *Server) ModelReady(ctx context.Context, ref Ref) error {
	ms, err := s.Status(ctx, ref)
	if err != nil {
		return err
	}
	for _, vs := range ms.Versions {
		if vs.State != "UNAVAILABLE" {
			return nil
		}
	}
	if ms.Reason != "" {
		return fmt.Errorf("%w: model %q: %s", ErrUnavailable, clip(ref.Model), ms.Reason)
	}
	return fmt.Errorf("%w: model %q has no servable version", ErrUnavailable, clip(ref.Model))
}

// Repository lists the repository for the admin index. It does not check
// Config.EnableAdmin or the admin token: the caller's transport does.
func (s *Server) Repository(ctx context.Context) ([]ModelStatus, error) {
	idx, err := s.cfg.Source.Index(ctx)
	if err != nil {
		return nil, hide(err, nil, "serving: listing the repository failed")
	}
	for i := range idx {
		for j := range idx[i].Versions {
			idx[i].Versions[j].Reason = publicReason(idx[i].Versions[j])
		}
		idx[i].Reason = cut(idx[i].Reason, maxMessage)
	}
	return idx, nil
}

// LoadModel loads (or, with unload, unloads) a model through the source's
// ModelLoader, as POST /v2/repository/models/{m}/load|unload. Like
// Repository it leaves the admin checks to the caller.
func (s *Server) LoadModel(ctx context.Context, name string, unload bool) error {
	ref := Ref{Model: name}
	if err := CheckModelName(name); err != nil {
		return err
	}
	ld, ok := s.cfg.Source.(ModelLoader)
	if !ok {
		return fmt.Errorf("%w: this model source cannot load or unload on request", ErrUnimplemented)
	}
	ctx, cancel := s.withDeadline(ctx, 0)
	defer cancel()
	var err error
	if unload {
		err = ld.Unload(ctx, name)
	} else {
		err = ld.Load(ctx, name)
	}
	if err != nil {
		return sourceError(err, ref)
	}
	return nil
}

// ReserveMemory charges n bytes to the Server's memory budget
// (Config.MemoryBudget) for a request to model: a LimitError when n alone
// exceeds the budget, ErrOverloaded while others hold it. release returns
// the bytes; call it exactly once when err is nil.
func (s *Server) ReserveMemory(model string, n int64) (release func(), err error) {
	ch := s.newCharge(model)
	if err := ch.add(n); err != nil {
		return nil, err
	}
	return ch.release, nil
}

// ObserveRequest records one finished inference request in the metrics
// (edgeinfer_requests_total and edgeinfer_request_seconds), labelled with
// the HTTP status code its error maps to, so that every front end counts
// alike.
func (s *Server) ObserveRequest(model string, err error, start time.Time) {
	s.observe(model, httpStatus(err), start)
}

// PublicError returns the message a client may see for err (a 500's is
// "internal error"), and logs the full cause at the level the HTTP API
// would, with the given request ID and method.
func (s *Server) PublicError(ctx context.Context, requestID, method string, err error) string {
	code := httpStatus(err)
	lvl := slog.LevelInfo
	if code == http.StatusTooManyRequests {
		lvl = slog.LevelDebug
	}
	if code >= 500 && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout {
		lvl = slog.LevelError
	}
	if s.log.Enabled(ctx, lvl) {
		s.log.Log(ctx, lvl, "request failed", "request_id", requestID, "method", method, "status", code, "err", cut(errDetail(err), maxLogErr))
	}
	return publicMessage(err, code)
}

// NewRequestID returns a fresh request ID of the Server's form.
func (s *Server) NewRequestID() string {
	return s.idPrefix + strconv.FormatUint(s.reqID.Add(1), 36)
}
