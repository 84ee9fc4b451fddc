# syntax=docker/dockerfile:1
#
# edgeinfer container image for the Kubernetes edge target: one static
# binary (CGO_ENABLED=0, the pure-Go engine needs no native runtime) on a
# distroless static base, running as the base image's nonroot user (65532),
# which the Deployment in infra/ also enforces.
#
#   make image                      # docker build -t edgeinfer:<git describe> .
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/edgeinfer:TAG --push .
#
# The engine runs on the CPU today; on GPU nodes the pod gets its GPU
# (nvidia.com/gpu) but inference does not use it yet.

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /src
ENV GOFLAGS=-buildvcs=false CGO_ENABLED=0
# Dependencies first, so source edits reuse the module layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags='-s -w' -o /out/edgeinfer ./cmd/edgeinfer

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/edgeinfer /edgeinfer
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/edgeinfer"]
# The Deployment overrides the arguments with --models from its ConfigMap.
CMD ["serve", "--models", "/models", "--addr", "0.0.0.0:8080"]
