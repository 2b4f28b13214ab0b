//! What the release ships, checked on the files that define it: every action the workflows (and the
//! README's example workflow) use is pinned by commit with its version beside it, every base image of the
//! Dockerfile by digest, the action image runs as root, the release builds both Linux architectures
//! (binaries and image) from the `dist` profile, and `cargo binstall`, Dependabot and the profiles agree
//! with it. actionlint, zizmor and hadolint check the same files in scripts/lint-action.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::fixture;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &Path) -> Value {
    serde_yaml_ng::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The workflows of `.github/workflows/` and the README's example workflow.
fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo(".github/workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files.push(fixture("github/example-workflow.yml"));
    files
}

/// Every `uses:` of a workflow's steps and jobs, from the parsed YAML.
fn uses_of(workflow: &Value) -> Vec<String> {
    let mut uses = Vec::new();
    for job in workflow["jobs"].as_object().expect("jobs").values() {
        if let Some(reusable) = job["uses"].as_str() {
            uses.push(reusable.to_string());
        }
        for step in job["steps"].as_array().into_iter().flatten() {
            if let Some(action) = step["uses"].as_str() {
                uses.push(action.to_string());
            }
        }
    }
    uses
}

/// `(reference, comment)` of every `uses:` line of a workflow's text.
fn uses_lines(text: &str) -> Vec<(String, Option<String>)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().trim_start_matches("- ");
            let rest = rest.strip_prefix("uses:")?.trim();
            let (reference, comment) = match rest.split_once('#') {
                Some((reference, comment)) => (reference.trim(), Some(comment.trim().to_string())),
                None => (rest, None),
            };
            Some((reference.trim_matches(['"', '\'']).to_string(), comment))
        })
        .collect()
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `vMAJOR.MINOR.PATCH`.
fn is_full_version(text: &str) -> bool {
    let Some(numbers) = text.strip_prefix('v') else {
        return false;
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The README's placeholder for the gate itself: a reader pins the commit of a release tag.
const GATE_PLACEHOLDER: (&str, &str) = ("OWNER/ecr-scan-gate@RELEASE_COMMIT_SHA", "vX.Y.Z");

#[test]
fn every_action_is_pinned_by_commit_with_its_version_beside_it() {
    // action@version → (commit, where), to find one version pinned at two commits.
    let mut pins: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in workflows() {
        let name = file.display().to_string();
        let text = read(&file);
        let lines = uses_lines(&text);
        // The lines read are every `uses:` the YAML holds (in another order: the jobs' keys are sorted).
        let mut parsed = uses_of(&yaml(&file));
        let mut seen: Vec<String> = lines
            .iter()
            .map(|(reference, _)| reference.clone())
            .collect();
        parsed.sort();
        seen.sort();
        assert_eq!(seen, parsed, "{name}: every `uses:` on a line of its own");
        for (reference, comment) in lines {
            if reference.starts_with("./") {
                continue;
            }
            if (reference.as_str(), comment.as_deref())
                == (GATE_PLACEHOLDER.0, Some(GATE_PLACEHOLDER.1))
            {
                assert!(
                    name.ends_with("example-workflow.yml"),
                    "{name}: {reference}"
                );
                continue;
            }
            if let Some(image) = reference.strip_prefix("docker://") {
                let digest = image.rsplit_once("@sha256:").map(|(_, d)| d);
                assert!(
                    digest.is_some_and(|d| is_hex(d, 64)),
                    "{name}: {reference} is not pinned by digest"
                );
                continue;
            }
            let (action, commit) = reference
                .split_once('@')
                .unwrap_or_else(|| panic!("{name}: {reference} names no version"));
            assert!(
                is_hex(commit, 40),
                "{name}: {reference} is not pinned by a full commit SHA"
            );
            let version = comment
                .filter(|c| is_full_version(c))
                .unwrap_or_else(|| panic!("{name}: {reference} has no `# vX.Y.Z` comment"));
            pins.entry((action.to_string(), version))
                .or_default()
                .insert(commit.to_string());
            let repository: Vec<&str> = action.split('/').take(2).collect();
            pins.entry((repository.join("/"), String::new()))
                .or_default()
                .insert(commit.to_string());
        }
    }
    for ((action, version), commits) in &pins {
        if !version.is_empty() {
            assert_eq!(commits.len(), 1, "{action} {version} pinned at {commits:?}");
        }
    }
    // One commit per action repository across the workflows and the README's example: when Dependabot
    // moves the workflows' pin, this fails until the README follows.
    for ((action, version), commits) in &pins {
        if version.is_empty() {
            assert_eq!(
                commits.len(),
                1,
                "{action} is pinned at several commits: {commits:?}"
            );
        }
    }
}

#[test]
fn the_pin_check_reads_what_it_must_refuse() {
    let lines = uses_lines(
        "    steps:\n      - uses: actions/checkout@v5\n      - name: x\n        uses: \"a/b@0123456789012345678901234567890123456789\" # v1.2\n",
    );
    assert_eq!(
        lines,
        [
            ("actions/checkout@v5".to_string(), None),
            (
                "a/b@0123456789012345678901234567890123456789".to_string(),
                Some("v1.2".to_string())
            )
        ]
    );
    assert!(!is_hex("v5", 40));
    assert!(!is_full_version("v1.2") && !is_full_version("v4") && is_full_version("v4.31.9"));
}

/// The Dockerfile's instructions: continuation lines joined, comments dropped.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// `(image, stage name)` of every `FROM`.
fn stages(dockerfile: &str) -> Vec<(String, Option<String>)> {
    instructions(dockerfile)
        .iter()
        .filter_map(|i| {
            let words: Vec<&str> = i.split_whitespace().collect();
            if !words.first()?.eq_ignore_ascii_case("FROM") {
                return None;
            }
            let words: Vec<&str> = words[1..]
                .iter()
                .copied()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let stage = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("AS") => Some(name.to_string()),
                _ => None,
            };
            Some((words[0].to_string(), stage))
        })
        .collect()
}

#[test]
fn every_base_image_is_pinned_by_digest_and_the_image_runs_as_root() {
    let dockerfile = read(&repo("Dockerfile"));
    let stages = stages(&dockerfile);
    assert!(stages.len() >= 2, "{stages:?}");
    let mut names = BTreeSet::new();
    for (image, stage) in &stages {
        if !names.contains(image) {
            let (named, digest) = image
                .split_once("@sha256:")
                .unwrap_or_else(|| panic!("FROM {image} is not pinned by digest"));
            assert!(is_hex(digest, 64), "FROM {image}");
            // Dependabot and readers need the tag beside the digest.
            let last = named.rsplit('/').next().unwrap();
            assert!(last.contains(':'), "FROM {image}: name the tag too");
        }
        if let Some(stage) = stage {
            names.insert(stage.clone());
        }
    }
    for instruction in instructions(&dockerfile) {
        let keyword = instruction.split_whitespace().next().unwrap_or_default();
        assert!(
            !keyword.eq_ignore_ascii_case("USER"),
            "`{instruction}`: a Docker action must run as root to write the workspace"
        );
    }
    assert!(
        !dockerfile.lines().any(|l| l.starts_with("# syntax=")),
        "a syntax directive pulls a frontend image that is not pinned"
    );
    // The last stage is the default target, which `image: Dockerfile` builds: from source.
    assert_eq!(stages.last().unwrap().1.as_deref(), Some("action"));
}

#[test]
fn the_dockerfile_check_reads_what_it_must_refuse() {
    let stages = stages(
        "FROM rust:1 AS build\nRUN x \\\n  y\nFROM --platform=$BUILDPLATFORM debian@sha256:00 as base\nFROM base\n",
    );
    assert_eq!(
        stages,
        [
            ("rust:1".to_string(), Some("build".to_string())),
            ("debian@sha256:00".to_string(), Some("base".to_string())),
            ("base".to_string(), None),
        ]
    );
    assert!(
        instructions("USER 1001\n")
            .iter()
            .any(|i| i.starts_with("USER"))
    );
}

fn release() -> Value {
    yaml(&repo(".github/workflows/release.yml"))
}

fn step_using<'a>(job: &'a Value, action: &str) -> &'a Value {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .unwrap_or_else(|| panic!("no step uses {action}"))
}

fn runs(job: &Value) -> String {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_release_builds_both_linux_architectures_as_binaries_and_as_one_image() {
    let release = release();
    let jobs = &release["jobs"];
    let targets: BTreeSet<&str> = jobs["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    for target in ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"] {
        assert!(targets.contains(target), "{targets:?}");
    }
    assert!(
        targets.iter().any(|t| t.ends_with("-apple-darwin")),
        "{targets:?}"
    );
    let build = runs(&jobs["binaries"]);
    assert!(
        build.contains("--profile dist --locked --target \"$TARGET\""),
        "{build}"
    );
    assert!(
        build.contains("INTERP"),
        "Linux binaries are checked to be static"
    );

    let image = &jobs["image"];
    let push = &step_using(image, "docker/build-push-action")["with"];
    let platforms: BTreeSet<&str> = push["platforms"]
        .as_str()
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(platforms, BTreeSet::from(["linux/amd64", "linux/arm64"]));
    assert_eq!(push["target"], "release");
    assert_eq!(push["push"], true);
    // Each platform's binary where the Dockerfile's release stage takes it.
    let unpack = runs(image);
    assert!(
        unpack.contains("amd64:x86_64 arm64:aarch64") && unpack.contains("dist/linux-$platform"),
        "{unpack}"
    );
    let dockerfile = read(&repo("Dockerfile"));
    assert!(dockerfile.contains("COPY --chmod=0755 dist/linux-${TARGETARCH}/ecr-scan-gate"));
    assert!(read(&repo(".dockerignore")).contains("!dist/linux-*/ecr-scan-gate"));
    assert!(dockerfile.contains("cargo build --profile dist --locked"));
}

#[test]
fn the_release_runs_only_from_the_default_branch_and_publishes_from_a_protected_environment() {
    let text = read(&repo(".github/workflows/release.yml"));
    let release = release();
    assert_eq!(release["permissions"], serde_json::json!({}));
    let jobs = release["jobs"].as_object().unwrap();
    let first = &jobs["check"]["steps"][0];
    assert_eq!(
        first["env"]["DEFAULT_BRANCH"],
        "${{ github.event.repository.default_branch }}"
    );
    assert!(
        first["run"]
            .as_str()
            .unwrap()
            .contains("if [[ \"$GITHUB_REF\" != \"refs/heads/$DEFAULT_BRANCH\" ]]; then"),
        "the check fails first thing off the default branch"
    );
    for (name, job) in jobs {
        let needs: Vec<&str> = match &job["needs"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(all) => all.iter().map(|n| n.as_str().unwrap()).collect(),
            _ => vec![],
        };
        assert!(
            name == "check" || needs.contains(&"check"),
            "{name} runs without the check"
        );
        let writes = job["permissions"]
            .as_object()
            .unwrap()
            .iter()
            .any(|(scope, level)| {
                level == "write" && matches!(scope.as_str(), "contents" | "packages")
            });
        if writes {
            assert_eq!(job["environment"], "release", "{name} publishes");
        }
    }
    // A version is never overwritten: the checks before anything is published, and creating (never
    // updating) the version tag and the release.
    for needle in [
        "tag v$VERSION exists",
        "release v$VERSION exists",
        "a version is never overwritten",
        "--method POST \"repos/$REPOSITORY/git/refs\" -f \"ref=refs/tags/v$VERSION\"",
        "gh release create \"v$VERSION\"",
    ] {
        assert!(text.contains(needle), "release.yml lacks `{needle}`");
    }
    assert!(
        !text.contains("--force") && !text.contains("git push"),
        "nothing is force-pushed"
    );
    // action.yml of the release commit runs the image by digest.
    assert!(text.contains("s|^  image: Dockerfile\\$|  image: docker://$IMAGE@$DIGEST|"));
    let action = read(&repo("action.yml"));
    assert_eq!(
        action
            .lines()
            .filter(|l| *l == "  image: Dockerfile")
            .count(),
        1,
        "the release replaces exactly this line"
    );
}

#[test]
fn binstall_finds_the_archives_the_release_packs() {
    let manifest: toml::Table = toml::from_str(&read(&repo("Cargo.toml"))).unwrap();
    let package = manifest["package"].as_table().unwrap();
    let binstall = package["metadata"]["binstall"].as_table().unwrap();
    let render = |template: &str, target: &str| {
        template
            .replace("{ repo }", package["repository"].as_str().unwrap())
            .replace("{ version }", package["version"].as_str().unwrap())
            .replace("{ name }", "ecr-scan-gate")
            .replace("{ bin }", "ecr-scan-gate")
            .replace("{ binary-ext }", "")
            .replace("{ target }", target)
    };
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    let release = release();
    let pack = runs(&release["jobs"]["binaries"]);
    assert!(pack.contains("name=\"ecr-scan-gate-$TARGET\""), "{pack}");
    assert!(
        pack.contains("tar -C pack -czf \"out/$name.tar.gz\" \"$name\""),
        "{pack}"
    );
    assert!(
        pack.contains("cp \"target/$TARGET/dist/ecr-scan-gate\""),
        "{pack}"
    );
    for entry in release["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
    {
        let target = entry["target"].as_str().unwrap();
        let url = render(binstall["pkg-url"].as_str().unwrap(), target);
        assert!(
            url.ends_with(&format!(
                "/releases/download/v{}/ecr-scan-gate-{target}.tar.gz",
                package["version"].as_str().unwrap()
            )),
            "{url}"
        );
        assert!(!url.contains('{'), "{url}");
        assert_eq!(
            render(binstall["bin-dir"].as_str().unwrap(), target),
            format!("ecr-scan-gate-{target}/ecr-scan-gate")
        );
    }
}

#[test]
fn dependabot_keeps_crates_actions_and_base_images_current_in_groups() {
    let config = yaml(&repo(".github/dependabot.yml"));
    let ecosystems: BTreeSet<&str> = config["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|update| {
            let ecosystem = update["package-ecosystem"].as_str().unwrap();
            assert!(
                update["groups"].as_object().is_some_and(|g| !g.is_empty()),
                "{ecosystem} is not grouped"
            );
            ecosystem
        })
        .collect();
    assert_eq!(
        ecosystems,
        BTreeSet::from(["cargo", "github-actions", "docker"])
    );
}

#[test]
fn release_builds_fast_and_dist_is_what_is_published() {
    let manifest: toml::Table = toml::from_str(&read(&repo("Cargo.toml"))).unwrap();
    let profiles = manifest["profile"].as_table().unwrap();
    let release = profiles["release"].as_table().unwrap();
    assert!(
        release
            .get("lto")
            .is_none_or(|lto| lto.as_str() == Some("off") || lto.as_bool() == Some(false)),
        "`cargo run --release` (the quick start) must not pay for fat LTO"
    );
    assert!(
        release
            .get("codegen-units")
            .is_none_or(|units| units.as_integer() != Some(1))
    );
    // What is published, and what the benchmarks measure: fully optimised.
    for name in ["dist", "bench"] {
        let profile = profiles[name].as_table().unwrap();
        assert_eq!(profile["opt-level"].as_integer(), Some(3), "{name}");
        assert_eq!(profile["lto"].as_str(), Some("fat"), "{name}");
        assert_eq!(profile["codegen-units"].as_integer(), Some(1), "{name}");
    }
    assert_eq!(profiles["dist"]["inherits"].as_str(), Some("release"));
    let readme = read(&repo("README.md"));
    assert!(readme.contains("cargo run --release --locked -- evaluate"));
}
