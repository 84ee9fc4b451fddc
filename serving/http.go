package serving

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxNameLen is the longest model name accepted.
const MaxNameLen = 128

// CheckModelName returns an error wrapping ErrInvalid unless name is a
// plain model name: 1 to MaxNameLen characters from [A-Za-z0-9._-], not
// starting with '.' or '-'. Such a name can never leave the repository.
func CheckModelName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: model name must be 1 to %d characters", ErrInvalid, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' ||
			(i > 0 && (c == '.' || c == '-'))
		if !ok {
			return fmt.Errorf("%w: model name %q: only letters, digits, '_', and (not first) '.' and '-' are allowed", ErrInvalid, name)
		}
	}
	return nil
}

func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/health/live", s.handleLive)
	mux.HandleFunc("GET /v2/health/ready", s.handleReady)
	mux.HandleFunc("GET /v2", s.handleV2Server)
	mux.HandleFunc("GET /v2/models/{model}", s.handleV2Model)
	mux.HandleFunc("GET /v2/models/{model}/versions/{version}", s.handleV2Model)
	mux.HandleFunc("GET /v2/models/{model}/ready", s.handleV2ModelReady)
	mux.HandleFunc("GET /v2/models/{model}/versions/{version}/ready", s.handleV2ModelReady)
	mux.HandleFunc("POST /v2/models/{model}/infer", s.handleV2Infer)
	mux.HandleFunc("POST /v2/models/{model}/versions/{version}/infer", s.handleV2Infer)
	mux.HandleFunc("POST /v2/repository/index", s.handleV2Index)
	mux.HandleFunc("POST /v2/repository/models/{model}/load", s.handleV2Load)
	mux.HandleFunc("POST /v2/repository/models/{model}/unload", s.handleV2Load)
	mux.HandleFunc("/v1/models/", s.handleV1)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{}))
	s.mux = mux
}

// ServeHTTP serves the TensorFlow Serving REST API under /v1, the Open
// Inference Protocol V2 under /v2, and Prometheus metrics at /metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 128 {
		id = s.idPrefix + strconv.FormatUint(s.reqID.Add(1), 36)
	}
	w.Header().Set("X-Request-Id", id)
	if s.cfg.AuthToken != "" && !strings.HasPrefix(r.URL.Path, "/v2/health/") {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AuthToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="edgeinfer"`)
			s.writeError(w, r, fmt.Errorf("%w: missing or wrong bearer token", ErrUnauthorized))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// logger returns the Server's logger with the request's ID (as set on the
// response by ServeHTTP).
func (s *Server) logger(w http.ResponseWriter) *slog.Logger {
	return s.log.With("request_id", w.Header().Get("X-Request-Id"))
}

func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	if !s.Live() {
		s.writeError(w, r, fmt.Errorf("%w: shutting down", ErrUnavailable))
		return
	}
	s.writeJSON(w, r, http.StatusOK, []byte(`{"live":true}`))
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if !s.Ready() {
		s.writeError(w, r, fmt.Errorf("%w: not ready (warming, draining or a run is stalled)", ErrUnavailable))
		return
	}
	s.writeJSON(w, r, http.StatusOK, []byte(`{"ready":true}`))
}

// readBody reads the request body under MaxBodyBytes, undoes gzip or zstd
// Content-Encoding under MaxDecodedBytes, and returns the bytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	var src io.Reader = body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, s.bodyError(err, "gzip")
		}
		defer zr.Close()
		src = zr
	case "zstd":
		zr, err := zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(uint64(s.cfg.MaxDecodedBytes)), zstd.WithDecoderMaxWindow(uint64(min(s.cfg.MaxDecodedBytes, 64<<20))))
		if err != nil {
			return nil, s.bodyError(err, "zstd")
		}
		defer zr.Close()
		src = zr
	default:
		return nil, fmt.Errorf("%w: Content-Encoding %q is not supported (use gzip or zstd)", ErrInvalid, enc)
	}
	if src == io.Reader(body) && r.ContentLength >= 0 && r.ContentLength <= min(s.cfg.MaxBodyBytes, s.cfg.MaxDecodedBytes) {
		// The length is known and within the limits: one exact read (the
		// server's body reader stops at Content-Length).
		b := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, s.bodyError(err, "body")
		}
		return b, nil
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(src, s.cfg.MaxDecodedBytes+1))
	if err != nil {
		return nil, s.bodyError(err, "body")
	}
	if n > s.cfg.MaxDecodedBytes {
		return nil, &LimitError{Limit: "MaxDecodedBytes", Max: s.cfg.MaxDecodedBytes}
	}
	return buf.Bytes(), nil
}

func (s *Server) bodyError(err error, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &LimitError{Limit: "MaxBodyBytes", Max: s.cfg.MaxBodyBytes}
	}
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return &LimitError{Limit: "MaxDecodedBytes", Max: s.cfg.MaxDecodedBytes}
	}
	return fmt.Errorf("%w: reading %s: %v", ErrInvalid, what, err)
}

// requestTimeout returns the timeout a request asks for in its headers:
// Grpc-Timeout ("100m", "2S": value and unit H M S m u n) or
// X-Request-Timeout (a Go duration, or seconds). 0 means none.
func requestTimeout(h http.Header) (time.Duration, error) {
	if v := h.Get("X-Request-Timeout"); v != "" {
		return parseTimeout(v)
	}
	if v := h.Get("Grpc-Timeout"); v != "" {
		if len(v) < 2 || len(v) > 9 {
			return 0, fmt.Errorf("%w: Grpc-Timeout %q", ErrInvalid, v)
		}
		n, err := strconv.ParseInt(v[:len(v)-1], 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%w: Grpc-Timeout %q", ErrInvalid, v)
		}
		unit := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second, 'm': time.Millisecond, 'u': time.Microsecond, 'n': 1}[v[len(v)-1]]
		if unit == 0 {
			return 0, fmt.Errorf("%w: Grpc-Timeout %q has an unknown unit", ErrInvalid, v)
		}
		return time.Duration(n) * unit, nil
	}
	return 0, nil
}

// parseTimeout parses a Go duration ("250ms") or a number of seconds.
func parseTimeout(v string) (time.Duration, error) {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 1e9 {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("%w: timeout %q is not a positive duration", ErrInvalid, v)
}

// writeError writes {"error": "..."} with the status the error maps to.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := httpStatus(err)
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.cfg.RetryAfter/time.Second))))
	}
	lvl := slog.LevelInfo
	if code == http.StatusTooManyRequests {
		lvl = slog.LevelDebug // shedding is counted in edgeinfer_shed_total; a line each would flood
	}
	if code >= 500 && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout {
		lvl = slog.LevelError
	}
	s.logger(w).Log(r.Context(), lvl, "request failed", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
	b := append([]byte(`{"error":`), quoteJSON(err.Error())...)
	b = append(b, '}')
	s.writeJSON(w, r, code, b)
}

// quoteJSON returns s as a JSON string literal.
func quoteJSON(s string) []byte {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c < 0x20:
			b = append(b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// writeJSON writes a JSON body.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	s.writeBody(w, r, code, body)
}

// writeBody writes body, compressed with zstd or gzip when the client
// accepts it and the body is large enough to gain.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, code int, body []byte) {
	h := w.Header()
	if len(body) >= 1024 {
		switch acceptEncoding(r.Header.Get("Accept-Encoding")) {
		case "zstd":
			if enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest)); err == nil {
				body = enc.EncodeAll(body, make([]byte, 0, len(body)/2))
				h.Set("Content-Encoding", "zstd")
			}
		case "gzip":
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			zw.Write(body)
			zw.Close()
			body = buf.Bytes()
			h.Set("Content-Encoding", "gzip")
		}
		h.Add("Vary", "Accept-Encoding")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

// acceptEncoding picks zstd or gzip from an Accept-Encoding header, or "".
func acceptEncoding(h string) string {
	best := ""
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				continue
			}
		}
		switch name {
		case "zstd":
			return "zstd"
		case "gzip":
			best = "gzip"
		}
	}
	return best
}

// setTiming adds a Server-Timing header with where the request spent its
// time (queue, batch wait, engine) and the batch it ran in.
func setTiming(w http.ResponseWriter, t Timing) {
	w.Header().Set("Server-Timing", fmt.Sprintf("queue;dur=%.3f, batch;dur=%.3f;desc=\"%d items\", compute;dur=%.3f",
		t.Queue.Seconds()*1e3, t.BatchWait.Seconds()*1e3, t.BatchSize, t.Compute.Seconds()*1e3))
}

// logDone logs a served inference request at debug level.
func (s *Server) logDone(w http.ResponseWriter, r *http.Request, resp *Response, start time.Time) {
	if !s.log.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	s.logger(w).Debug("inference", "model", resp.Model, "version", resp.Version, "duration", time.Since(start),
		"queue", resp.Timing.Queue, "batch_wait", resp.Timing.BatchWait, "compute", resp.Timing.Compute, "batch", resp.Timing.BatchSize)
}

// observe records the outcome of one inference request in the metrics.
func (s *Server) observe(model string, err error, start time.Time) {
	if model == "" {
		model = "_unknown"
	}
	s.met.requests.WithLabelValues(model, strconv.Itoa(httpStatus(err))).Inc()
	if err == nil {
		s.met.latency.WithLabelValues(model).Observe(time.Since(start).Seconds())
	}
}
