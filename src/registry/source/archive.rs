//! A tar archive as a read-only file system: member paths → byte ranges of the archive file, found by
//! reading the headers only (seeking past contents). Symbolic and hard links are followed (Docker ≥ 25
//! `docker save` links its legacy `layer.tar` paths to the layout's blobs). Never extracts anything and
//! never reads a member's content.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::contained::normalize;
use super::error::SourceError;
use super::image::Location;

/// Links followed before giving up (a loop).
const MAX_LINKS: usize = 16;

/// What a member is.
#[derive(Debug, Clone)]
enum Member {
    /// A regular file: its content is `len` bytes from `offset`.
    File { offset: u64, len: u64 },
    /// A link to another member (already resolved to an archive path).
    Link { target: String },
    /// A sparse file: its content is not one range.
    Sparse,
}

/// The members of one tar archive.
#[derive(Debug)]
pub(super) struct Archive {
    path: PathBuf,
    members: HashMap<String, Member>,
    /// The directory the layout sits in, when the tar holds it one level down (`tar cf x.tar dir`).
    root: String,
}

impl Archive {
    /// Reads every header of the archive at `path`.
    pub(super) fn index(path: &Path) -> Result<Archive, SourceError> {
        let name = path.display().to_string();
        let tar_error = |source| SourceError::Tar {
            path: name.clone(),
            source,
        };
        let file = File::open(path).map_err(|source| SourceError::Open {
            path: name.clone(),
            source,
        })?;
        let mut archive = tar::Archive::new(BufReader::with_capacity(64 << 10, file));
        let mut members = HashMap::new();
        for entry in archive.entries_with_seek().map_err(tar_error)? {
            let entry = entry.map_err(tar_error)?;
            let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(member_path) = normalize(&raw_path) else {
                continue;
            };
            let kind = entry.header().entry_type();
            let member = if kind.is_gnu_sparse() {
                Member::Sparse
            } else if kind.is_file() || kind.is_contiguous() {
                Member::File {
                    offset: entry.raw_file_position(),
                    len: entry.size(),
                }
            } else if kind.is_symlink() || kind.is_hard_link() {
                let Some(link) = entry.link_name_bytes() else {
                    continue;
                };
                let link = String::from_utf8_lossy(&link).into_owned();
                let joined = if kind.is_symlink() && !link.starts_with('/') {
                    match member_path.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{link}"),
                        None => link,
                    }
                } else {
                    link
                };
                let Some(target) = normalize(&joined) else {
                    continue;
                };
                Member::Link { target }
            } else {
                continue;
            };
            members.insert(member_path, member);
        }
        let root = find_root(&members);
        Ok(Archive {
            path: path.to_path_buf(),
            members,
            root,
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The byte range of the member at `relative` (already normalized), following links.
    pub(super) fn locate(
        &self,
        relative: &str,
        what: &str,
    ) -> Result<Option<Location>, SourceError> {
        let mut current = if self.root.is_empty() {
            relative.to_string()
        } else {
            format!("{}/{relative}", self.root)
        };
        for _ in 0..MAX_LINKS {
            match self.members.get(&current) {
                None => return Ok(None),
                Some(Member::File { offset, len }) => {
                    return Ok(Some(Location {
                        file: self.path.clone(),
                        offset: *offset,
                        len: *len,
                        within: None,
                    }));
                }
                Some(Member::Sparse) => {
                    return Err(SourceError::Sparse {
                        path: self.path.display().to_string(),
                        what: what.to_string(),
                    });
                }
                Some(Member::Link { target }) => current = target.clone(),
            }
        }
        Ok(None)
    }
}

/// `""` when `index.json` or `manifest.json` is at the top; else the one directory that holds it.
fn find_root(members: &HashMap<String, Member>) -> String {
    if members.contains_key("index.json") || members.contains_key("manifest.json") {
        return String::new();
    }
    let mut roots: Vec<&str> = members
        .keys()
        .filter_map(|path| {
            path.strip_suffix("/index.json")
                .or_else(|| path.strip_suffix("/manifest.json"))
        })
        .filter(|dir| !dir.contains('/'))
        .collect();
    roots.sort_unstable();
    roots.dedup();
    match roots.as_slice() {
        [one] => (*one).to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> (tempfile::TempDir, PathBuf) {
        let mut builder = tar::Builder::new(Vec::new());
        build(&mut builder);
        let bytes = builder.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    fn file(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, data).unwrap();
    }

    fn link(builder: &mut tar::Builder<Vec<u8>>, kind: tar::EntryType, path: &str, target: &str) {
        let mut header = tar::Header::new_gnu();
        header.set_size(0);
        header.set_entry_type(kind);
        builder.append_link(&mut header, path, target).unwrap();
    }

    fn content(location: &Location) -> Vec<u8> {
        let bytes = std::fs::read(&location.file).unwrap();
        bytes[location.offset as usize..(location.offset + location.len) as usize].to_vec()
    }

    #[test]
    fn members_are_located_by_offset_and_links_are_followed() {
        let (_dir, path) = tar_with(|b| {
            file(b, "./index.json", b"{}");
            file(b, "blobs/sha256/abc", b"layer bytes");
            link(
                b,
                tar::EntryType::Symlink,
                "old/layer.tar",
                "../blobs/sha256/abc",
            );
            link(b, tar::EntryType::Link, "hard.tar", "blobs/sha256/abc");
        });
        let archive = Archive::index(&path).unwrap();
        let located = |p: &str| archive.locate(p, p).unwrap().map(|l| content(&l));
        assert_eq!(located("index.json").unwrap(), b"{}");
        assert_eq!(located("blobs/sha256/abc").unwrap(), b"layer bytes");
        assert_eq!(located("old/layer.tar").unwrap(), b"layer bytes");
        assert_eq!(located("hard.tar").unwrap(), b"layer bytes");
        assert!(located("nothing").is_none());
    }

    #[test]
    fn a_layout_one_directory_down_is_found() {
        let (_dir, path) = tar_with(|b| {
            file(b, "image/index.json", b"{}");
            file(b, "image/oci-layout", b"{}");
        });
        let archive = Archive::index(&path).unwrap();
        assert!(
            archive
                .locate("index.json", "index.json")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn link_loops_end() {
        let (_dir, path) = tar_with(|b| {
            link(b, tar::EntryType::Symlink, "a", "b");
            link(b, tar::EntryType::Symlink, "b", "a");
        });
        let archive = Archive::index(&path).unwrap();
        assert!(archive.locate("a", "a").unwrap().is_none());
    }
}
