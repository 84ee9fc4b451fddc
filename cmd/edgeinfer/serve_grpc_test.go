package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/edgeinfer/edgeinfer/grpcserve/pb/tfserving"
	"github.com/edgeinfer/edgeinfer/internal/examples"
)

// TestServeGRPC runs `serve --grpc-addr`: the gRPC services answer with
// the same token rule as HTTP, and shutdown stops them.
func TestServeGRPC(t *testing.T) {
	dir := t.TempDir()
	if err := examples.Write(filepath.Join(dir, "models")); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gaddr string
	var done chan error
	for attempt := 1; ; attempt++ {
		// A free port for --grpc-addr (the flag takes an address, not :0
		// reported back). It is free only until serve binds it: a test
		// beside this one may take it first, and then serve tries another.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		gaddr = l.Addr().String()
		l.Close()
		done = make(chan error, 1)
		addrc := make(chan string, 1)
		go func() {
			done <- runServe(ctx, []string{"--models", filepath.Join(dir, "models"), "--addr", "127.0.0.1:0", "--grpc-addr", gaddr,
				"--auth-token-file", tok, "--drain-window", "0s", "--rescan", "0"}, func(a string) { addrc <- a })
		}()
		select {
		case <-addrc:
		case err := <-done:
			if attempt < 3 && errors.Is(err, syscall.EADDRINUSE) {
				t.Logf("serve ended: %v; trying another port", err)
				continue
			}
			t.Fatalf("serve ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not listen")
		}
		break
	}
	conn, err := grpc.NewClient(gaddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	for {
		h, err := healthpb.NewHealthClient(conn).Check(rctx, &healthpb.HealthCheckRequest{})
		if err == nil && h.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			break
		}
		if rctx.Err() != nil {
			t.Fatalf("gRPC health never SERVING: %v %v", h, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ms := tfserving.NewModelServiceClient(conn)
	req := &tfserving.GetModelStatusRequest{ModelSpec: &tfserving.ModelSpec{Name: "linear"}}
	if _, err := ms.GetModelStatus(rctx, req); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no token: %v", err)
	}
	st, err := ms.GetModelStatus(metadata.AppendToOutgoingContext(rctx, "authorization", "bearer t0ken"), req)
	if err != nil || len(st.GetModelVersionStatus()) != 1 {
		t.Fatalf("GetModelStatus: %v %v", st, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
