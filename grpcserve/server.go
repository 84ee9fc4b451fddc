package grpcserve

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/edgeinfer/edgeinfer/grpcserve/pb/inference"
	"github.com/edgeinfer/edgeinfer/grpcserve/pb/tfserving"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Options configures a Server. Zero fields take the defaults in their
// comments.
type Options struct {
	// MaxRecvMsgSize caps one request message (default the core's
	// MaxBodyBytes, 64 MiB unless configured). A larger one is refused
	// with RESOURCE_EXHAUSTED before it is read whole.
	MaxRecvMsgSize int
	// MaxSendMsgSize caps one response message (default 64 MiB).
	MaxSendMsgSize int
	// MaxConcurrentStreams caps the RPCs in flight on one connection
	// (default 256).
	MaxConcurrentStreams uint32
}

// Server is the gRPC front end of a serving.Server. Create it with New;
// serve with Serve; stop with GracefulStop or Stop.
type Server struct {
	core *serving.Server
	cfg  serving.Config // the core's settings, defaults filled in
	opts Options
	srv  *grpc.Server
}

// authKind says which credentials an RPC needs.
type authKind int

const (
	authUser  authKind = iota // Config.AuthToken when set
	authNone                  // health: none
	authAdmin                 // repository RPCs
)

// methodAuth returns what fullMethod needs.
func methodAuth(fullMethod string) authKind {
	switch {
	case strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/"),
		fullMethod == inference.GRPCInferenceService_ServerLive_FullMethodName,
		fullMethod == inference.GRPCInferenceService_ServerReady_FullMethodName:
		return authNone
	case strings.HasPrefix(fullMethod, "/inference.GRPCInferenceService/Repository"):
		return authAdmin
	}
	return authUser
}

// New returns a gRPC server over core with every service registered:
// inference.GRPCInferenceService, tensorflow.serving.PredictionService and
// ModelService, grpc.health.v1.Health and server reflection.
func New(core *serving.Server, opts Options) (*Server, error) {
	if core == nil {
		return nil, errors.New("grpcserve: nil serving.Server")
	}
	cfg := core.Settings()
	if opts.MaxRecvMsgSize < 0 || opts.MaxSendMsgSize < 0 {
		return nil, fmt.Errorf("grpcserve: negative message size limit")
	}
	if opts.MaxRecvMsgSize == 0 {
		opts.MaxRecvMsgSize = int(min(cfg.MaxBodyBytes, 1<<31-1))
	}
	if opts.MaxSendMsgSize == 0 {
		opts.MaxSendMsgSize = 64 << 20
	}
	if opts.MaxConcurrentStreams == 0 {
		opts.MaxConcurrentStreams = 256
	}
	s := &Server{core: core, cfg: cfg, opts: opts}
	s.srv = grpc.NewServer(
		grpc.MaxRecvMsgSize(opts.MaxRecvMsgSize),
		grpc.MaxSendMsgSize(opts.MaxSendMsgSize),
		grpc.MaxConcurrentStreams(opts.MaxConcurrentStreams),
		// 1 MiB flow-control windows: a MobileNet-sized request (150 KB)
		// arrives without waiting for window updates (the default starts
		// at 64 KiB and grows only as gRPC estimates the bandwidth).
		grpc.InitialWindowSize(1<<20),
		grpc.InitialConnWindowSize(1<<20),
		grpc.ChainUnaryInterceptor(s.unary),
		grpc.ChainStreamInterceptor(s.stream),
	)
	inference.RegisterGRPCInferenceServiceServer(s.srv, &v2Service{s: s})
	tfserving.RegisterPredictionServiceServer(s.srv, &predictionService{s: s})
	tfserving.RegisterModelServiceServer(s.srv, &modelService{s: s})
	healthpb.RegisterHealthServer(s.srv, &healthService{s: s})
	reflection.Register(s.srv)
	return s, nil
}

// GRPC returns the underlying grpc.Server.
func (s *Server) GRPC() *grpc.Server { return s.srv }

// Serve accepts connections on lis until Stop or GracefulStop.
func (s *Server) Serve(lis net.Listener) error { return s.srv.Serve(lis) }

// GracefulStop stops accepting connections and waits for the RPCs in
// flight to end.
func (s *Server) GracefulStop() { s.srv.GracefulStop() }

// Stop closes every connection at once.
func (s *Server) Stop() { s.srv.Stop() }

// bearer returns the bearer token of the RPC's "authorization" metadata
// (scheme case-insensitive).
func bearer(ctx context.Context) (string, bool) {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || !strings.EqualFold(scheme, "bearer") {
			continue
		}
		if tok = strings.TrimSpace(tok); tok != "" {
			return tok, true
		}
	}
	return "", false
}

func tokenOK(ctx context.Context, want string) bool {
	got, ok := bearer(ctx)
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// authorize applies the HTTP API's rules to fullMethod.
func (s *Server) authorize(ctx context.Context, fullMethod string) error {
	switch methodAuth(fullMethod) {
	case authAdmin:
		if !s.cfg.EnableAdmin {
			return fmt.Errorf("%w: the repository API is disabled (enable it with --admin)", serving.ErrForbidden)
		}
		if s.cfg.AdminToken != "" && !tokenOK(ctx, s.cfg.AdminToken) {
			return fmt.Errorf("%w: missing or wrong admin bearer token", serving.ErrUnauthorized)
		}
	case authUser:
		if s.cfg.AuthToken != "" && !tokenOK(ctx, s.cfg.AuthToken) {
			return fmt.Errorf("%w: missing or wrong bearer token", serving.ErrUnauthorized)
		}
	}
	return nil
}

// requestID returns the client's x-request-id when it is a plain token,
// else a fresh one; it is sent back in the response header.
func (s *Server) requestID(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-request-id"); len(v) == 1 && len(v[0]) > 0 && len(v[0]) <= 128 {
		ok := true
		for _, c := range v[0] {
			if c <= ' ' || c > '~' {
				ok = false
				break
			}
		}
		if ok {
			return v[0]
		}
	}
	return s.core.NewRequestID()
}

type ridKey struct{}

// unary authorizes every unary RPC, tags it with a request ID, recovers
// a handler panic and turns errors into gRPC statuses.
func (s *Server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	id := s.requestID(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", id))
	ctx = context.WithValue(ctx, ridKey{}, id)
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("grpc handler panic", "request_id", id, "method", info.FullMethod,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	if err := s.authorize(ctx, info.FullMethod); err != nil {
		return nil, s.status(ctx, info.FullMethod, err)
	}
	resp, err = handler(ctx, req)
	if err != nil {
		if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok && !isCoreError(err) {
			return nil, err
		}
		return nil, s.status(ctx, info.FullMethod, err)
	}
	return resp, nil
}

// stream guards the streaming RPCs (health Watch, reflection).
func (s *Server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("grpc stream panic", "method", info.FullMethod, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	if err := s.authorize(ss.Context(), info.FullMethod); err != nil {
		return s.status(ss.Context(), info.FullMethod, err)
	}
	return handler(srv, ss)
}

// isCoreError reports whether err carries one of the core's sentinels or a
// context error (then it is mapped here, not passed through).
func isCoreError(err error) bool {
	for _, e := range []error{serving.ErrNotFound, serving.ErrInvalid, serving.ErrOverloaded, serving.ErrUnavailable,
		serving.ErrUnimplemented, serving.ErrLimit, serving.ErrUnauthorized, serving.ErrForbidden,
		context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Code maps an error of the serving core to its gRPC code (the mapping
// TensorFlow Serving's HTTP statuses are derived from).
func Code(err error) codes.Code {
	var le *serving.LimitError
	switch {
	case err == nil:
		return codes.OK
	case errors.As(err, &le):
		if le.Limit == "MaxElements" {
			return codes.InvalidArgument
		}
		return codes.ResourceExhausted
	case errors.Is(err, serving.ErrNotFound):
		return codes.NotFound
	case errors.Is(err, serving.ErrInvalid), errors.Is(err, tensor.ErrJSON), errors.Is(err, tensor.ErrJSONLimit),
		errors.Is(err, tensor.ErrShape), errors.Is(err, tflite.ErrInput):
		return codes.InvalidArgument
	case errors.Is(err, serving.ErrUnauthorized):
		return codes.Unauthenticated
	case errors.Is(err, serving.ErrForbidden):
		return codes.PermissionDenied
	case errors.Is(err, serving.ErrOverloaded):
		return codes.ResourceExhausted
	case errors.Is(err, serving.ErrUnavailable):
		return codes.Unavailable
	case errors.Is(err, serving.ErrUnimplemented), errors.Is(err, tflite.ErrUnsupported):
		return codes.Unimplemented
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Internal
}

// status turns err into a gRPC status with the core's public message;
// overload and unavailability carry a google.rpc.RetryInfo of the core's
// RetryAfter.
func (s *Server) status(ctx context.Context, method string, err error) error {
	id, _ := ctx.Value(ridKey{}).(string)
	code := Code(err)
	msg := s.core.PublicError(ctx, id, method, err)
	if code == codes.Internal {
		msg = "internal error"
	}
	st := status.New(code, msg)
	if (code == codes.ResourceExhausted && errors.Is(err, serving.ErrOverloaded)) || code == codes.Unavailable {
		if d, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(max(s.cfg.RetryAfter, time.Second))}); derr == nil {
			st = d
		}
	}
	return st.Err()
}

// timeout turns the RPC's deadline into the request's timeout (0: none
// given, the model's or the core's default applies). A deadline already
// past is DEADLINE_EXCEEDED.
func timeout(ctx context.Context) (time.Duration, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, nil
	}
	d := time.Until(dl)
	if d <= 0 {
		return 0, fmt.Errorf("serving: %w before the request started", context.DeadlineExceeded)
	}
	return d, nil
}

// healthService is grpc.health.v1.Health over the core's readiness.
type healthService struct {
	healthpb.UnimplementedHealthServer
	s *Server
}

// Check answers SERVING while the core is ready ("" and every service
// served here), NOT_SERVING while it warms, drains or is stalled.
func (h *healthService) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	switch req.GetService() {
	case "", "inference.GRPCInferenceService", "tensorflow.serving.PredictionService", "tensorflow.serving.ModelService":
	default:
		return nil, status.Errorf(codes.NotFound, "unknown service %q", clip(req.GetService()))
	}
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if h.s.core.Ready() {
		st = healthpb.HealthCheckResponse_SERVING
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// List answers the status of every service served here.
func (h *healthService) List(ctx context.Context, _ *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if h.s.core.Ready() {
		st = healthpb.HealthCheckResponse_SERVING
	}
	out := &healthpb.HealthListResponse{Statuses: map[string]*healthpb.HealthCheckResponse{}}
	for _, n := range []string{"", "inference.GRPCInferenceService", "tensorflow.serving.PredictionService", "tensorflow.serving.ModelService"} {
		out.Statuses[n] = &healthpb.HealthCheckResponse{Status: st}
	}
	return out, nil
}

// Watch is not served: poll Check.
func (h *healthService) Watch(*healthpb.HealthCheckRequest, healthpb.Health_WatchServer) error {
	return status.Error(codes.Unimplemented, "grpc.health.v1.Health/Watch is not supported by edgeinfer; poll Check")
}

// clip cuts client input echoed in a message.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "..."
}
