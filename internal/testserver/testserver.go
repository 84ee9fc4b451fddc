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
	return FreeAddrs(tb, 1)[0]
}

// FreeAddrs returns n distinct 127.0.0.1 addresses with ports free right
// now: their listeners are open together, so no two share a port (two
// FreeAddr calls in a row may return the same one).
func FreeAddrs(tb testing.TB, n int) []string {
	tb.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return addrs
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
	p, exited := start(tb, addr, bin, env, args)
	switch {
	case exited != nil:
		tb.Fatalf("%s exited before listening on %s: %s", filepath.Base(bin), addr, exited.out)
	case p == nil:
		tb.Fatalf("%s did not listen on %s within 20 s", filepath.Base(bin), addr)
	}
	return p
}

// StartOnFreePorts is Start on n fresh addresses (FreeAddrs): args returns
// the arguments for them, and the process must listen on the first. A
// port is free only until the process binds it, and a test running beside
// this one may take it first; so when the process exits before it
// listens, it is started again on new addresses, up to three times in
// all. It returns the process and the addresses it got.
func StartOnFreePorts(tb testing.TB, n int, bin string, env []string, args func(addrs []string) []string) (*Process, []string) {
	tb.Helper()
	var out string
	for range 3 {
		addrs := FreeAddrs(tb, n)
		p, exited := start(tb, addrs[0], bin, env, args(addrs))
		if p != nil {
			return p, addrs
		}
		if exited == nil {
			tb.Fatalf("%s did not listen on %s within 20 s", filepath.Base(bin), addrs[0])
		}
		out = exited.out
		tb.Logf("%s exited before listening on %v; trying other ports: %s", filepath.Base(bin), addrs, out)
	}
	tb.Fatalf("%s exited before listening, three times: %s", filepath.Base(bin), out)
	return nil, nil
}

// earlyExit is a process that exited before it listened, with its output.
type earlyExit struct{ out string }

// start is Start returning, instead of failing the test, (nil, exit) when
// the process exited before listening, and (nil, nil) when it still did
// not listen after 20 s (it is then stopped with the test).
func start(tb testing.TB, addr, bin string, env []string, args []string) (*Process, *earlyExit) {
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
		select {
		case <-p.exited:
			return nil, &earlyExit{out: p.out.String()}
		default:
			return nil, nil
		}
	}
	select {
	case <-p.exited: // what answered is another process, on the port this one could not bind
		return nil, &earlyExit{out: p.out.String()}
	default:
	}
	return p, nil
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
	_, addrs := StartOnFreePorts(tb, 1, bin, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root}, func(a []string) []string {
		return []string{"--access", srv.Access, "--secret", srv.Secret, "--region", srv.Region, "--port", a[0], "--quiet", "posix", root}
	})
	srv.Endpoint = "http://" + addrs[0]
	return srv
}
