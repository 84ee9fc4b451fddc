# edgeinfer — `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
export GOFLAGS := -buildvcs=false
export PATH := $(BIN):$(PATH)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_.-]+:.*## /{printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the edgeinfer CLI into bin/ (`bin/edgeinfer version` shows the git revision).
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -trimpath -o $(BIN)/edgeinfer ./cmd/edgeinfer

# ./models is written once (and again when the examples' code changes),
# so edits to it survive `make serve`.
.PHONY: models
models: models/.examples ## Build the example model repository in ./models (kept once written: your edits stay).
models/.examples: $(wildcard internal/examples/*.go)
	$(GO) run ./cmd/edgeinfer examples -q --out models
	@touch $@

.PHONY: serve
serve: models ## Serve ./models on 127.0.0.1:8080 (the main job).
	$(GO) run ./cmd/edgeinfer serve --models ./models --addr 127.0.0.1:8080

ARCHS ?= arm64 amd64
FUNCTIONS := httpfn s3fn
.PHONY: package
package: ## Build build/<fn>-<arch>.zip (static bootstrap) for every function and arch.
	@mkdir -p build
	@set -e; for arch in $(ARCHS); do for fn in $(FUNCTIONS); do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o build/$$fn-$$arch/bootstrap ./functions/$$fn; \
	  $(GO) run ./layers/cmd/fnzip -bin build/$$fn-$$arch/bootstrap -out build/$$fn-$$arch.zip; echo build/$$fn-$$arch.zip; \
	done; done

MODELS_DIR ?= models
.PHONY: layer
layer: $(if $(filter models models/ ./models,$(MODELS_DIR)),models) ## Build build/models-layer.zip from MODELS_DIR: checked as check-repo does (every model loads), at most 250 MB unzipped.
	@mkdir -p build
	$(GO) run ./layers/cmd/modelslayer -models $(MODELS_DIR) -out build/models-layer.zip

IMAGE ?= edgeinfer:$(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
STACK ?= dev
.PHONY: image preview deploy destroy
image: ## Build the container image (static binary on distroless) as IMAGE.
	docker build -t $(IMAGE) .
# The deploy targets check the pulumi CLI, the stack and the credentials
# first (scripts/deploy-check.sh: one line per missing piece, with the fix),
# and build the artifacts only then.
preview: ## pulumi preview of infra/ for STACK (checks the CLI and credentials, then builds package and layer).
	@./scripts/deploy-check.sh $(STACK)
	@$(MAKE) --no-print-directory package layer
	cd infra && pulumi preview --stack $(STACK)
deploy: ## pulumi up of infra/ for STACK (checks the CLI and credentials, then builds package and layer).
	@./scripts/deploy-check.sh $(STACK)
	@$(MAKE) --no-print-directory package layer
	cd infra && pulumi up --stack $(STACK)
destroy: ## pulumi destroy of infra/ for STACK (checks the CLI and credentials first).
	@./scripts/deploy-check.sh $(STACK)
	cd infra && pulumi destroy --stack $(STACK)

.PHONY: tools
tools: ## Install the test servers (S3-compatible server, Lambda RIE) into bin/.
	@mkdir -p $(BIN)
	./scripts/install-tools.sh $(BIN)

.PHONY: test
test: tools ## Run every test (root module and infra), conformance included.
	$(GO) test -count=1 ./...
	cd infra && $(GO) test -count=1 ./...

.PHONY: test-core
test-core: ## The root module's tests only: no infra/ (Pulumi SDK), no test servers installed (their tests skip).
	$(GO) test -count=1 ./...

.PHONY: test-noasm
test-noasm: ## Run the engine tests on the generic (no assembly) kernels.
	$(GO) test -count=1 -tags noasm ./tflite/... ./tensor/...

.PHONY: generate generate-check
generate: ## Regenerate the gRPC Go code (grpcserve/pb) from grpcserve/proto: protoc (Debian protobuf-compiler) and the plugins pinned in go.mod.
	./scripts/protogen.sh
generate-check: ## Fail when the committed grpcserve/pb differs from what `make generate` writes (CI).
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; ./scripts/protogen.sh "$$tmp" && \
	  diff -r grpcserve/pb "$$tmp/grpcserve/pb" && echo "generate-check: grpcserve/pb is what make generate writes"

.PHONY: lint
lint: ## gofmt, go vet, staticcheck and go mod tidy (no tests).
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff
	cd infra && $(GO) vet ./... && $(GO) tool staticcheck ./... && $(GO) mod tidy -diff

.PHONY: check
check: lint tools ## lint, then every test with -race.
	$(GO) test -count=1 -race ./...
	cd infra && $(GO) test -count=1 ./...

.PHONY: test-race
test-race: tools ## The concurrent core (engine, store, cache, serving, batch) under the race detector.
	$(GO) test -count=1 -race ./tensor/... ./tflite/... ./objstore/... ./modelcache/... ./serving/... ./grpcserve/... ./batch/...

.PHONY: test-arm64
test-arm64: ## Cross-compile for linux/arm64 and run the engine tests under qemu-user.
	GOARCH=arm64 $(GO) vet ./tflite/... ./tensor/...
	GOARCH=arm64 CGO_ENABLED=0 $(GO) build ./...
	@command -v qemu-aarch64-static >/dev/null || command -v qemu-aarch64 >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq qemu-user-static >/dev/null)
	@mkdir -p build/arm64-tests
	@for p in $$($(GO) list ./tflite/... ./tensor/...); do \
	  out=build/arm64-tests/$$(echo $$p | tr / _).test; \
	  GOARCH=arm64 CGO_ENABLED=0 $(GO) test -c -o $$out $$p || exit 1; \
	  if [ -f $$out ]; then echo "== arm64 $$p"; \
	    (cd $$($(GO) list -f '{{.Dir}}' $$p) && $$(command -v qemu-aarch64-static || command -v qemu-aarch64) $(CURDIR)/$$out -test.short -test.count=1) || exit 1; fi; \
	done

.PHONY: bench
bench: ## Run the benchmarks.
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-peer
bench-peer: ## edgeinfer vs ONNX Runtime (../shared/peer) on MobileNet V1/V2 int8 and V2 float32, 1 and 2 threads.
	./scripts/bench-peer.sh

.PHONY: bench-batch
bench-batch: ## S3 batch pipeline through a real versitygw: records/s, MB/s, ns/record by stage, allocs/record, peak RSS (30-byte and 1 KB NDJSON, a large object).
	$(GO) test -run '^$$' -bench 'Pipeline|RunNDJSON30BMem|RunNDJSON1KBMem|RunNpyOut30BMem' -benchmem -benchtime 2x ./batch/

.PHONY: bench-batch-large
bench-batch-large: ## The batch pipeline over a 1 GiB object (1 KB NDJSON, generated, zstd, through versitygw): peak RSS must stay flat. Not in CI.
	EDGEINFER_BENCH_MB=1024 $(GO) test -run '^$$' -bench PipelineLargeObject -benchmem -benchtime 1x -timeout 20m ./batch/

.PHONY: bench-batch-ab
bench-batch-ab: ## The batch benchmarks of REV (default main) and of the working tree back to back, ROUNDS times (default 3): before/after on a shared machine.
	./scripts/bench-batch-ab.sh $(or $(REV),main) $(or $(ROUNDS),3)

.PHONY: bench-serve
bench-serve: ## Serving overhead, loopback req/s, dynamic batching gain, load test, open-loop load (fixed arrival rate) on a corpus model, batching off and on.
	$(GO) test -run '^$$' -bench 'ServeHTTP|EngineLinear|Loopback|Batching|PredictHop' -benchmem -benchtime 2s ./serving/
	$(GO) test -count=1 -run TestLoadShedding -v ./serving/
	$(GO) test -run '^$$' -bench OpenLoop -benchtime 1x ./serving/

FUZZTIME ?= 30s
.PHONY: fuzz
fuzz: ## Fuzz every parser and decoder for FUZZTIME each (default 30s).
	@$(GO) list ./... | while read pkg; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done
	cd infra && $(GO) test -run '^$$' -fuzz '^FuzzParseConfig$$' -fuzztime $(FUZZTIME) ./stack/
