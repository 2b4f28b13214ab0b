# The image behind the GitHub Action (action.yml) and for any CI: the static (musl) `dist` build of the
# binary on distroless `static` (CA certificates, no shell, no package manager). Lint: scripts/lint-action
# (hadolint); tests/cli/release.rs checks that every base image is pinned by the digest of its
# multi-platform index. Dependabot (docker) proposes new digests; to refresh one by hand, take the index
# digest that `docker buildx imagetools inspect IMAGE:TAG` prints.
#
# Two ways in for the binary:
#   - the last stage, `action` (the default target), builds it from source: `docker build .`, and
#     `image: Dockerfile` in action.yml on a branch;
#   - `--target release` copies the binaries the release workflow built and attested
#     (dist/linux-amd64/ecr-scan-gate, dist/linux-arm64/ecr-scan-gate, by TARGETARCH), so the published
#     image of every platform holds the same bytes as the released binary.

# ---- build: the `dist` profile for this machine's architecture, linked statically against musl ----
FROM rust:1.95-slim-trixie@sha256:28846ec5a6bcfcddb93f403ba7071bd579787852b2f2ac3839965620e8bd9456 AS build
# musl-gcc for the C parts (aws-lc, ring), from Debian 13's archive (a stable release: only security and
# point-release updates), so not pinned to a version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add "$(uname -m)-unknown-linux-musl"
WORKDIR /src
# .dockerignore lets in only what the build reads: the manifest, the lock file, src/ and benches/ (the
# manifest names the benchmarks, so cargo needs them to load it), and the release binaries.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    target="$(uname -m)-unknown-linux-musl" \
    && cargo build --profile dist --locked --target "$target" \
    && cp "target/$target/dist/ecr-scan-gate" /usr/local/bin/ecr-scan-gate

# ---- runtime: CA certificates, time zones, /etc/passwd; no libc needed, no shell ----
FROM gcr.io/distroless/static-debian13:latest@sha256:58133991db06659feaabe0f4e97a35cebf15ef4ea08f8a4c6d2ee5f75e4aa6a0 AS runtime
LABEL org.opencontainers.image.title="ecr-scan-gate" \
      org.opencontainers.image.description="CI gate over Amazon ECR image scanning"
# NOTE: no USER: GitHub runs a Docker action's container as the image's user, and only root can write
# the workspace and the file-command files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) the runner mounts on
# every runner: hosted runners' files belong to uid 1001, self-hosted ones' to whoever runs the runner.
# https://docs.github.com/en/actions/reference/workflows-and-actions/dockerfile-support#user
# No CMD: run with no arguments inside a GitHub Actions job that passes inputs (`uses: docker://…`), the
# binary runs as the Action; anywhere else it prints its usage.
ENTRYPOINT ["/usr/local/bin/ecr-scan-gate"]

# ---- release: the binary the release workflow built for this platform ----
FROM runtime AS release
ARG TARGETARCH
COPY --chmod=0755 dist/linux-${TARGETARCH}/ecr-scan-gate /usr/local/bin/ecr-scan-gate

# ---- action (default): the binary built from source above ----
FROM runtime AS action
COPY --from=build /usr/local/bin/ecr-scan-gate /usr/local/bin/ecr-scan-gate
