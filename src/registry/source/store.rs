//! Where a source's files are ([`Store`]): a directory, whose files are opened as `contained` does,
//! or the members of a tar archive. Finds a file's byte range and reads small files whole; knows no
//! image format.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use super::archive::Archive;
use super::contained::{self, normalize};
use super::error::SourceError;
use super::image::Location;

/// The largest manifest (or `index.json`, `manifest.json`) read: the size registries must accept at
/// least, per the OCI distribution spec.
pub(super) const MAX_MANIFEST: u64 = 4 << 20;

/// Where a source's files are: a directory, or members of a tar archive.
pub(super) enum Store {
    Dir(PathBuf),
    Archive(Archive),
}

impl Store {
    /// The source's path, for messages.
    pub(super) fn name(&self) -> String {
        match self {
            Store::Dir(dir) => dir.display().to_string(),
            Store::Archive(archive) => archive.path().display().to_string(),
        }
    }

    /// Whether the source holds a file by that path (a link there is an error, not a no).
    pub(super) fn exists(&self, relative: &str) -> Result<bool, SourceError> {
        Ok(self.locate(relative, relative)?.is_some())
    }

    /// The byte range of a file of the source, `None` when it has none by that path. `relative`
    /// uses `/`; `..` may not leave the source.
    pub(super) fn locate(
        &self,
        relative: &str,
        what: &str,
    ) -> Result<Option<Location>, SourceError> {
        let Some(normal) = normalize(relative) else {
            return Err(SourceError::Outside {
                path: self.name(),
                what: what.to_string(),
                name: relative.to_string(),
            });
        };
        match self {
            Store::Dir(dir) => {
                let read_error = |source| SourceError::Read {
                    path: self.name(),
                    what: what.to_string(),
                    source,
                };
                let file = match contained::open(dir, &normal) {
                    Ok(file) => file,
                    Err(contained::Refusal::NotFound) => return Ok(None),
                    Err(contained::Refusal::Link { entry }) => {
                        return Err(SourceError::Link {
                            path: self.name(),
                            what: what.to_string(),
                            entry,
                        });
                    }
                    Err(contained::Refusal::NotRegular { entry }) => {
                        return Err(SourceError::NotAFile {
                            path: self.name(),
                            what: what.to_string(),
                            entry,
                        });
                    }
                    Err(contained::Refusal::Io(error)) => return Err(read_error(error)),
                };
                let len = file.metadata().map_err(read_error)?.len();
                Ok(Some(Location {
                    file: dir.join(&normal),
                    offset: 0,
                    len,
                    within: Some((dir.clone(), normal)),
                }))
            }
            Store::Archive(archive) => archive.locate(&normal, what),
        }
    }

    /// A small file of the source, whole; `None` when absent.
    pub(super) fn read(
        &self,
        relative: &str,
        what: &str,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, Location)>, SourceError> {
        let Some(location) = self.locate(relative, what)? else {
            return Ok(None);
        };
        if location.len > limit {
            return Err(SourceError::TooLarge {
                path: self.name(),
                what: what.to_string(),
                limit,
            });
        }
        let read_error = |source| SourceError::Read {
            path: self.name(),
            what: what.to_string(),
            source,
        };
        let mut file = location.open().map_err(read_error)?;
        file.seek(SeekFrom::Start(location.offset))
            .map_err(read_error)?;
        let mut bytes = Vec::with_capacity(usize::try_from(location.len).unwrap_or(0));
        file.take(location.len)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if (bytes.len() as u64) < location.len {
            return Err(read_error(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file ends early",
            )));
        }
        Ok(Some((bytes, location)))
    }
}
