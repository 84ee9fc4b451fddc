#!/usr/bin/env bash
# Runs the S3-compatible test server (versitygw, installed by
# scripts/install-tools.sh) in the foreground on 127.0.0.1.
#
#   scripts/s3server.sh [datadir] [addr] [bucket...]
#
# datadir (default ./.s3data) holds one directory per bucket; each bucket
# named is created. addr defaults to 127.0.0.1:7070. Credentials come from
# S3_ACCESS_KEY / S3_SECRET_KEY (default edgeinfer / edgeinfer-secret).
# Clients: endpoint http://<addr>, path-style, region us-east-1.
set -euo pipefail
data=${1:-./.s3data}
addr=${2:-127.0.0.1:7070}
shift $(( $# > 2 ? 2 : $# ))
for b in "$@"; do mkdir -p "$data/$b"; done
mkdir -p "$data"
here=$(cd "$(dirname "$0")/.." && pwd)
vgw=$(command -v versitygw || echo "$here/bin/versitygw")
exec "$vgw" --access "${S3_ACCESS_KEY:-edgeinfer}" --secret "${S3_SECRET_KEY:-edgeinfer-secret}" \
	--region us-east-1 --port "$addr" --quiet posix "$data"
