//! Reads the run's VEX documents: the policy file's `vex` (relative to the policy file, and never
//! outside its directory) and `--vex` (as given), into the policy's [`Vex`]. Every document that
//! cannot be used is an error (exit 2) naming the file and where in it; all of them are reported.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use super::error::AppError;
use crate::policy::{Policy, VexFile};
use crate::vex::Vex;

/// The largest VEX document read (vendors' documents for whole images run to a few MiB).
pub(super) const MAX_VEX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads the policy's `vex` documents (relative to `policy_file`'s directory) and then `given` (the
/// `--vex` files) into `policy.vex`. Collects every problem.
pub(super) fn load(
    policy: &mut Policy,
    policy_file: &Path,
    given: &[PathBuf],
) -> Result<(), Vec<AppError>> {
    let mut errors = Vec::new();
    let mut vex = Vex::default();
    let base = policy_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let from_policy = policy.vex_files.iter().map(|file| {
        let path = contained(base, file).map_err(|problem| AppError::VexPath {
            policy: policy_file.display().to_string(),
            line: file.line,
            path: file.path.clone(),
            problem,
        });
        (base.join(&file.path), path)
    });
    let documents: Vec<(PathBuf, Result<PathBuf, AppError>)> = from_policy
        .chain(given.iter().map(|path| (path.clone(), Ok(path.clone()))))
        .collect();
    for (named, path) in documents {
        let file = named.display().to_string();
        let read = path.and_then(|path| {
            read_bounded(&path).map_err(|source| AppError::ReadVex {
                file: file.clone(),
                source,
            })
        });
        match read {
            Ok(bytes) => {
                if let Err(error) = vex.add(&file, &bytes) {
                    errors.push(AppError::Vex(error));
                }
            }
            Err(error) => errors.push(error),
        }
    }
    policy.vex = vex;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A policy file's `vex` path inside `base` (the policy file's directory): relative, without `..`
/// leaving it, and not leaving it through a symbolic link either. The policy may come from the change
/// under review: it may name documents shipped beside it, not any file the runner can read.
fn contained(base: &Path, file: &VexFile) -> Result<PathBuf, String> {
    let relative = Path::new(&file.path);
    let mut depth = 0usize;
    for component in relative.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            Component::ParentDir => {
                return Err(
                    "leaves the policy file's directory (`..`): a policy may only name \
                            documents in its own directory or below"
                        .to_string(),
                );
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(
                    "is absolute: write it relative to the policy file's directory, or \
                            pass it with --vex"
                        .to_string(),
                );
            }
        }
    }
    let path = base.join(relative);
    let unreadable = |error: io::Error| format!("cannot be read: {error}");
    let root = fs::canonicalize(base).map_err(unreadable)?;
    let resolved = fs::canonicalize(&path).map_err(unreadable)?;
    if !resolved.starts_with(&root) {
        return Err(
            "leads outside the policy file's directory through a symbolic link: a policy may \
             only name documents in its own directory or below"
                .to_string(),
        );
    }
    Ok(resolved)
}

/// The file's bytes, refusing anything larger than [`MAX_VEX_BYTES`].
fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::other("it is a directory"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_VEX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_VEX_BYTES {
        return Err(io::Error::other(format!(
            "it is larger than {} MiB",
            MAX_VEX_BYTES / 1024 / 1024
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn file(path: &str) -> VexFile {
        VexFile {
            path: path.to_string(),
            line: 1,
        }
    }

    #[test]
    fn paths_inside_the_policy_s_directory_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("ci");
        fs::create_dir_all(base.join("vex/deep")).unwrap();
        fs::write(base.join("vex/a.json"), "{}").unwrap();
        fs::write(base.join("b.json"), "{}").unwrap();
        symlink("vex/a.json", base.join("inside-link.json")).unwrap();
        for (path, target) in [
            ("vex/a.json", "vex/a.json"),
            ("./vex/a.json", "vex/a.json"),
            ("vex/deep/../a.json", "vex/a.json"),
            ("vex/../b.json", "b.json"),
            ("inside-link.json", "vex/a.json"),
        ] {
            assert_eq!(
                contained(&base, &file(path)),
                Ok(fs::canonicalize(base.join(target)).unwrap()),
                "{path}"
            );
        }
    }

    #[test]
    fn paths_leaving_the_policy_s_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("ci");
        fs::create_dir_all(base.join("vex")).unwrap();
        fs::write(dir.path().join("secret.json"), "{}").unwrap();
        symlink(dir.path().join("secret.json"), base.join("link.json")).unwrap();
        symlink(dir.path(), base.join("vex/up")).unwrap();
        for (path, says) in [
            ("../secret.json", "leaves"),
            ("vex/../../secret.json", "leaves"),
            ("..", "leaves"),
            ("/etc/passwd", "absolute"),
            ("link.json", "symbolic link"),
            ("vex/up/secret.json", "symbolic link"),
            ("missing.json", "cannot be read"),
        ] {
            let problem = contained(&base, &file(path)).unwrap_err();
            assert!(problem.contains(says), "{path}: {problem}");
        }
    }

    #[test]
    fn documents_over_the_size_bound_and_directories_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        let handle = File::create(&big).unwrap();
        handle.set_len(MAX_VEX_BYTES + 1).unwrap();
        let error = read_bounded(&big).unwrap_err();
        assert!(error.to_string().contains("larger than 64 MiB"), "{error}");
        let exact = dir.path().join("exact.json");
        File::create(&exact).unwrap().set_len(16).unwrap();
        assert_eq!(read_bounded(&exact).unwrap().len(), 16);
        let error = read_bounded(dir.path()).unwrap_err();
        assert!(error.to_string().contains("directory"), "{error}");
    }
}
