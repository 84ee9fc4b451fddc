package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/internal/testserver"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// s3Server is versitygw on 127.0.0.1 with one bucket.
type s3Server struct {
	Endpoint, Bucket, Access, Secret string
	Store                            *objstore.Store
}

const bucket = "edgeinfer-e2e"

func startS3(tb testing.TB) *s3Server {
	tb.Helper()
	s3 := testserver.StartS3(tb, bucket)
	srv := &s3Server{Endpoint: s3.Endpoint, Bucket: s3.Bucket, Access: s3.Access, Secret: s3.Secret}
	st, err := objstore.New(objstore.Options{S3Endpoint: srv.Endpoint, S3PathStyle: true, S3Region: "us-east-1",
		S3AccessKeyID: srv.Access, S3SecretAccessKey: srv.Secret})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	srv.Store = st
	return srv
}

func (s *s3Server) url(key string) string { return "s3://" + s.Bucket + "/" + key }

func (s *s3Server) put(tb testing.TB, key string, data []byte, codec objstore.Codec) {
	tb.Helper()
	w, err := s.Store.Create(context.Background(), s.url(key), &objstore.WriteOptions{Compression: codec})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("put %s: %v", key, err)
	}
}

func (s *s3Server) get(tb testing.TB, key string, decompress bool) []byte {
	tb.Helper()
	b, _, err := s.Store.ReadAll(context.Background(), s.url(key), 1<<30, &objstore.ReadOptions{Decompress: decompress})
	if err != nil {
		tb.Fatalf("get %s: %v", key, err)
	}
	return b
}

// env is the environment of a function under the emulator: the S3 server,
// its credentials and the given settings.
func (s *s3Server) env(tb testing.TB, extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + tb.TempDir(),
		"TMPDIR=" + tb.TempDir(),
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + s.Access,
		"AWS_SECRET_ACCESS_KEY=" + s.Secret,
		"AWS_EC2_METADATA_DISABLED=true",
		"S3_ENDPOINT=" + s.Endpoint,
		"S3_PATH_STYLE=1",
		"LOG_LEVEL=error",
	}, extra...)
}

// buildOnce builds each function once per test binary run.
var builds sync.Map // name → *buildResult

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// build compiles functions/<name> as a static bootstrap for this machine,
// the way `make package` builds it for Lambda.
func build(tb testing.TB, name string) string {
	tb.Helper()
	v, _ := builds.LoadOrStore(name, &buildResult{})
	br := v.(*buildResult)
	br.once.Do(func() {
		dir, err := os.MkdirTemp("", "edgeinfer-e2e-"+name)
		if err != nil {
			br.err = err
			return
		}
		br.path = filepath.Join(dir, "bootstrap")
		goBin := goTool()
		cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-o", br.path, "./functions/"+name)
		cmd.Dir = testserver.RepoRoot(tb)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			br.err = fmt.Errorf("go build %s: %v\n%s", name, err, out)
		}
	})
	if br.err != nil {
		tb.Fatal(br.err)
	}
	return br.path
}

// function is one function running under the emulator.
type function struct {
	addr string
	rie  *testserver.Process
}

// startFunction runs functions/<name> under aws-lambda-rie on 127.0.0.1.
func startFunction(tb testing.TB, name string, env []string) *function {
	tb.Helper()
	rie := testserver.Tool(tb, "aws-lambda-rie", "EDGEINFER_REQUIRE_RIE")
	bootstrap := build(tb, name)
	p, addrs := testserver.StartOnFreePorts(tb, 2, rie, env, func(a []string) []string {
		return []string{"--log-level", "error", "--runtime-interface-emulator-address", a[0], "--runtime-api-address", a[1], bootstrap}
	})
	return &function{addr: addrs[0], rie: p}
}

// invoke posts payload to the emulator's invocation endpoint and returns
// the response body and the wall time.
func (f *function) invoke(tb testing.TB, payload []byte) ([]byte, time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+f.addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	el := time.Since(t0)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
	return body, el
}

var initRE = regexp.MustCompile(`"msg":"init done".*"init_ms":([0-9]+)`)

// initDuration returns the init duration the function logged (the
// emulator's own "Init Duration" does not cover the runtime's init). The
// line reaches the test through the emulator's output pipe, which a
// goroutine copies, so it can arrive after the first invocation's answer:
// it is waited for, up to 10 s.
func (f *function) initDuration() (float64, bool) {
	deadline := time.Now().Add(10 * time.Second)
	m := initRE.FindStringSubmatch(f.rie.Output())
	for m == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		m = initRE.FindStringSubmatch(f.rie.Output())
	}
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// bootstrapPID returns the pid of the function process the emulator runs.
func (f *function) bootstrapPID(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		tb.Skip("no /proc")
	}
	rie := f.rie.Pid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(st, ')')
		fields := strings.Fields(string(st[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(rie) && strings.Contains(string(st[:i]), "bootstrap") {
			return pid
		}
	}
	tb.Fatalf("no bootstrap process under the emulator (pid %d)", rie)
	return 0
}

// peakRSS returns the VmHWM (peak resident set) of pid in bytes.
func peakRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb << 10
		}
	}
	tb.Fatal("VmHWM not found")
	return 0
}

// awsEvent loads one of aws-lambda-go's events/testdata payloads from the
// module cache and applies set (path "a.b.c" → value) to it.
func awsEvent(tb testing.TB, file string, set map[string]any) []byte {
	tb.Helper()
	cmd := exec.Command(goTool(), "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go")
	cmd.Dir = testserver.RepoRoot(tb)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("go list aws-lambda-go: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "events", "testdata", file))
	if err != nil {
		tb.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	for path, v := range set {
		setPath(tb, doc, strings.Split(path, "."), v)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// setPath sets doc[p0][p1]...=v; a numeric part indexes an array; v nil
// deletes the key.
func setPath(tb testing.TB, doc any, path []string, v any) {
	tb.Helper()
	for i, p := range path {
		last := i == len(path)-1
		switch d := doc.(type) {
		case map[string]any:
			if last {
				if v == nil {
					delete(d, p)
				} else {
					d[p] = v
				}
				return
			}
			if d[p] == nil {
				d[p] = map[string]any{}
			}
			doc = d[p]
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n >= len(d) {
				tb.Fatalf("bad path %v", path)
			}
			if last {
				d[n] = v
				return
			}
			doc = d[n]
		default:
			tb.Fatalf("bad path %v", path)
		}
	}
}

// goTool returns the go command: $GOROOT/bin/go when the test runs under
// `go test` (which sets GOROOT), else the one on $PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}
