package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// repoFlags are the settings that open a model repository (serve and
// check-repo).
type repoFlags struct {
	s3Endpoint  string
	s3PathStyle bool
}

// openRepository opens the repository at root: a directory (symbolic
// links in the path resolved) or s3://bucket/prefix, whose credentials are
// checked first so that a missing setting is one clear line. The caller
// must close the store.
func openRepository(ctx context.Context, root string, f repoFlags) (*objstore.Store, *modelcache.Repository, error) {
	switch {
	case strings.HasPrefix(root, "s3://"):
		if err := checkS3Credentials(ctx, root, f.s3Endpoint); err != nil {
			return nil, nil, err
		}
	case !strings.Contains(root, "://"):
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, nil, err
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("model repository %s is not a directory (`make models` or `edgeinfer examples --out %s` writes the examples)", abs, root)
		}
		// The reader does not follow links: resolve them in the root
		// itself, as `--models ./models` pointing at a link is common.
		if root, err = filepath.EvalSymlinks(abs); err != nil {
			return nil, nil, err
		}
	}
	store, err := objstore.New(objstore.Options{S3Endpoint: f.s3Endpoint, S3PathStyle: f.s3PathStyle})
	if err != nil {
		return nil, nil, err
	}
	repo, err := modelcache.NewRepository(store, root)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, repo, nil
}

// checkS3Credentials asks the AWS default chain (environment, shared
// files, container and instance roles) for credentials, quietly and within
// a few seconds, and returns one line naming what to set when it finds
// none.
func checkS3Credentials(ctx context.Context, root, endpoint string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
	if err == nil {
		_, err = cfg.Credentials.Retrieve(ctx)
	}
	if err == nil {
		return nil
	}
	var missing []string
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		if os.Getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	msg := fmt.Sprintf("%s: no AWS credentials found", root)
	if len(missing) > 0 {
		msg += " (unset: " + strings.Join(missing, ", ") + ")"
	}
	msg += ": set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, or AWS_PROFILE, or run with an instance or container role"
	if endpoint == "" {
		msg += "; for an S3-compatible server also pass --s3-endpoint URL --s3-path-style"
	}
	return errors.New(msg)
}

// logScan logs what a scan found: one line per model (versions, sizes,
// config), one per model that cannot serve (the reason and the fix), one
// per entry skipped (the reason and the fix), and a total.
func logScan(log *slog.Logger, root string, res *modelcache.ScanResult) {
	unavailable, problems := 0, 0
	for _, m := range res.Models {
		if m.Err != nil {
			unavailable++
			log.Error("model unavailable", "model", m.Name, "detail", m.Summary(), "err", m.Err.Error(),
				"fix", "correct "+m.Name+"/"+modelcache.ConfigFile+"; it is read again on the next request for the model")
			continue
		}
		log.Info("model", "model", m.Name, "detail", m.Summary())
	}
	for _, sk := range res.Skipped {
		path := sk.Path
		if path == "" {
			problems++
			log.Warn("repository serves nothing", "root", root, "reason", sk.Reason, "fix", sk.Fix)
			continue
		}
		if sk.Problem {
			problems++
			log.Warn("skipped", "path", path, "reason", sk.Reason, "fix", sk.Fix)
		} else {
			log.Info("ignored", "path", path, "reason", sk.Reason)
		}
	}
	log.Info("repository scanned", "root", root, "models", len(res.Models)-unavailable, "unavailable", unavailable, "problems", problems)
}

// scanKey is a digest of what logScan would say, to log again only when
// something changed.
func scanKey(res *modelcache.ScanResult) string {
	var b strings.Builder
	for _, m := range res.Models {
		b.WriteString(m.Name + " " + m.Summary())
		if m.Err != nil {
			b.WriteString(" " + m.Err.Error())
		}
		b.WriteByte('\n')
	}
	for _, sk := range res.Skipped {
		b.WriteString(sk.String() + "\n")
	}
	return b.String()
}

// rescan scans the repository every interval until ctx ends, and logs the
// scan again whenever its result changed. A scan that fails, or panics (a
// bug reached through the store: logged with its stack), is logged and
// tried again at the next tick; the server keeps serving what it has.
func rescan(ctx context.Context, log *slog.Logger, repo *modelcache.Repository, interval time.Duration, last *modelcache.ScanResult) {
	t := time.NewTicker(interval)
	defer t.Stop()
	prev := scanKey(last)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		prev = rescanOnce(ctx, log, repo, prev)
	}
}

// rescanOnce scans the repository once, logs the result when its key
// differs from prev, and returns the key now current.
func rescanOnce(ctx context.Context, log *slog.Logger, repo *modelcache.Repository, prev string) (key string) {
	key = prev
	defer func() {
		if p := recover(); p != nil {
			log.Error("rescan failed", "root", repo.Root(), "err", fmt.Sprintf("panic: %v", p), "panic", true, "stack", string(debug.Stack()))
		}
	}()
	res, err := repo.Scan(ctx)
	if err != nil {
		var pe *modelcache.PanicError
		switch {
		case errors.As(err, &pe):
			log.Error("rescan failed", "root", repo.Root(), "err", err, "panic", true, "stack", string(pe.Stack))
		case ctx.Err() == nil:
			log.Warn("rescan failed", "root", repo.Root(), "err", err)
		}
		return prev
	}
	if k := scanKey(res); k != prev {
		log.Info("repository changed", "root", repo.Root())
		logScan(log, repo.Root(), res)
		return k
	}
	return prev
}
