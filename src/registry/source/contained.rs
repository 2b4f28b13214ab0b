//! Files of a directory push source, opened without ever leaving the directory.
//!
//! A push source is build output, and build output may be hostile: a `config.json`, a blob or the
//! `blobs/` directory itself can be a symbolic link to a file elsewhere (cloud credentials, a token)
//! that would then be hashed, named in a message or uploaded. So below the source directory no link is
//! followed at all, even one that points back inside (the layouts and `docker save` directories that
//! builders write hold plain files): every component of a path is opened relative to the one before
//! with `O_NOFOLLOW`, so a link that appears between two opens is refused too (no check-then-open). Only
//! regular files are read: FIFOs and devices are refused, and opened without blocking.
//!
//! The source directory itself may be a link: the user named it. Hard links are regular files of the
//! directory and are read (Linux's `fs.protected_hardlinks` keeps others from linking files they cannot
//! read). Paths come in normalized ([`normalize`]): no `..`, `.` or empty components, and never above
//! the source's root.

use std::fs::File;
use std::io;
use std::path::Path;

/// Why a file of the directory was not opened.
#[derive(Debug)]
pub(super) enum Refusal {
    /// Nothing by that path.
    NotFound,
    /// `entry` (a path inside the directory) is a symbolic link.
    Link {
        entry: String,
    },
    /// `entry` is neither a regular file (the last component) nor a directory (one before).
    NotRegular {
        entry: String,
    },
    Io(io::Error),
}

/// Opens the regular file `relative` (`/`-separated, normalized) of the directory `root` for reading,
/// following no link below `root`.
#[cfg(unix)]
pub(super) fn open(root: &Path, relative: &str) -> Result<File, Refusal> {
    use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, fstat, openat, statat};
    use rustix::io::Errno;

    let parts: Vec<&str> = relative.split('/').collect();
    if parts.iter().any(|p| matches!(*p, "" | "." | "..")) {
        return Err(Refusal::NotFound);
    }
    let base = OFlags::RDONLY | OFlags::CLOEXEC;
    let mut dir = openat(CWD, root, base | OFlags::DIRECTORY, Mode::empty())
        .map_err(|e| Refusal::Io(e.into()))?;
    for (n, part) in parts.iter().enumerate() {
        let last = n + 1 == parts.len();
        let flags = if last {
            // Non-blocking: opening a FIFO must not wait for a writer (it is refused below anyway).
            base | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY
        } else {
            base | OFlags::NOFOLLOW | OFlags::DIRECTORY
        };
        let entry = || parts[..=n].join("/");
        dir = match openat(&dir, *part, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Err(Refusal::NotFound),
            Err(error) => {
                // Why, for the message: the open itself already refused to follow anything.
                return Err(match statat(&dir, *part, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink => {
                        Refusal::Link { entry: entry() }
                    }
                    Ok(_) if matches!(error, Errno::NOTDIR | Errno::LOOP) => {
                        Refusal::NotRegular { entry: entry() }
                    }
                    Err(Errno::NOENT) => Refusal::NotFound,
                    _ => Refusal::Io(error.into()),
                });
            }
        };
    }
    let stat = fstat(&dir).map_err(|e| Refusal::Io(e.into()))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(Refusal::NotRegular {
            entry: relative.to_string(),
        });
    }
    Ok(File::from(dir))
}

/// Opens the regular file `relative` of the directory `root`, refusing links below `root` (checked
/// component by component before the open: without `openat`, a link swapped in meanwhile can slip
/// through).
#[cfg(not(unix))]
pub(super) fn open(root: &Path, relative: &str) -> Result<File, Refusal> {
    let parts: Vec<&str> = relative.split('/').collect();
    if parts.iter().any(|p| matches!(*p, "" | "." | "..")) {
        return Err(Refusal::NotFound);
    }
    let mut path = root.to_path_buf();
    for (n, part) in parts.iter().enumerate() {
        path.push(part);
        let entry = || parts[..=n].join("/");
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Refusal::Link { entry: entry() });
            }
            Ok(meta)
                if (n + 1 == parts.len() && !meta.is_file())
                    || (n + 1 < parts.len() && !meta.is_dir()) =>
            {
                return Err(Refusal::NotRegular { entry: entry() });
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(Refusal::NotFound),
            Err(error) => return Err(Refusal::Io(error)),
        }
    }
    File::open(&path).map_err(Refusal::Io)
}

/// `a/./b//c/../d` → `a/b/d`; `None` when `..` would leave the root.
pub(super) fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::Read;
    use std::os::unix::fs::symlink;

    use super::*;

    fn read(root: &Path, relative: &str) -> Result<String, Refusal> {
        let mut text = String::new();
        open(root, relative)?
            .read_to_string(&mut text)
            .map_err(Refusal::Io)?;
        Ok(text)
    }

    #[test]
    fn plain_files_inside_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/c"), "inside").unwrap();
        std::fs::write(dir.path().join("top"), "top").unwrap();
        assert_eq!(read(dir.path(), "a/b/c").unwrap(), "inside");
        assert_eq!(read(dir.path(), "top").unwrap(), "top");
        assert!(matches!(read(dir.path(), "a/none"), Err(Refusal::NotFound)));
        assert!(matches!(read(dir.path(), "none/c"), Err(Refusal::NotFound)));
    }

    #[test]
    fn links_anywhere_below_the_root_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outside.path().join("sha256")).unwrap();
        std::fs::write(outside.path().join("secret"), "secret").unwrap();
        std::fs::write(outside.path().join("sha256/x"), "secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("blobs")).unwrap();
        std::fs::write(root.join("real"), "inside").unwrap();
        symlink(outside.path().join("secret"), root.join("file-link")).unwrap();
        symlink(outside.path().join("sha256"), root.join("blobs/sha256")).unwrap();
        symlink(outside.path(), root.join("dir-link")).unwrap();
        symlink("real", root.join("inside-link")).unwrap();
        symlink("../real", root.join("blobs/up-link")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        for (relative, entry) in [
            ("file-link", "file-link"),
            ("blobs/sha256/x", "blobs/sha256"),
            ("dir-link/secret", "dir-link"),
            ("inside-link", "inside-link"),
            ("blobs/up-link", "blobs/up-link"),
            ("dangling", "dangling"),
        ] {
            match read(root, relative) {
                Err(Refusal::Link { entry: found }) => assert_eq!(found, entry, "{relative}"),
                other => panic!("{relative}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_root_itself_may_be_a_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/file"), "x").unwrap();
        symlink(dir.path().join("real"), dir.path().join("named")).unwrap();
        assert_eq!(read(&dir.path().join("named"), "file").unwrap(), "x");
    }

    #[test]
    fn fifos_and_directories_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            assert!(matches!(
                read(dir.path(), "fifo"),
                Err(Refusal::NotRegular { .. })
            ));
        }
        std::fs::create_dir_all(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("f"), "x").unwrap();
        assert!(matches!(
            read(dir.path(), "d"),
            Err(Refusal::NotRegular { .. })
        ));
        assert!(matches!(
            read(dir.path(), "f/x"),
            Err(Refusal::NotRegular { .. })
        ));
    }

    #[test]
    fn dot_components_are_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        for relative in ["..", "../x", "a/../b", ".", "", "a//b"] {
            assert!(
                matches!(read(dir.path(), relative), Err(Refusal::NotFound)),
                "{relative}"
            );
        }
    }
}

#[cfg(test)]
mod paths {
    use super::*;

    #[test]
    fn normalize_keeps_paths_inside_the_root() {
        assert_eq!(normalize("./a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(normalize("a/../b").as_deref(), Some("b"));
        assert_eq!(normalize("/index.json").as_deref(), Some("index.json"));
        assert_eq!(normalize("../etc/passwd"), None);
    }
}
