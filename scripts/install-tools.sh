#!/usr/bin/env bash
# Installs the real components the tests run against into the directory
# given as $1 (default ./bin): each tool's installer is a function below.
set -euo pipefail
bin=${1:-$(pwd)/bin}
mkdir -p "$bin"
echo "tools in $bin"
