# syntax=docker/dockerfile:1
# The image behind the GitHub Action (action.yml) and for any CI: a release build of the binary on a
# small runtime with CA certificates. Lint: scripts/lint-action (hadolint).

# ---- build: exactly the release build the test command runs (scripts/test) ----
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# .dockerignore lets in only what the build reads: the manifest, the lock file, src/ and benches/
# (the manifest names the benchmarks, so cargo needs them to load it).
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/ecr-scan-gate /usr/local/bin/ecr-scan-gate

# ---- runtime: glibc, libgcc and CA certificates, no shell, no package manager ----
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="ecr-scan-gate" \
      org.opencontainers.image.description="CI gate over Amazon ECR image scanning"
COPY --from=build /usr/local/bin/ecr-scan-gate /usr/local/bin/ecr-scan-gate
# NOTE: not root. uid 1001 is the `runner` user of GitHub-hosted runners and of the official runner
# image, which owns the workspace and the file-command files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) that
# the runner mounts into a Docker action; GitHub's docs suggest root only so that the container can write
# there (https://docs.github.com/en/actions/reference/workflows-and-actions/dockerfile-support#user).
USER 1001:1001
# No CMD: run with no arguments inside a GitHub Actions job that passes inputs (`uses: docker://…`), the
# binary runs as the Action; anywhere else it prints its usage.
ENTRYPOINT ["/usr/local/bin/ecr-scan-gate"]
