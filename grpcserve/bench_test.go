package grpcserve_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/edgeinfer/edgeinfer/grpcserve"
	"github.com/edgeinfer/edgeinfer/grpcserve/pb/inference"
	"github.com/edgeinfer/edgeinfer/serving"
)

// BenchmarkTransport compares one inference over gRPC (V2 ModelInfer with
// raw_input_contents) and over REST (V2 binary tensor extension) on the
// same server: linear (transport cost dominates) and the conformance
// MobileNetV2 int8. "seq" sends one request at a time and reports p50 and
// p99 latency; "c32" keeps 32 requests in flight (32 streams on one gRPC
// connection, 32 keep-alive HTTP connections) and reports req/s.
func BenchmarkTransport(b *testing.B) {
	e := newEnv(b, serving.Config{}, grpcserve.Options{}, func(dir string) {
		withMobileNet(b, dir, `{"max_concurrency": 2, "max_queue": 64}`)
	})
	c := inference.NewGRPCInferenceServiceClient(e.conn)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	for _, m := range []struct {
		model, input, dt string
		shape            []int64
	}{
		{"linear", "x", "FP32", []int64{1, 4}},
		{"mnv2", "", "", nil},
	} {
		if m.model == "mnv2" {
			md, err := c.ModelMetadata(ctx(b), &inference.ModelMetadataRequest{Name: "mnv2"})
			if err != nil {
				b.Fatal(err)
			}
			in := md.GetInputs()[0]
			m.input, m.dt = in.GetName(), in.GetDatatype()
			for _, d := range in.GetShape() {
				m.shape = append(m.shape, max(d, 1))
			}
		}
		n := 1
		for _, d := range m.shape {
			n *= int(d)
		}
		size := 1
		if m.dt == "FP32" {
			size = 4
		}
		raw := make([]byte, n*size)
		if size == 1 {
			raw = pattern(n)
		}
		greq := &inference.ModelInferRequest{ModelName: m.model,
			Inputs:           []*inference.ModelInferRequest_InferInputTensor{{Name: m.input, Datatype: m.dt, Shape: m.shape}},
			RawInputContents: [][]byte{raw}}
		shapeJS := fmt.Sprint(m.shape)
		shapeJS = "[" + string(bytes.ReplaceAll([]byte(shapeJS[1:len(shapeJS)-1]), []byte(" "), []byte(","))) + "]"
		hdr := fmt.Sprintf(`{"inputs":[{"name":%q,"datatype":%q,"shape":%s,"parameters":{"binary_data_size":%d}}],"parameters":{"binary_data_output":true}}`,
			m.input, m.dt, shapeJS, len(raw))
		body := append([]byte(hdr), raw...)
		url := e.httpURL + "/v2/models/" + m.model + "/infer"
		grpcCall := func() error {
			_, err := c.ModelInfer(ctx(b), greq)
			return err
		}
		restCall := func() error {
			req, err := http.NewRequest("POST", url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(len(hdr)))
			req.Header.Set("Content-Type", "application/octet-stream")
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("REST status %d", resp.StatusCode)
			}
			return err
		}
		for _, tr := range []struct {
			name string
			call func() error
		}{{"grpc", grpcCall}, {"rest", restCall}} {
			b.Run(m.model+"/"+tr.name+"/seq", func(b *testing.B) {
				var lat []time.Duration
				b.ReportAllocs()
				for b.Loop() {
					t0 := time.Now()
					if err := tr.call(); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds()), "p99-µs")
			})
			b.Run(m.model+"/"+tr.name+"/c32", func(b *testing.B) {
				var wg sync.WaitGroup
				work := make(chan struct{})
				errs := make(chan error, 32)
				start := time.Now()
				for range 32 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range work {
							if err := tr.call(); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				for b.Loop() {
					select {
					case work <- struct{}{}:
					case err := <-errs:
						b.Fatal(err)
					}
				}
				close(work)
				wg.Wait()
				select {
				case err := <-errs:
					b.Fatal(err)
				default:
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			})
		}
	}
}
