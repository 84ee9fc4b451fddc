package serving

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// respWriter records what a handler answered, for the metrics and for
// the panic recovery of ServeHTTP.
type respWriter struct {
	http.ResponseWriter
	status int    // 0 until the header is written
	infer  bool   // an inference request: counted in edgeinfer_requests_total
	model  string // metrics label, once the model is resolved
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer net/http created.
func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// markInfer marks the request as an inference request for the metrics.
func markInfer(w http.ResponseWriter) {
	if rw, ok := w.(*respWriter); ok {
		rw.infer = true
	}
}

// markModel sets the model label of the request's metrics.
func markModel(w http.ResponseWriter, model string) {
	if rw, ok := w.(*respWriter); ok {
		rw.model = model
	}
}

// validRequestID reports whether a client's X-Request-Id may be used (and
// logged) as it is: 1 to 128 printable ASCII characters, no spaces.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// bearerToken returns the credentials of an Authorization header using
// the Bearer scheme, whose name is case-insensitive (RFC 7235).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// tokenOK reports whether r carries want as its bearer token.
func tokenOK(r *http.Request, want string) bool {
	got, ok := bearerToken(r.Header.Get("Authorization"))
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// isAdminPath reports whether p is one of the repository (admin)
// endpoints: index, load and unload.
func isAdminPath(p string) bool { return strings.HasPrefix(p, "/v2/repository/") }

// ServeHTTP serves the TensorFlow Serving REST API under /v1, the Open
// Inference Protocol V2 under /v2, and Prometheus metrics at /metrics. A
// handler that panics is answered with a stable 500 (when nothing was
// written yet), logged with its request ID and stack, and counted as a
// 500; the server keeps serving.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = s.idPrefix + strconv.FormatUint(s.reqID.Add(1), 36)
	}
	w.Header().Set("X-Request-Id", id)
	if s.draining.Load() {
		w.Header().Set("Connection", "close") // keep-alive clients reconnect elsewhere
	}
	rw := &respWriter{ResponseWriter: w}
	defer s.finish(rw, r, start)
	if err := s.authorize(r); err != nil {
		if errors.Is(err, ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="edgeinfer"`)
		}
		s.writeError(rw, r, err)
		return
	}
	s.mux.ServeHTTP(rw, r)
}

// authorize checks the request's credentials: the admin endpoints are
// disabled unless Config.EnableAdmin and need Config.AdminToken when it is
// set; everything else except /v2/health/* needs Config.AuthToken when it
// is set.
func (s *Server) authorize(r *http.Request) error {
	switch {
	case isAdminPath(r.URL.Path):
		if !s.cfg.EnableAdmin {
			return fmt.Errorf("%w: the repository API is disabled (enable it with --admin)", ErrForbidden)
		}
		if s.cfg.AdminToken != "" && !tokenOK(r, s.cfg.AdminToken) {
			return fmt.Errorf("%w: missing or wrong admin bearer token", ErrUnauthorized)
		}
	case strings.HasPrefix(r.URL.Path, "/v2/health/"):
	case s.cfg.AuthToken != "" && !tokenOK(r, s.cfg.AuthToken):
		return fmt.Errorf("%w: missing or wrong bearer token", ErrUnauthorized)
	}
	return nil
}

// finish runs after every request: it turns a handler panic into a 500
// and records inference requests in the metrics with the status actually
// sent.
func (s *Server) finish(rw *respWriter, r *http.Request, start time.Time) {
	if p := recover(); p != nil {
		if p == http.ErrAbortHandler {
			if rw.infer {
				s.observe(rw.model, StatusCanceled, start)
			}
			panic(p)
		}
		s.logger(rw).Error("handler panic", "method", r.Method, "path", clip(r.URL.Path),
			"panic", clip(fmt.Sprint(p)), "stack", string(debug.Stack()))
		if rw.status == 0 {
			h := rw.Header()
			for _, k := range []string{"Content-Encoding", "Inference-Header-Content-Length", "Server-Timing", "Vary"} {
				h.Del(k)
			}
			s.writeJSON(rw, r, http.StatusInternalServerError, []byte(`{"error":"internal error"}`))
		} else {
			// Part of an answer went out: cut the connection so that the
			// client cannot take it for a whole one.
			rw.status = http.StatusInternalServerError
			defer panic(http.ErrAbortHandler)
		}
	}
	if rw.infer {
		s.observe(rw.model, rw.status, start)
	}
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

// requestTimeout returns the timeout a request asks for in its headers:
// Grpc-Timeout ("100m", "2S": value and unit H M S m u n) or
// X-Request-Timeout (a Go duration, or seconds). 0 means none.
func requestTimeout(h http.Header) (time.Duration, error) {
	if v := h.Get("X-Request-Timeout"); v != "" {
		return parseTimeout(v)
	}
	if v := h.Get("Grpc-Timeout"); v != "" {
		if len(v) < 2 || len(v) > 9 {
			return 0, fmt.Errorf("%w: Grpc-Timeout %q", ErrInvalid, clip(v))
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

// maxMessage caps the error message of a response.
const maxMessage = 512

// maxLogErr caps the error text of a log line.
const maxLogErr = 2048

// publicMessage is what a client is told of err: a stable "internal
// error" for a 500 (the cause may name paths or engine internals, or be
// panic text), else the error's own text, which the request path builds
// from fixed words, model signatures and clipped client input only;
// errors from the model source and the engine are hidden behind stable
// messages where they enter the request path (see hide).
func publicMessage(err error, code int) string {
	if code == http.StatusInternalServerError {
		return "internal error"
	}
	return cut(err.Error(), maxMessage)
}

// cut returns s cut to n bytes on a rune boundary, marked when cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// writeError writes {"error": "..."} with the status the error maps to,
// and logs the full cause with the request ID.
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
	if s.log.Enabled(r.Context(), lvl) {
		s.logger(w).Log(r.Context(), lvl, "request failed", "method", r.Method, "path", clip(r.URL.Path), "status", code, "err", cut(errDetail(err), maxLogErr))
	}
	b := append([]byte(`{"error":`), quoteJSON(publicMessage(err, code))...)
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
func (s *Server) observe(model string, code int, start time.Time) {
	if model == "" {
		model = "_unknown"
	}
	if code == 0 {
		code = http.StatusOK // the handler wrote nothing: net/http sends an empty 200
	}
	s.met.requests.WithLabelValues(model, strconv.Itoa(code)).Inc()
	if code == http.StatusOK {
		s.met.latency.WithLabelValues(model).Observe(time.Since(start).Seconds())
	}
}
