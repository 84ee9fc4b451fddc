#!/usr/bin/env bash
# Generates the Go code of the gRPC front ends (grpcserve/pb/...) from
# grpcserve/proto with protoc and the protoc-gen-go / protoc-gen-go-grpc
# versions pinned in go.mod (tool lines). The output is committed;
# `make generate-check` regenerates into a scratch folder and fails when it
# differs. The "protoc vX" line protoc-gen-go writes is normalized so that
# the output does not depend on which Debian protobuf-compiler built it.
#   scripts/protogen.sh [OUTDIR]   (default: the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.}
command -v protoc >/dev/null || { echo "protogen: protoc not found (Debian: apt-get install -y protobuf-compiler)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$tmp/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
mkdir -p "$tmp/gen"
protos=(inference/grpc_service.proto tensorflow/core/tensor.proto tensorflow/serving/prediction_service.proto)
protoc -I grpcserve/proto \
  --plugin=protoc-gen-go="$tmp/protoc-gen-go" --plugin=protoc-gen-go-grpc="$tmp/protoc-gen-go-grpc" \
  --go_out="$tmp/gen" --go_opt=module=github.com/edgeinfer/edgeinfer \
  --go-grpc_out="$tmp/gen" --go-grpc_opt=module=github.com/edgeinfer/edgeinfer \
  "${protos[@]}"
find "$tmp/gen" -name '*.go' -exec sed -i -E 's#^// \tprotoc +.*$#// \tprotoc        (Debian protobuf-compiler)#' {} +
mkdir -p "$out/grpcserve/pb"
rm -rf "$out/grpcserve/pb"
cp -r "$tmp/gen/grpcserve/pb" "$out/grpcserve/pb"
