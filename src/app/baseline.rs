//! `--baseline SOURCE…`: what each source is (a file, or another ECR image for `scan`), reading the
//! files, and turning what was read into the [`Delta`] the verdict and the reports read.
//!
//! A SOURCE is a file when it names an existing file, ends in `.json`, or starts with `/`, `./` or
//! `../`; `evaluate` reads only files. For `scan`, any other SOURCE is an image: `:TAG`, `@sha256:…` or
//! a bare tag (`main`) in the gated image's repository, or `REPOSITORY:TAG`, `REPOSITORY@sha256:…` or
//! a full URI in the same registry. The live reading of an image is `scan`'s (it is read like the
//! gated image); this file never calls AWS.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::error::AppError;
use crate::baseline::{self, Baseline, Delta, Read};
use crate::cli::BaselineMissing;
use crate::findings::{ImageScan, ScanSet};
use crate::image_ref::ImageRef;
use crate::run::{Incomplete, Reason};

/// The largest baseline file read (bytes): a JSON report of 100,000 findings is far smaller.
pub(super) const MAX_BASELINE_BYTES: u64 = 512 * 1024 * 1024;

/// What a `--baseline` SOURCE names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    File(PathBuf),
    Image(ImageRef),
}

/// What the baseline sources gave, before comparing: their scans, and the sources that do not exist.
#[derive(Debug, Default)]
pub(super) struct BaselineRead {
    /// Every source, as reports name it.
    pub(super) names: Vec<String>,
    pub(super) scans: Vec<ImageScan>,
    /// Why each source that does not exist is missing.
    pub(super) missing: Vec<String>,
}

/// Decides what `text` names. `target`: the image gated by `scan` (`None` for `evaluate`, which reads
/// files only).
pub(super) fn classify(text: &str, target: Option<&ImageRef>) -> Result<Source, AppError> {
    let trimmed = text.trim();
    let path = Path::new(trimmed);
    let looks_like_file = trimmed.to_ascii_lowercase().ends_with(".json")
        || ["/", "./", "../"].iter().any(|p| trimmed.starts_with(p))
        || trimmed.contains('\\');
    if trimmed.is_empty() {
        return Err(AppError::Usage("--baseline is empty".into()));
    }
    if path.is_file() || looks_like_file {
        return Ok(Source::File(path.to_path_buf()));
    }
    let Some(target) = target else {
        if !path.exists() && trimmed.contains([':', '@']) {
            return Err(AppError::Usage(format!(
                "--baseline {trimmed}: no such file; `evaluate` reads baselines from files (a JSON \
                 report or saved describe-image-scan-findings output), an image as baseline needs `scan`"
            )));
        }
        return Ok(Source::File(path.to_path_buf()));
    };
    let in_repository = |suffix: &str| {
        let mut reference = String::new();
        if let Some(host) = &target.host {
            reference.push_str(host);
            reference.push('/');
        }
        reference.push_str(&target.repository);
        reference.push_str(suffix);
        reference
    };
    let reference = if trimmed.starts_with(':') || trimmed.starts_with('@') {
        in_repository(trimmed)
    } else if !trimmed.contains(['/', ':', '@']) {
        in_repository(&format!(":{trimmed}"))
    } else {
        trimmed.to_string()
    };
    let image = ImageRef::parse(&reference).map_err(|error| {
        AppError::Usage(format!(
            "--baseline {trimmed}: not a file, and not an image: {error}"
        ))
    })?;
    let differs = |ours: &Option<String>, theirs: &Option<String>| matches!((ours, theirs), (Some(a), Some(b)) if a != b);
    if differs(&image.registry_id, &target.registry_id) || differs(&image.region, &target.region) {
        return Err(AppError::Usage(format!(
            "--baseline {trimmed}: the baseline image must be in the gated image's registry and region"
        )));
    }
    // The gated tag as its own baseline: after a push (or in a workflow shared by pull requests and
    // main) it is the gated image itself, and every finding would be "unchanged".
    if image.repository == target.repository && image.tag.is_some() && image.tag == target.tag {
        return Err(AppError::Usage(format!(
            "--baseline {trimmed}: that is the gated tag itself, so nothing could be new; name the tag \
             or digest deployed from the main branch"
        )));
    }
    Ok(Source::Image(image))
}

/// Reads the baseline files among `sources` into `read` (a missing file is recorded as missing);
/// results that are not usable become `incomplete`, files that cannot be used `errors`.
pub(super) fn read_files(
    sources: &[Source],
    read: &mut BaselineRead,
    incomplete: &mut Vec<Incomplete>,
    errors: &mut Vec<AppError>,
) {
    for source in sources {
        let Source::File(path) = source else {
            continue;
        };
        let file = path.display().to_string();
        read.names.push(file.clone());
        match read_file(path) {
            Ok(Some(Read::Report(scans))) => read.scans.extend(scans),
            Ok(Some(Read::Saved(saved))) => {
                if let Err(reason) = saved.usable {
                    incomplete.push(Incomplete {
                        image: Some(format!("baseline {}", saved.scan.image.label())),
                        reason: Reason::Unusable(format!("baseline file {file}: {reason}")),
                    });
                }
                read.scans.push(saved.scan);
            }
            Ok(None) => read
                .missing
                .push(format!("baseline file {file} does not exist")),
            Err(error) => errors.push(error),
        }
    }
}

/// One baseline file; `None` when it does not exist.
fn read_file(path: &Path) -> Result<Option<Read>, AppError> {
    let file = path.display().to_string();
    let unreadable = |source| AppError::ReadBaseline {
        file: file.clone(),
        source,
    };
    let handle = match fs::File::open(path) {
        Ok(handle) => handle,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(unreadable(error)),
    };
    let too_large = || AppError::BaselineTooLarge {
        file: file.clone(),
        limit: MAX_BASELINE_BYTES,
    };
    if handle
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > MAX_BASELINE_BYTES)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    handle
        .take(MAX_BASELINE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_BASELINE_BYTES {
        return Err(too_large());
    }
    baseline::read(&bytes)
        .map(Some)
        .map_err(|source| AppError::Baseline { file, source })
}

/// The delta of `set` against what was read; `None` when no baseline was asked for.
pub(super) fn delta(
    read: Option<BaselineRead>,
    set: &ScanSet,
    missing: BaselineMissing,
) -> Result<Option<Delta>, AppError> {
    let Some(read) = read else {
        return Ok(None);
    };
    let all_new = missing == BaselineMissing::AllNew;
    let source = if read.names.is_empty() {
        "none".to_string()
    } else {
        read.names.join(", ")
    };
    if !read.missing.is_empty() && !all_new {
        return Err(AppError::BaselineMissing {
            why: read.missing.join("; "),
        });
    }
    if read.scans.is_empty() {
        let why = if read.missing.is_empty() {
            "no baseline was given".to_string()
        } else {
            read.missing.join("; ")
        };
        return Ok(Some(Delta::all_new(set, source, why)));
    }
    let baseline = Baseline::new(source, read.scans);
    let mut delta = baseline::compare(set, &baseline, all_new)
        .map_err(|source| AppError::BaselinePlatform { source })?;
    for why in read.missing {
        delta
            .warnings
            .push(format!("{why}: compared with the other baseline sources"));
    }
    Ok(Some(delta))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> ImageRef {
        ImageRef::parse("team/app:pr-7").unwrap()
    }

    #[test]
    fn sources_are_files_or_images_in_the_gated_repository() {
        let image = |text: &str| match classify(text, Some(&target())).unwrap() {
            Source::Image(image) => image.to_string(),
            Source::File(path) => panic!("{text} read as the file {}", path.display()),
        };
        assert_eq!(image("main"), "team/app:main");
        assert_eq!(image(":main"), "team/app:main");
        let digest = format!("@sha256:{}", "a".repeat(64));
        assert_eq!(image(&digest), format!("team/app{digest}"));
        assert_eq!(image("other/app:v1"), "other/app:v1");
        for file in ["base.json", "./main", "/tmp/x", "../a/b"] {
            assert!(
                matches!(classify(file, Some(&target())), Ok(Source::File(_))),
                "{file}"
            );
        }
        assert!(matches!(classify("main", None), Ok(Source::File(_))));
        assert!(matches!(
            classify("app:main", None),
            Err(AppError::Usage(_))
        ));
        assert!(classify("  ", Some(&target())).is_err());
        assert!(classify("main:bad tag", Some(&target())).is_err());
    }

    #[test]
    fn a_baseline_image_in_another_registry_is_refused() {
        let target =
            ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:pr").unwrap();
        assert!(matches!(
            classify(
                "210987654321.dkr.ecr.eu-west-1.amazonaws.com/app:main",
                Some(&target)
            ),
            Err(AppError::Usage(_))
        ));
        match classify("main", Some(&target)).unwrap() {
            Source::Image(image) => {
                assert_eq!(image.registry_id.as_deref(), Some("123456789012"));
                assert_eq!(image.tag.as_deref(), Some("main"));
            }
            other => panic!("{other:?}"),
        }
    }
}
