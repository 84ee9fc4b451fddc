#!/usr/bin/env bash
# Installs the real components the tests run against into the directory
# given as $1 (default ./bin): each tool's installer is a function below.
# Every tool is pinned; an installed binary of the pinned version is kept.
set -euo pipefail
bin=${1:-$(pwd)/bin}
mkdir -p "$bin"
bin=$(cd "$bin" && pwd)
echo "tools in $bin"

# versitygw: a real S3-compatible server (posix backend), from the Go
# module proxy. Built with the repository's Go toolchain.
VERSITYGW_VERSION=v1.8.0
install_versitygw() {
	local stamp="$bin/.versitygw-$VERSITYGW_VERSION"
	if [[ -x "$bin/versitygw" && -e "$stamp" ]]; then
		echo "versitygw $VERSITYGW_VERSION already installed"
		return
	fi
	GOBIN="$bin" GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	rm -f "$bin"/.versitygw-*
	touch "$stamp"
	echo "installed versitygw $VERSITYGW_VERSION"
}

install_versitygw
