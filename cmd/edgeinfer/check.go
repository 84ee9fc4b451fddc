package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/tflite"
)

func registerCheckRepo(m map[string]command) {
	m["check-repo"] = command{
		synopsis: "[--s3-endpoint URL] [--s3-path-style] [--max-model-bytes 1GiB] DIR|s3://bucket/prefix",
		summary:  "validate a model repository (layout, config.json, every model file loads and runs); exit 1 listing every problem",
		run:      runCheckRepo,
	}
}

func runCheckRepo(ctx context.Context, args []string) error {
	fs := newFlags("check-repo")
	var rf repoFlags
	fs.StringVar(&rf.s3Endpoint, "s3-endpoint", os.Getenv("EDGEINFER_S3_ENDPOINT"), "S3 endpoint for an S3-compatible server (default $EDGEINFER_S3_ENDPOINT)")
	fs.BoolVar(&rf.s3PathStyle, "s3-path-style", os.Getenv("EDGEINFER_S3_PATH_STYLE") == "1", "address S3 buckets path-style (default $EDGEINFER_S3_PATH_STYLE=1)")
	maxModel := byteSize(modelcache.DefaultMaxBytes)
	fs.Var(&maxModel, "max-model-bytes", "largest model file read, decompressed: a `size` (the serve default is --cache-bytes)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one repository (a directory or s3://bucket/prefix), got %d arguments", len(pos))
	}
	if maxModel <= 0 {
		return usagef("--max-model-bytes must be positive")
	}
	store, repo, err := openRepository(ctx, pos[0], rf)
	if err != nil {
		return err
	}
	defer store.Close()
	return checkRepository(ctx, os.Stdout, repo, int64(maxModel))
}

// checkRepository validates repo and writes what it finds to w, one line
// per model version and per problem: the layout (Scan), each config.json,
// and for every version of every model whose config is valid that the
// file reads (within limit, matching its recorded sha256), loads, and runs
// max(1, warmup_runs) times on zero inputs. It returns an error counting
// the problems, nil when there are none.
func checkRepository(ctx context.Context, w io.Writer, repo *modelcache.Repository, limit int64) error {
	res, err := repo.Scan(ctx)
	if err != nil {
		return err
	}
	problems := res.Problems()
	for _, p := range problems {
		fmt.Fprintln(w, "FAIL  "+p)
	}
	versions := 0
	for _, m := range res.Models {
		if m.Err != nil {
			continue
		}
		for _, vi := range m.Versions {
			versions++
			rel := strings.TrimPrefix(vi.URL, repo.Root())
			line, err := checkVersion(ctx, repo, m, vi, limit)
			if err != nil {
				p := rel + ": " + oneLine(err)
				problems = append(problems, p)
				fmt.Fprintln(w, "FAIL  "+p)
				continue
			}
			fmt.Fprintln(w, "ok    "+rel+": "+line)
		}
	}
	for _, sk := range res.Skipped {
		if !sk.Problem {
			fmt.Fprintln(w, "note  "+sk.String())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", repo.Root(), plural(len(problems), "problem"))
	}
	fmt.Fprintf(w, "%s: %s, %s, no problems\n", repo.Root(), plural(len(res.Models), "model"), plural(versions, "version"))
	return nil
}

// checkVersion reads, loads and runs one model version and describes it.
func checkVersion(ctx context.Context, repo *modelcache.Repository, m *modelcache.ModelInfo, vi modelcache.VersionInfo, limit int64) (string, error) {
	data, err := repo.ReadVersion(ctx, m, vi, limit)
	if err != nil {
		return "", err
	}
	mod, err := tflite.Load(data)
	if err != nil {
		return "", fmt.Errorf("does not load: %w", err)
	}
	runs := max(1, m.Config.WarmupRuns)
	if err := modelcache.RunZeros(ctx, mod, runs); err != nil {
		return "", fmt.Errorf("loads but does not run: %w", err)
	}
	return fmt.Sprintf("%s, %s, %s per run, loads and runs (%s on zero inputs)",
		humanBytes(int64(len(data))), plural(len(mod.Operators()), "operator"), macString(mod.MACs()), plural(runs, "run")), nil
}
