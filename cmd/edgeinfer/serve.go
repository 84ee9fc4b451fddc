package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/edgeinfer/edgeinfer/grpcserve"
	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/serving"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func registerServe(m map[string]command) {
	m["serve"] = command{
		synopsis: "[--models DIR|s3://bucket/prefix] [--addr 127.0.0.1:8080] [--cache-bytes 1GiB] [flags]",
		summary:  "serve a model repository over HTTP (TF Serving REST v1 and Open Inference Protocol v2)",
		run:      func(ctx context.Context, args []string) error { return runServe(ctx, args, nil) },
	}
}

// serveFlags are the settings of `edgeinfer serve`.
type serveFlags struct {
	repoFlags
	check                                         bool
	rescan                                        time.Duration
	models, addr, tokenFile, logFormat, preload   string
	grpcAddr                                      string
	grpcMaxMsg                                    byteSize
	cacheBytes, maxBody, maxDecoded, memoryBudget byteSize
	timeout, drain, drainWindow                   time.Duration
	readHeaderTimeout, readTimeout, idleTimeout   time.Duration
	concurrency, queue, threads, maxElements      int
	decoders                                      int
	maxImagePixels                                int64
	admin                                         bool
	adminTokenFile                                string
	maxModel, loadBudget                          byteSize
	loadBackoff, loadBackoffMax                   time.Duration
}

func parseServeFlags(args []string) (*serveFlags, error) {
	f := &serveFlags{}
	fs := newFlags("serve")
	fs.StringVar(&f.models, "models", "./models", "model repository: a directory or s3://bucket/prefix (layout <model>/<version>/model.tflite)")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address; the default accepts local connections only")
	fs.StringVar(&f.grpcAddr, "grpc-addr", "", "also serve gRPC (KServe V2 inference.GRPCInferenceService, TF Serving PredictionService and ModelService, health, reflection) on this address, e.g. 127.0.0.1:8081 (default: off)")
	fs.Var(&f.grpcMaxMsg, "grpc-max-msg-bytes", "largest gRPC request or response message: a `size` (0: --max-body-bytes)")
	fs.StringVar(&f.tokenFile, "auth-token-file", "", "file holding a bearer token every request except /v2/health/* must carry")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&f.check, "check", false, "validate the repository instead of serving (as `edgeinfer check-repo`): exit 0 when clean, 1 listing every problem")
	fs.DurationVar(&f.rescan, "rescan", time.Minute, "how often the repository is scanned again; what changed is logged (0: never)")
	fs.StringVar(&f.preload, "preload", "", "comma-separated models to load and warm before reporting ready (default: those whose config.json sets preload)")
	f.cacheBytes = modelcache.DefaultMaxBytes
	fs.Var(&f.cacheBytes, "cache-bytes", "memory budget of the warm model cache: a `size` in bytes or with a unit (512MiB, 1GiB, 2GB)")
	fs.Var(&f.maxModel, "max-model-bytes", "largest model file read, decompressed: a `size`; a larger stored file is refused before reading, a compressed one stops decoding there (0: --cache-bytes)")
	fs.Var(&f.loadBudget, "load-budget", "bytes of model files read, decompressed and loaded at once over all loads: a `size`; a plain file is charged its size, a compressed one --max-model-bytes, before reading, and loads wait their turn (0: --max-model-bytes)")
	fs.DurationVar(&f.loadBackoff, "load-backoff", modelcache.DefaultNegativeTTL, "how long a model version that failed to load is not tried again; doubles with each further failure")
	fs.DurationVar(&f.loadBackoffMax, "load-backoff-max", modelcache.DefaultMaxNegTTL, "the longest wait between loads of a version that keeps failing")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", os.Getenv("EDGEINFER_S3_ENDPOINT"), "S3 endpoint for an S3-compatible server, e.g. http://127.0.0.1:7070 (default $EDGEINFER_S3_ENDPOINT, else AWS's or $AWS_ENDPOINT_URL_S3)")
	fs.BoolVar(&f.s3PathStyle, "s3-path-style", os.Getenv("EDGEINFER_S3_PATH_STYLE") == "1", "address S3 buckets path-style (most S3-compatible servers need it; default $EDGEINFER_S3_PATH_STYLE=1)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "deadline of requests that give none and whose model config sets none")
	fs.DurationVar(&f.drain, "drain-timeout", 15*time.Second, "on shutdown, how long in-flight requests may take to finish")
	fs.IntVar(&f.concurrency, "max-concurrency", 0, "default runs in flight per model (0: GOMAXPROCS)")
	fs.IntVar(&f.threads, "threads", 0, "most intra-op threads one run may use when it runs alone; under load each run uses one (0: GOMAXPROCS, 1: off)")
	fs.IntVar(&f.queue, "max-queue", 0, "default requests waiting per model before 429 (0: 64)")
	f.maxBody = 64 << 20
	fs.Var(&f.maxBody, "max-body-bytes", "largest request body accepted, as sent: a `size` (64MiB, 1GiB); a larger Content-Length is refused (413) before reading")
	f.maxDecoded = 64 << 20
	fs.Var(&f.maxDecoded, "max-decoded-bytes", "largest request body once gzip/zstd Content-Encoding is undone, counted as it streams: a `size`")
	fs.IntVar(&f.maxElements, "max-elements", 1<<22, "most tensor elements one request may carry")
	fs.Int64Var(&f.maxImagePixels, "max-image-pixels", 64<<20, "most pixels an image input's header may declare; larger images are refused (413) before decoding")
	f.memoryBudget = 256 << 20
	fs.Var(&f.memoryBudget, "memory-budget", "bytes all requests in flight may hold for bodies, decoders, parsed JSON and tensors, charged before allocating (429 when in use, 413 when one request needs more): a `size`")
	fs.IntVar(&f.decoders, "decode-concurrency", 0, "most requests whose bodies (over 64 KiB) are parsed and decoded at once; an admitted request waits for a place until its deadline, then gets 429 (0: GOMAXPROCS-1, at least 1, so that a core stays free to admit and refuse requests under overload)")
	fs.DurationVar(&f.readHeaderTimeout, "read-header-timeout", 10*time.Second, "longest a client may take to send its request headers")
	fs.DurationVar(&f.readTimeout, "read-timeout", time.Minute, "longest a client may take to send a whole request, headers and body")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", time.Minute, "longest a keep-alive connection may stay idle between requests")
	fs.DurationVar(&f.drainWindow, "drain-window", 5*time.Second, "on shutdown, how long readiness reports not-ready (answers say Connection: close) before the listener closes, so that load balancers stop sending first")
	fs.BoolVar(&f.admin, "admin", false, "enable the repository API (POST /v2/repository/index, /v2/repository/models/{m}/load|unload); with --auth-token-file it needs --admin-token-file")
	fs.StringVar(&f.adminTokenFile, "admin-token-file", "", "file holding the bearer token the repository API needs (required with --admin and --auth-token-file)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 0 {
		return nil, usagef("serve takes no arguments, got %q (the repository is --models DIR)", pos)
	}
	if _, err := preloadList(&modelcache.ScanResult{}, f.preload); err != nil {
		return nil, err // a bad --preload is a usage error before anything runs
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return nil, usagef("--log-format must be text or json, not %q", f.logFormat)
	}
	if f.rescan < 0 {
		return nil, usagef("--rescan must not be negative")
	}
	if f.drain <= 0 || f.timeout <= 0 || f.cacheBytes <= 0 || f.maxBody <= 0 || f.maxDecoded <= 0 || f.maxElements <= 0 ||
		f.memoryBudget <= 0 || f.readHeaderTimeout <= 0 || f.readTimeout <= 0 || f.idleTimeout <= 0 {
		return nil, usagef("--drain-timeout, --timeout, --cache-bytes, --max-body-bytes, --max-decoded-bytes, --max-elements, --memory-budget, --read-header-timeout, --read-timeout and --idle-timeout must be positive")
	}
	if f.decoders < 0 {
		return nil, usagef("--decode-concurrency must not be negative")
	}
	if f.grpcMaxMsg < 0 || f.grpcMaxMsg > 2<<30-1 {
		return nil, usagef("--grpc-max-msg-bytes must be between 0 and 2GiB-1")
	}
	if f.drainWindow < 0 {
		return nil, usagef("--drain-window must not be negative")
	}
	if f.maxModel < 0 || f.loadBudget < 0 || f.loadBackoff <= 0 || f.loadBackoffMax <= 0 {
		return nil, usagef("--max-model-bytes and --load-budget must not be negative; --load-backoff and --load-backoff-max must be positive")
	}
	return f, nil
}

// runServe serves until ctx ends, then shuts down gracefully: readiness
// goes false, the listener closes, in-flight requests get --drain-timeout
// to finish. listening, when not nil, is called with the bound address.
func runServe(ctx context.Context, args []string, listening func(addr string)) error {
	f, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if f.logFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(h)
	token, err := readToken("--auth-token-file", f.tokenFile)
	if err != nil {
		return err
	}
	adminToken, err := readToken("--admin-token-file", f.adminTokenFile)
	if err != nil {
		return err
	}
	store, repo, err := openRepository(ctx, f.models, f.repoFlags)
	if err != nil {
		return err
	}
	defer store.Close()
	if f.check {
		return checkRepository(ctx, os.Stdout, repo, cmp.Or(int64(f.maxModel), int64(f.cacheBytes)))
	}
	root := repo.Root()
	scan, err := repo.Scan(ctx)
	if err != nil {
		return err
	}
	logScan(log, root, scan)
	cache, err := modelcache.New(repo, modelcache.Options[*tflite.Model]{MaxBytes: int64(f.cacheBytes), MaxModelBytes: int64(f.maxModel), LoadBudget: int64(f.loadBudget),
		NegativeTTL: f.loadBackoff, MaxNegativeTTL: f.loadBackoffMax, Logger: log})
	if err != nil {
		return err
	}
	defer cache.Close()
	src, err := serving.NewCacheSource(cache, repo)
	if err != nil {
		return err
	}
	preload, err := preloadList(scan, f.preload)
	if err != nil {
		return err
	}
	srv, err := serving.New(serving.Config{
		Source: src, Logger: log, Preload: preload, AuthToken: token,
		EnableAdmin: f.admin, AdminToken: adminToken,
		DefaultTimeout: f.timeout, MaxConcurrency: f.concurrency, MaxQueue: f.queue,
		MaxBodyBytes: int64(f.maxBody), MaxDecodedBytes: int64(f.maxDecoded), MaxElements: f.maxElements, MemoryBudget: int64(f.memoryBudget),
		MaxImagePixels:    f.maxImagePixels,
		ReadHeaderTimeout: f.readHeaderTimeout, ReadTimeout: f.readTimeout, IdleTimeout: f.idleTimeout,
		IntraOpThreads: f.threads, DecodeConcurrency: f.decoders,
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	hs := srv.HTTPServer(f.addr, slog.NewLogLogger(h, slog.LevelWarn))
	served := make(chan error, 2)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "models", root, "preload", preload, "auth", token != "", "admin", f.admin)
	var gs *grpcserve.Server
	if f.grpcAddr != "" {
		glis, err := net.Listen("tcp", f.grpcAddr)
		if err != nil {
			hs.Close()
			return fmt.Errorf("--grpc-addr: %w", err)
		}
		maxMsg := int(cmp.Or(int64(f.grpcMaxMsg), int64(f.maxBody), 64<<20))
		gs, err = grpcserve.New(srv, grpcserve.Options{MaxRecvMsgSize: maxMsg, MaxSendMsgSize: maxMsg})
		if err != nil {
			glis.Close()
			hs.Close()
			return err
		}
		go func() { served <- gs.Serve(glis) }()
		log.Info("listening (gRPC)", "addr", glis.Addr().String())
	}
	if listening != nil {
		listening(ln.Addr().String())
	}
	// A model that fails to preload is logged once by Preload and answers
	// its own error; one broken model must not keep the others from
	// serving.
	_ = srv.Preload(ctx)
	if ctx.Err() == nil {
		log.Info("ready")
	}
	if f.rescan > 0 {
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		go rescan(rctx, log, repo, f.rescan, scan)
	}
	select {
	case err := <-served:
		if gs != nil {
			gs.Stop()
		}
		hs.Close()
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	return shutdown(hs, gs, srv, log, f.drainWindow, f.drain)
}

// readToken reads a bearer token from a file ("" when file is "").
func readToken(flagName, file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flagName, err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("%s %s is empty", flagName, file)
	}
	return token, nil
}

// shutdown drains: readiness goes false and answers tell keep-alive
// clients to close for window (load balancers stop sending), then the
// listener closes and in-flight requests get drain to finish before
// connections are cut.
func shutdown(hs *http.Server, gs *grpcserve.Server, srv *serving.Server, log *slog.Logger, window, drain time.Duration) error {
	srv.Drain()
	log.Info("shutting down: not ready", "drain_window", window, "drain", drain)
	time.Sleep(window)
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	grpcDone := make(chan struct{})
	go func() {
		defer close(grpcDone)
		if gs == nil {
			return
		}
		stopped := make(chan struct{})
		go func() { gs.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-ctx.Done():
			gs.Stop()
		}
	}()
	err := hs.Shutdown(ctx)
	if err != nil {
		log.Warn("drain bound reached; closing connections", "err", err)
		hs.Close()
	}
	<-grpcDone
	srv.Close()
	log.Info("stopped")
	return nil
}

// preloadList returns the models named by --preload, or else those whose
// config.json sets preload.
func preloadList(scan *modelcache.ScanResult, flagValue string) ([]string, error) {
	if flagValue != "" {
		var out []string
		for n := range strings.SplitSeq(flagValue, ",") {
			if n = strings.TrimSpace(n); n != "" {
				if err := serving.CheckModelName(n); err != nil {
					return nil, usagef("--preload: %s", strings.TrimPrefix(err.Error(), serving.ErrInvalid.Error()+": "))
				}
				out = append(out, n)
			}
		}
		return out, nil
	}
	var out []string
	for _, m := range scan.Models {
		if m.Err == nil && m.Config.Preload {
			out = append(out, m.Name)
		}
	}
	return out, nil
}
