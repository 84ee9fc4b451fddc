package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/examples"
)

// brokenRepo writes the example repository with the mistakes of issue 15:
// a config.json with a syntax error, a misnamed model file, a model file
// that is not a model, and a README.
func brokenRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	ms, err := examples.Models()
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string][]byte{
		"linear/config.json":            []byte(`{"max_batch_size": 16, "batch_delay_ms": 2,}`),
		"person/1/person_detect.tflite": ms[0].TFLite,
		"text/1/model.tflite":           []byte("not a model\n"),
		"README.md":                     []byte("models\n"),
	} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runCLI(t *testing.T, bin string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	case err != nil:
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestCheckRepo(t *testing.T) {
	bin := buildCLI(t)
	good := t.TempDir()
	if err := examples.Write(good); err != nil {
		t.Fatal(err)
	}
	bad := brokenRepo(t)
	wantProblems := []string{
		`FAIL  linear/: model unavailable: modelcache: config.json of model "linear": invalid JSON at line 1, column 44`,
		"FAIL  person/1/person_detect.tflite: not a model file name: the server reads model.tflite, model.tflite.zst, model.tflite.gz; fix: rename it to person/1/model.tflite",
		"FAIL  person/: no version directory holds a model file",
		"FAIL  text/1/model.tflite: does not load: tflite: invalid model",
		"ok    tiny_cnn/1/model.tflite: 2.4 KiB, 4 operators, 2316 MAC per run, loads and runs (1 run on zero inputs)",
		"note  README.md: not part of the layout (ignored)",
		"edgeinfer check-repo: " + bad + "/: 4 problems",
	}
	for _, args := range [][]string{{"check-repo", bad}, {"serve", "--models", bad, "--check"}} {
		code, out := runCLI(t, bin, nil, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1:\n%s", args, code, out)
		}
		for _, w := range wantProblems {
			if args[0] == "serve" {
				w = strings.Replace(w, "edgeinfer check-repo:", "edgeinfer serve:", 1)
			}
			if strings.Count(out, w) != 1 {
				t.Errorf("%v: output has %d× %q:\n%s", args, strings.Count(out, w), w, out)
			}
		}
	}
	for _, args := range [][]string{{"check-repo", good}, {"check-repo", "--max-model-bytes", "1MiB", good}, {"serve", "--check", "--models", good}} {
		code, out := runCLI(t, bin, nil, args...)
		if code != 0 || !strings.Contains(out, "2 models, 2 versions, no problems") {
			t.Errorf("%v: exit %d:\n%s", args, code, out)
		}
	}
	code, out := runCLI(t, bin, nil, "check-repo", "--max-model-bytes", "100B", good)
	if code != 1 || !strings.Contains(out, "FAIL  linear/1/model.tflite:") {
		t.Errorf("model over --max-model-bytes: exit %d:\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check-repo"}, 2, "want one repository"},
		{[]string{"check-repo", "a", "b"}, 2, "want one repository"},
		{[]string{"check-repo", filepath.Join(good, "nope")}, 1, "is not a directory"},
		{[]string{"check-repo", "-h"}, 0, "DIR|s3://bucket/prefix"},
	} {
		code, out := runCLI(t, bin, nil, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.want, out)
		}
	}
}

// s3:// without credentials is one line naming what to set, at once:
// no retries, no SDK warning.
func TestS3WithoutCredentials(t *testing.T) {
	bin := buildCLI(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}
	for _, args := range [][]string{
		{"check-repo", "s3://bucket/models"},
		{"serve", "--models", "s3://bucket/models", "--addr", "127.0.0.1:0"},
	} {
		start := time.Now()
		code, out := runCLI(t, bin, env, args...)
		want := "s3://bucket/models: no AWS credentials found (unset: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION): set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, or AWS_PROFILE, or run with an instance or container role; for an S3-compatible server also pass --s3-endpoint URL --s3-path-style\n"
		if code != 1 || !strings.HasSuffix(out, want) || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: exit %d, output:\n%s", args, code, out)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%v took %v", args, d)
		}
	}
}

// serve logs what it found at start-up: one line per model, one per
// model that cannot serve and one per entry skipped, with reason and fix.
func TestServeLogsScan(t *testing.T) {
	bin := buildCLI(t)
	dir := brokenRepo(t)
	cmd := exec.Command(bin, "serve", "--models", dir, "--addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var log []string
	timeout := time.After(20 * time.Second)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited:\n%s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if strings.Contains(l, "msg=ready") {
				break wait
			}
		case <-timeout:
			t.Fatalf("not ready after 20s:\n%s", strings.Join(log, "\n"))
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(log, "\n")
	for _, want := range []string{
		`level=ERROR msg="model unavailable" model=linear detail="versions 1 (model.tflite, 880 B)" err="modelcache: config.json of model \"linear\": invalid JSON at line 1, column 44: invalid character '}' looking for beginning of object key string" fix="correct linear/config.json; it is read again on the next request for the model"`,
		`level=INFO msg=model model=text detail="versions 1 (model.tflite, 12 B); config: defaults"`,
		`level=INFO msg=model model=tiny_cnn detail="versions 1 (model.tflite, 2.4 KiB); config: max_batch_size 16, batch_delay_ms 2, max_concurrency 4, max_queue 256, timeout_ms 2000, preload"`,
		`level=WARN msg=skipped path=person/1/person_detect.tflite reason="not a model file name: the server reads model.tflite, model.tflite.zst, model.tflite.gz" fix="rename it to person/1/model.tflite"`,
		`level=INFO msg=ignored path=README.md reason="not part of the layout (ignored)"`,
		`level=INFO msg="repository scanned" root=` + dir + `/ models=2 unavailable=1 problems=2`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks\n%s\nlog:\n%s", want, got)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A rescan logs the repository again when, and only when, it changed.
func TestRescanLogsChanges(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, repo, err := openRepository(ctx, dir, repoFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	first, err := repo.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	done := make(chan struct{})
	go func() { defer close(done); rescan(ctx, log, repo, 5*time.Millisecond, first) }()
	time.Sleep(50 * time.Millisecond)
	if s := buf.String(); s != "" {
		t.Fatalf("unchanged repository logged:\n%s", s)
	}
	// One change, made at once: the model directory is built beside the
	// repository and renamed in, so that no rescan sees it half made (an
	// empty new/ is a change of its own).
	stage := t.TempDir()
	if err := os.MkdirAll(filepath.Join(stage, "new", "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stage, "new", "1", "new.tflite"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(stage, "new"), filepath.Join(dir, "new")); err != nil {
		t.Fatal(err)
	}
	want := `level=WARN msg=skipped path=new/1/new.tflite reason="not a model file name`
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(buf.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("no %q after the change:\n%s", want, buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if got := buf.String(); strings.Count(got, `msg="repository changed"`) != 1 || !strings.Contains(got, "msg=model model=linear") {
		t.Errorf("log after one change:\n%s", got)
	}
}
