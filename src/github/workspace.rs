//! The Action's workspace rule: a Docker action shares only the workspace (`GITHUB_WORKSPACE`) with
//! the job's later steps, so a report written anywhere else (`/tmp`, `runner.temp`) is lost with the
//! container, and an output pointing at it misleads. This module resolves report paths the way the
//! write will (relative to the working directory, through symlinks, `..` included), refuses any that
//! ends up outside the workspace, and turns the paths written into workspace-relative outputs.
//!
//! It reads the file system (which path components exist, where symlinks lead) and nothing else; the
//! caller passes the workspace and the working directory in.
//!
//! NOTE: the runner mounts only the workspace, `/github/home`, `/github/workflow` and the file-command
//! folder into a Docker action's container:
//! https://docs.github.com/en/actions/sharing-automations/creating-actions/dockerfile-support-for-github-actions

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A report path the Action cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "`-` (stdout) is the job log in the Action; write the report to a file in the workspace"
    )]
    Stdout,
    #[error(
        "`{path}` is outside the workspace {workspace}{}: only the workspace is shared with the job's \
         later steps, so write reports under it (a relative path is relative to the workspace)",
        resolved_text(.path, .resolved)
    )]
    Outside {
        path: String,
        resolved: String,
        workspace: String,
    },
    #[error("`{path}` is the workspace itself or a directory in it, not a file")]
    Directory { path: String },
    #[error("`{path}` leads nowhere in the workspace: {kind}")]
    Resolve { path: String, kind: io::ErrorKind },
    #[error("couldn't resolve the workspace {workspace}: {kind}")]
    Workspace {
        workspace: String,
        kind: io::ErrorKind,
    },
}

fn resolved_text(path: &str, resolved: &str) -> String {
    if path == resolved {
        String::new()
    } else {
        format!(" (it resolves to {resolved})")
    }
}

/// The job's workspace and the directory relative paths start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    root: PathBuf,
    cwd: PathBuf,
}

impl Workspace {
    /// `root` is `GITHUB_WORKSPACE`; `cwd` the working directory (the workspace, in a Docker action).
    pub fn new(root: impl Into<PathBuf>, cwd: impl Into<PathBuf>) -> Workspace {
        Workspace {
            root: root.into(),
            cwd: cwd.into(),
        }
    }

    fn canonical_root(&self) -> Result<PathBuf, WorkspaceError> {
        fs::canonicalize(&self.root).map_err(|error| WorkspaceError::Workspace {
            workspace: self.root.display().to_string(),
            kind: error.kind(),
        })
    }

    /// Where a report written to `value` would land, symlinks resolved, if that is a file inside the
    /// workspace. The path returned is absolute: writing to it writes where was checked.
    pub fn report_path(&self, value: &str) -> Result<PathBuf, WorkspaceError> {
        if value == "-" {
            return Err(WorkspaceError::Stdout);
        }
        let root = self.canonical_root()?;
        // Walk the path as the kernel will: through every symlink that exists, `..` from where that
        // led. What does not exist yet is created by the write as plain directories, so `..` after it
        // is the parent of what came before.
        let mut resolved = PathBuf::new();
        for component in self.cwd.join(value).components() {
            match component {
                Component::Prefix(_) | Component::RootDir => resolved.push(component),
                Component::CurDir => {}
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::Normal(name) => {
                    let next = resolved.join(name);
                    let unresolvable = |error: io::Error| WorkspaceError::Resolve {
                        path: value.to_string(),
                        kind: error.kind(),
                    };
                    resolved = match fs::symlink_metadata(&next) {
                        // A dangling symlink exists too (a write would follow it) but resolves nowhere.
                        Ok(_) => fs::canonicalize(&next).map_err(unresolvable)?,
                        Err(error) if error.kind() == io::ErrorKind::NotFound => next,
                        Err(error) => return Err(unresolvable(error)),
                    };
                }
            }
        }
        if !resolved.starts_with(&root) {
            return Err(WorkspaceError::Outside {
                path: value.to_string(),
                resolved: resolved.display().to_string(),
                workspace: self.root.display().to_string(),
            });
        }
        if resolved.is_dir() {
            return Err(WorkspaceError::Directory {
                path: value.to_string(),
            });
        }
        Ok(resolved)
    }

    /// `path` (as the run wrote it, relative to the working directory) relative to the workspace.
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        relative_to(&self.root, &self.cwd.join(path))
    }
}

/// `path`, an existing file, relative to the workspace `root` when it lies inside (symlinks resolved;
/// a relative `path` starts from the process's working directory): the form a later step can use,
/// whatever its working directory and whether or not the gate ran in a container.
pub fn relative_to(root: &Path, path: &Path) -> Option<PathBuf> {
    let root = fs::canonicalize(root).ok()?;
    let path = fs::canonicalize(path).ok()?;
    let relative = path.strip_prefix(&root).ok()?;
    (!relative.as_os_str().is_empty()).then(|| relative.to_path_buf())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    struct Fixture {
        workspace: tempfile::TempDir,
        outside: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Fixture {
            let fixture = Fixture {
                workspace: tempfile::tempdir().unwrap(),
                outside: tempfile::tempdir().unwrap(),
            };
            fs::create_dir(fixture.ws().join("reports")).unwrap();
            fs::create_dir(fixture.ws().join("sub")).unwrap();
            symlink(fixture.outside.path(), fixture.ws().join("out")).unwrap();
            symlink("reports", fixture.ws().join("inside")).unwrap();
            symlink(
                fixture.outside.path().join("nowhere.json"),
                fixture.ws().join("dangling"),
            )
            .unwrap();
            fs::write(fixture.ws().join("reports/old.json"), "{}").unwrap();
            symlink(
                fixture.outside.path().join("nowhere.json"),
                fixture.ws().join("reports/dangling.json"),
            )
            .unwrap();
            fixture
        }

        fn ws(&self) -> PathBuf {
            fs::canonicalize(self.workspace.path()).unwrap()
        }

        fn at(&self, cwd: &str) -> Workspace {
            Workspace::new(self.workspace.path(), self.workspace.path().join(cwd))
        }

        fn resolve(&self, value: &str) -> Result<PathBuf, WorkspaceError> {
            self.at("").report_path(value)
        }
    }

    #[test]
    fn paths_inside_the_workspace_resolve_to_absolute_paths() {
        let f = Fixture::new();
        let ws = f.ws();
        for (value, expected) in [
            ("gate.json", "gate.json"),
            ("./gate.json", "gate.json"),
            ("reports/gate.json", "reports/gate.json"),
            ("reports/old.json", "reports/old.json"),
            ("new/dir/gate.json", "new/dir/gate.json"),
            ("reports/../gate.json", "gate.json"),
            ("sub/../reports/./gate.json", "reports/gate.json"),
            ("inside/gate.json", "reports/gate.json"),
            ("reports//gate.json", "reports/gate.json"),
        ] {
            assert_eq!(f.resolve(value), Ok(ws.join(expected)), "{value}");
        }
        let absolute = ws.join("reports/gate.json");
        assert_eq!(
            f.resolve(&absolute.display().to_string()),
            Ok(absolute.clone())
        );
        let detour = format!(
            "{}/../{}/reports/gate.json",
            ws.display(),
            ws.file_name().unwrap().to_string_lossy()
        );
        assert_eq!(f.resolve(&detour), Ok(absolute));
    }

    #[test]
    fn relative_paths_start_from_the_working_directory() {
        let f = Fixture::new();
        assert_eq!(
            f.at("sub").report_path("gate.json"),
            Ok(f.ws().join("sub/gate.json"))
        );
        assert_eq!(
            f.at("sub").report_path("../gate.json"),
            Ok(f.ws().join("gate.json"))
        );
        assert!(matches!(
            f.at("sub").report_path("../../gate.json"),
            Err(WorkspaceError::Outside { .. })
        ));
    }

    #[test]
    fn paths_that_leave_the_workspace_are_refused() {
        let f = Fixture::new();
        let outside = f.outside.path().join("gate.json").display().to_string();
        for value in [
            outside.as_str(),
            "/tmp/gate.json",
            "../gate.json",
            "reports/../../gate.json",
            "out/gate.json",
            "out/../gate.json",
            "inside/../../gate.json",
            "/",
        ] {
            let error = f.resolve(value).unwrap_err();
            assert!(
                matches!(error, WorkspaceError::Outside { .. }),
                "{value}: {error:?}"
            );
            let text = error.to_string();
            assert!(
                text.contains(value) && text.contains("outside the workspace"),
                "{text}"
            );
        }
        assert!(
            f.resolve("out/gate.json")
                .unwrap_err()
                .to_string()
                .contains("resolves to"),
            "a symlink's detour is named"
        );
    }

    #[test]
    fn dangling_symlinks_are_refused() {
        let f = Fixture::new();
        for value in ["dangling", "reports/dangling.json", "dangling/../gate.json"] {
            let error = f.resolve(value).unwrap_err();
            assert!(
                matches!(error, WorkspaceError::Resolve { .. }),
                "{value}: {error:?}"
            );
            assert!(error.to_string().contains(value), "{error}");
        }
    }

    #[test]
    fn a_path_below_a_file_is_refused() {
        let f = Fixture::new();
        assert!(matches!(
            f.resolve("reports/old.json/gate.json"),
            Err(WorkspaceError::Resolve { .. })
        ));
    }

    #[test]
    fn ups_past_directories_still_to_be_created_are_followed() {
        let f = Fixture::new();
        let ws = f.ws();
        assert_eq!(f.resolve("new/../gate.json"), Ok(ws.join("gate.json")));
        assert_eq!(
            f.resolve("new/deeper/../../reports/gate.json"),
            Ok(ws.join("reports/gate.json"))
        );
        for value in [
            "new/../../gate.json",
            "new/../../../etc/passwd",
            "new/../out/x",
        ] {
            assert!(
                matches!(f.resolve(value), Err(WorkspaceError::Outside { .. })),
                "{value}"
            );
        }
    }

    #[test]
    fn stdout_and_directories_are_not_report_files() {
        let f = Fixture::new();
        assert_eq!(f.resolve("-"), Err(WorkspaceError::Stdout));
        for value in [".", "reports", "reports/", "inside", "sub/.."] {
            assert!(
                matches!(f.resolve(value), Err(WorkspaceError::Directory { .. })),
                "{value}"
            );
        }
        assert_eq!(f.resolve("./-"), Ok(f.ws().join("-")));
    }

    #[test]
    fn a_workspace_that_does_not_exist_is_named() {
        let f = Fixture::new();
        let gone = Workspace::new(f.ws().join("gone"), f.ws());
        let error = gone.report_path("gate.json").unwrap_err();
        assert!(matches!(error, WorkspaceError::Workspace { .. }));
        assert!(error.to_string().contains("gone"), "{error}");
    }

    #[test]
    fn written_paths_become_workspace_relative() {
        let f = Fixture::new();
        let ws = f.at("sub");
        fs::write(f.ws().join("sub/gate.json"), "{}").unwrap();
        assert_eq!(
            ws.relative(Path::new("gate.json")),
            Some(PathBuf::from("sub/gate.json"))
        );
        assert_eq!(
            ws.relative(&f.ws().join("reports/old.json")),
            Some(PathBuf::from("reports/old.json"))
        );
        assert_eq!(
            ws.relative(&f.ws().join("inside/old.json")),
            Some(PathBuf::from("reports/old.json"))
        );
        fs::write(f.outside.path().join("x.json"), "{}").unwrap();
        assert_eq!(ws.relative(&f.outside.path().join("x.json")), None);
        assert_eq!(ws.relative(Path::new("missing.json")), None);
        assert_eq!(ws.relative(Path::new("..")), None);
    }
}
