// Package testserver starts the real components tests run against — the
// S3-compatible server versitygw and the AWS Lambda Runtime Interface
// Emulator, both installed into <repo>/bin by `make tools` — as child
// processes listening on 127.0.0.1, and stops them when the test ends.
//
// It is for tests only and imports nothing of the project.
package testserver

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// RepoRoot walks up from the working directory to the directory of go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Tool finds a binary installed by `make tools` in <root>/bin, then in
// $PATH. When it is missing the test is skipped, or failed when the
// environment variable requireEnv is "1" (CI sets it).
func Tool(tb testing.TB, name, requireEnv string) string {
	tb.Helper()
	p := filepath.Join(RepoRoot(tb), "bin", name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := name + " not found in bin/ or $PATH; run `make tools`"
	if os.Getenv(requireEnv) == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// FreeAddr returns a 127.0.0.1 address with a port free right now.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitListening reports whether addr accepts connections within limit,
// giving up early when the process exits.
func waitListening(addr string, exited <-chan struct{}, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// lockedBuffer collects a process's output.
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

// Process is a started server process, stopped when the test ends.
type Process struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output returns what the process has written to stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Start runs bin with args and env (nil: the test's environment) until the
// test ends, and waits up to 20 s until addr accepts connections. When the
// test fails, the tail of the process's output is logged.
func Start(tb testing.TB, addr, bin string, env []string, args ...string) *Process {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	p := &Process{cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("start %s: %v", bin, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	tb.Cleanup(func() {
		cancel()
		<-p.exited
		if tb.Failed() {
			out := p.out.String()
			if len(out) > 4000 {
				out = "…" + out[len(out)-4000:]
			}
			tb.Logf("%s output:\n%s", filepath.Base(bin), out)
		}
	})
	if !waitListening(addr, p.exited, 20*time.Second) {
		tb.Fatalf("%s did not listen on %s: %s", filepath.Base(bin), addr, p.out.String())
	}
	return p
}

// S3 is a running S3-compatible server with one bucket.
type S3 struct {
	Endpoint string // http://127.0.0.1:port
	Bucket   string
	Access   string
	Secret   string
	Region   string
}

// StartS3 starts versitygw (posix backend over a temporary directory) with
// one bucket on a free 127.0.0.1 port, for the life of the test. Without
// the binary it skips, unless EDGEINFER_REQUIRE_S3=1, where it fails.
func StartS3(tb testing.TB, bucket string) S3 {
	tb.Helper()
	bin := Tool(tb, "versitygw", "EDGEINFER_REQUIRE_S3")
	root := tb.TempDir()
	if err := os.Mkdir(filepath.Join(root, bucket), 0o755); err != nil {
		tb.Fatal(err)
	}
	srv := S3{Bucket: bucket, Access: "testaccess", Secret: "testsecret123", Region: "us-east-1"}
	addr := FreeAddr(tb)
	Start(tb, addr, bin, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root},
		"--access", srv.Access, "--secret", srv.Secret, "--region", srv.Region, "--port", addr, "--quiet", "posix", root)
	srv.Endpoint = "http://" + addr
	return srv
}
