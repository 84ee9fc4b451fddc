package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/objstore"
)

// fault is what the fault handler does to one request.
type fault struct {
	status  int           // reply with this status (and an S3-style error body)
	code    string        // S3 error code for the body, e.g. "SlowDown"
	reset   bool          // drop the connection before any response
	delay   time.Duration // wait before the response headers
	truncAt int64         // > 0: drop the connection after this many body bytes
	stallAt int64         // > 0: stall for stall after this many body bytes
	stall   time.Duration
	newETag string // serve the blob under this ETag instead
}

// faultServer serves one blob over HTTP (Range and If-Match honoured) on
// 127.0.0.1, applying plan(n) to the n-th request (0-based).
type faultServer struct {
	*httptest.Server
	blob     []byte
	etag     string
	plan     func(n int, r *http.Request) fault
	requests atomic.Int64
	mu       sync.Mutex
	log      []string // guarded by mu: "GET bytes=.."
}

func newFaultServer(t *testing.T, blob []byte, plan func(n int, r *http.Request) fault) *faultServer {
	fs := &faultServer{blob: blob, etag: `"v1"`, plan: plan}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *faultServer) serve(w http.ResponseWriter, r *http.Request) {
	n := int(fs.requests.Add(1) - 1)
	fs.mu.Lock()
	fs.log = append(fs.log, r.Method+" "+r.Header.Get("Range"))
	fs.mu.Unlock()
	f := fault{}
	if fs.plan != nil {
		f = fs.plan(n, r)
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	if f.reset {
		panic(http.ErrAbortHandler)
	}
	if f.status != 0 {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(f.status)
		fmt.Fprintf(w, "<Error><Code>%s</Code><Message>injected</Message></Error>", f.code)
		return
	}
	etag := fs.etag
	if f.newETag != "" {
		etag = f.newETag
	}
	w.Header().Set("ETag", etag)
	fw := &faultWriter{ResponseWriter: w, f: f, ctx: r.Context()}
	http.ServeContent(fw, r, "blob", time.Unix(1700000000, 0), bytes.NewReader(fs.blob))
}

// faultWriter cuts or stalls the body after a number of bytes.
type faultWriter struct {
	http.ResponseWriter
	f       fault
	ctx     context.Context
	written int64
	stalled bool
}

func (w *faultWriter) Write(p []byte) (int, error) {
	if w.f.stallAt > 0 && !w.stalled && w.written+int64(len(p)) > w.f.stallAt {
		k := w.f.stallAt - w.written
		n, err := w.ResponseWriter.Write(p[:k])
		w.written += int64(n)
		if err != nil {
			return n, err
		}
		w.ResponseWriter.(http.Flusher).Flush()
		w.stalled = true
		select {
		case <-time.After(w.f.stall):
		case <-w.ctx.Done():
			return n, w.ctx.Err()
		}
		m, err := w.Write(p[k:])
		return n + m, err
	}
	if w.f.truncAt > 0 && w.written+int64(len(p)) > w.f.truncAt {
		k := w.f.truncAt - w.written
		w.ResponseWriter.Write(p[:k])
		w.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

func fastRetry(o objstore.Options) objstore.Options {
	o.RetryBaseDelay = time.Millisecond
	o.RetryMaxDelay = 5 * time.Millisecond
	return o
}

func TestHTTPFaults(t *testing.T) {
	blob := payload(300_000, 42)
	for _, tc := range []struct {
		name    string
		opts    objstore.Options
		plan    func(n int, r *http.Request) fault
		wantErr error
		minReqs int64 // at least this many requests reached the server
		maxReqs int64 // and at most this many (0: no bound)
	}{
		{name: "clean", plan: nil, maxReqs: 1},
		{name: "500 then ok", plan: func(n int, _ *http.Request) fault {
			if n < 2 {
				return fault{status: 500, code: "InternalError"}
			}
			return fault{}
		}, minReqs: 3, maxReqs: 3},
		{name: "503 slowdown then ok", plan: func(n int, _ *http.Request) fault {
			if n < 3 {
				return fault{status: 503, code: "SlowDown"}
			}
			return fault{}
		}, minReqs: 4, maxReqs: 4},
		{name: "503 forever", opts: objstore.Options{MaxAttempts: 3}, plan: func(int, *http.Request) fault {
			return fault{status: 503, code: "SlowDown"}
		}, wantErr: objstore.ErrUnavailable, minReqs: 3, maxReqs: 3},
		{name: "404 is not retried", plan: func(int, *http.Request) fault {
			return fault{status: 404, code: "NoSuchKey"}
		}, wantErr: objstore.ErrNotFound, maxReqs: 1},
		{name: "403", plan: func(int, *http.Request) fault {
			return fault{status: 403, code: "AccessDenied"}
		}, wantErr: objstore.ErrPermission, maxReqs: 1},
		{name: "reset then ok", plan: func(n int, _ *http.Request) fault {
			return fault{reset: n < 2}
		}, minReqs: 3},
		{name: "truncated once resumes by range", plan: func(n int, _ *http.Request) fault {
			if n == 0 {
				return fault{truncAt: 100_000}
			}
			return fault{}
		}, minReqs: 2, maxReqs: 2},
		{name: "truncated forever", opts: objstore.Options{MaxAttempts: 3}, plan: func(n int, r *http.Request) fault {
			return fault{truncAt: 1000}
		}, wantErr: objstore.ErrTruncated},
		{name: "slow headers hit the attempt timeout", opts: objstore.Options{AttemptTimeout: 100 * time.Millisecond}, plan: func(n int, _ *http.Request) fault {
			if n == 0 {
				return fault{delay: 2 * time.Second}
			}
			return fault{}
		}, minReqs: 2, maxReqs: 2},
		{name: "stalled body resumes", opts: objstore.Options{ReadIdleTimeout: 100 * time.Millisecond}, plan: func(n int, _ *http.Request) fault {
			if n == 0 {
				return fault{stallAt: 50_000, stall: 3 * time.Second}
			}
			return fault{}
		}, minReqs: 2, maxReqs: 2},
		{name: "changed between resumes", plan: func(n int, _ *http.Request) fault {
			if n == 0 {
				return fault{truncAt: 1000}
			}
			return fault{newETag: `"v2"`}
		}, wantErr: objstore.ErrChanged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, conc := range []int{1, 3} {
				t.Run(fmt.Sprintf("concurrency=%d", conc), func(t *testing.T) {
					fs := newFaultServer(t, blob, tc.plan)
					o := fastRetry(tc.opts)
					o.Concurrency = conc
					o.PartSize = 1 << 20 // one part: request counts match the single-GET path
					s := newStore(t, o)
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					got, _, err := s.ReadAll(ctx, fs.URL+"/blob.bin", 1<<20, nil)
					if tc.wantErr != nil {
						if !errors.Is(err, tc.wantErr) {
							t.Fatalf("err = %v, want %v", err, tc.wantErr)
						}
					} else if err != nil {
						t.Fatalf("ReadAll: %v", err)
					} else if !bytes.Equal(got, blob) {
						t.Fatalf("read %d bytes, content differs from the %d served", len(got), len(blob))
					}
					n := fs.requests.Load()
					if n < tc.minReqs || (tc.maxReqs > 0 && n > tc.maxReqs) {
						fs.mu.Lock()
						t.Errorf("%d requests (%v), want %d..%d", n, fs.log, tc.minReqs, tc.maxReqs)
						fs.mu.Unlock()
					}
				})
			}
		})
	}
}

// TestHTTPResumeUsesRange checks that a truncated body is resumed from the
// offset reached, not restarted.
func TestHTTPResumeUsesRange(t *testing.T) {
	blob := payload(200_000, 1)
	fs := newFaultServer(t, blob, func(n int, _ *http.Request) fault {
		if n == 0 {
			return fault{truncAt: 123_456}
		}
		return fault{}
	})
	s := newStore(t, fastRetry(objstore.Options{Concurrency: 1}))
	got, _, err := s.ReadAll(context.Background(), fs.URL+"/b", 1<<20, nil)
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.log) != 2 || fs.log[1] != "GET bytes=123456-199999" {
		t.Errorf("requests %q, want a resume at bytes=123456-199999", fs.log)
	}
}

// TestHTTPParallelUnderFaults reads many parts while a third of the
// requests fail in assorted ways.
func TestHTTPParallelUnderFaults(t *testing.T) {
	blob := payload(2_000_000, 9)
	fs := newFaultServer(t, blob, func(n int, _ *http.Request) fault {
		switch n % 6 {
		case 1:
			return fault{status: 503, code: "SlowDown"}
		case 3:
			return fault{truncAt: 10_000}
		case 5:
			return fault{reset: true}
		}
		return fault{}
	})
	s := newStore(t, fastRetry(objstore.Options{Concurrency: 4, PartSize: 100_000, MaxAttempts: 6}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, _, err := s.ReadAll(ctx, fs.URL+"/big", 4<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, blob) {
		t.Fatal("content differs")
	}
	if fs.requests.Load() < 20 {
		t.Errorf("only %d requests for 20 parts", fs.requests.Load())
	}
}

// TestHTTPTotalDeadline checks that the caller's ctx bounds all retries.
func TestHTTPTotalDeadline(t *testing.T) {
	fs := newFaultServer(t, []byte("x"), func(int, *http.Request) fault {
		return fault{status: 503, code: "SlowDown"}
	})
	s := newStore(t, objstore.Options{MaxAttempts: 1000, RetryBaseDelay: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Stat(ctx, fs.URL+"/x")
	if err == nil {
		t.Fatal("Stat succeeded against a server that always fails")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("gave up after %v, want about the 300ms deadline", el)
	}
}

func TestHTTPReadOnly(t *testing.T) {
	fs := newFaultServer(t, []byte("x"), nil)
	s := newStore(t, objstore.Options{})
	ctx := context.Background()
	if _, err := s.Create(ctx, fs.URL+"/x", nil); !errors.Is(err, objstore.ErrUnsupported) {
		t.Errorf("Create = %v, want ErrUnsupported", err)
	}
	if _, err := s.List(ctx, fs.URL+"/"); !errors.Is(err, objstore.ErrUnsupported) {
		t.Errorf("List = %v, want ErrUnsupported", err)
	}
	a, err := s.Stat(ctx, fs.URL+"/x")
	if err != nil || a.Size != 1 || a.ETag != `"v1"` {
		t.Errorf("Stat = %+v, %v", a, err)
	}
}

// s3FaultProxy sits between the Store and the real S3 server and injects
// faults chosen by plan for the n-th request.
func s3FaultProxy(t *testing.T, target string, plan func(n int, r *http.Request) fault) (*httptest.Server, *atomic.Int64) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(count.Add(1) - 1)
		f := plan(n, r)
		if f.delay > 0 {
			time.Sleep(f.delay)
		}
		if f.reset {
			panic(http.ErrAbortHandler)
		}
		if f.status != 0 {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(f.status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, f.code)
			return
		}
		rp.ServeHTTP(&faultWriter{ResponseWriter: w, f: f, ctx: r.Context()}, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

func TestS3Faults(t *testing.T) {
	srv := startS3(t)
	// Every third request is a 503 SlowDown, every fifth a 500, and every
	// seventh GET body is cut short.
	proxy, count := s3FaultProxy(t, srv.Endpoint, func(n int, r *http.Request) fault {
		switch {
		case n%3 == 1:
			return fault{status: 503, code: "SlowDown"}
		case n%5 == 2:
			return fault{status: 500, code: "InternalError"}
		case n%7 == 4 && r.Method == http.MethodGet && !strings.Contains(r.URL.RawQuery, "list-type"):
			return fault{truncAt: 1000}
		}
		return fault{}
	})
	o := fastRetry(srv.options(proxy.URL))
	o.PartSize = objstore.MinS3PartSize
	o.MaxAttempts = 6
	s := newStore(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, tc := range []struct {
		name string
		size int
		conc int
	}{
		{"small single put", 10_000, 1},
		{"multipart parallel read", 3*objstore.MinS3PartSize + 5, 3},
		{"multipart single stream", 2*objstore.MinS3PartSize + 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := payload(tc.size, uint64(tc.size))
			key := srv.url("faults/" + strings.ReplaceAll(tc.name, " ", "-"))
			w, err := s.Create(ctx, key, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("write through faults: %v", err)
			}
			ro := o
			ro.Concurrency = tc.conc
			rs := newStore(t, ro)
			got, _, err := rs.ReadAll(ctx, key, 1<<30, nil)
			if err != nil {
				t.Fatalf("read through faults: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatal("content differs")
			}
			list, err := rs.List(ctx, srv.url("faults/"))
			if err != nil || len(list) == 0 {
				t.Fatalf("List through faults: %d, %v", len(list), err)
			}
		})
	}
	if count.Load() < 10 {
		t.Errorf("only %d requests went through the proxy", count.Load())
	}

	t.Run("permanent 503 is ErrUnavailable", func(t *testing.T) {
		bad, _ := s3FaultProxy(t, srv.Endpoint, func(int, *http.Request) fault {
			return fault{status: 503, code: "SlowDown"}
		})
		bo := fastRetry(srv.options(bad.URL))
		bo.MaxAttempts = 3
		_, err := newStore(t, bo).Stat(ctx, srv.url("faults/x"))
		if !errors.Is(err, objstore.ErrUnavailable) {
			t.Errorf("Stat = %v, want ErrUnavailable", err)
		}
	})
	t.Run("wrong secret is ErrPermission", func(t *testing.T) {
		bo := srv.options("")
		bo.S3SecretAccessKey = "wrong-secret"
		_, err := newStore(t, bo).Stat(ctx, srv.url("faults/x"))
		if !errors.Is(err, objstore.ErrPermission) {
			t.Errorf("Stat = %v, want ErrPermission", err)
		}
	})
	t.Run("missing bucket is ErrNotFound", func(t *testing.T) {
		_, err := s.Stat(ctx, "s3://no-such-bucket/x")
		if !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("Stat = %v, want ErrNotFound", err)
		}
	})
}
