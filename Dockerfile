# vtag: the operator (vtag-operator) and the kubectl plugin (kubectl-vtag), built with the Swift toolchain and run
# from a slim, non-root image.
#   docker build -t ghcr.io/vtag-dev/vtag-operator:0.1.0 .
#   docker run --rm ghcr.io/vtag-dev/vtag-operator:0.1.0 --help
ARG SWIFT_VERSION=6.3
ARG UBUNTU=noble

FROM swift:${SWIFT_VERSION}-${UBUNTU} AS build
WORKDIR /src
# Dependencies first, so source edits reuse the resolved packages layer. Resolved from Package.swift alone:
# the lock file is not kept in git (see .gitignore), so a fresh clone has none.
COPY Package.swift ./
RUN swift package resolve
COPY . .
# vtag-operator links the Swift runtime and Foundation in by itself (Package.swift, OperatorMain), as the tests
# and benchmarks run it; the flag also makes kubectl-vtag's link static, and one flag for both builds keeps
# their modules compiled once.
RUN swift build -c release --static-swift-stdlib --product vtag-operator \
 && swift build -c release --static-swift-stdlib --product kubectl-vtag \
 && mkdir -p /out \
 && cp "$(swift build -c release --show-bin-path)/vtag-operator" "$(swift build -c release --show-bin-path)/kubectl-vtag" /out/

FROM ubuntu:${UBUNTU}
# The Swift standard library and Foundation are linked statically; these are the C libraries they still load,
# plus CA certificates for the cloud APIs and time zone data.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata libcurl4 libxml2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/vtag-operator /out/kubectl-vtag /usr/local/bin/
# Matches runAsUser/runAsGroup in manifests/deployment.yaml; the root filesystem is mounted read-only there.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/vtag-operator"]
