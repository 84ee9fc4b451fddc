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

# aws-lambda-rie: the AWS Lambda Runtime Interface Emulator, from the Go
# module proxy; the end-to-end tests of functions/ run the functions under
# it. Built with the repository's Go toolchain.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
install_rie() {
	local stamp="$bin/.aws-lambda-rie-$RIE_VERSION"
	if [[ -x "$bin/aws-lambda-rie" && -e "$stamp" ]]; then
		echo "aws-lambda-rie $RIE_VERSION already installed"
		return
	fi
	GOBIN="$bin" GOFLAGS=-buildvcs=false go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION"
	rm -f "$bin"/.aws-lambda-rie-*
	touch "$stamp"
	echo "installed aws-lambda-rie $RIE_VERSION"
}

# grpcurl: an independent gRPC client (server reflection), from the Go
# module proxy; the grpcserve tests drive both gRPC services with it.
GRPCURL_VERSION=v1.9.4
install_grpcurl() {
	local stamp="$bin/.grpcurl-$GRPCURL_VERSION"
	if [[ -x "$bin/grpcurl" && -e "$stamp" ]]; then
		echo "grpcurl $GRPCURL_VERSION already installed"
		return
	fi
	GOBIN="$bin" GOFLAGS=-buildvcs=false go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
	rm -f "$bin"/.grpcurl-*
	touch "$stamp"
	echo "installed grpcurl $GRPCURL_VERSION"
}

install_versitygw
install_rie
install_grpcurl
