//! One blob's upload, streamed from its byte range on disk: a single `PUT` when it fits in one chunk,
//! else `PATCH` chunks with `Content-Range` and a closing `PUT`. A chunk that fails transiently is
//! resumed from what the registry says it holds; an upload session that is lost or out of step is
//! started over (after checking whether the blob arrived anyway). Must not decide what to upload or
//! check the source's digests: [`super::push`] does, before any upload starts.

use reqwest::Url;

use super::client::{Client, ClientError};
use super::source::{Blob, Location};

/// Upload sessions tried per blob before giving up.
const MAX_SESSIONS: usize = 4;
/// Failed chunks in a row resumed within one session before starting over.
const MAX_STALLS: usize = 6;

/// Uploads `blob` from `source` in chunks of at most `chunk_size` bytes.
pub(super) async fn upload(
    client: &Client<'_>,
    blob: &Blob,
    source: &Location,
    chunk_size: u64,
) -> Result<(), ClientError> {
    let mut sessions = 0;
    loop {
        sessions += 1;
        // A refused session (no repository, no permission) is final; transient failures were retried.
        let location = client.start_upload(&blob.digest).await?;
        let error = match session(client, blob, source, chunk_size, location).await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        if !(error.is_transient() || error.restarts_upload()) || sessions >= MAX_SESSIONS {
            return Err(error);
        }
        // A dropped answer to the closing PUT leaves the blob stored and the session closed.
        if client.blob_exists(&blob.digest).await? {
            return Ok(());
        }
        client.pause(&error, sessions).await;
    }
}

/// One upload session, after its `POST`, up to the closing `PUT`.
async fn session(
    client: &Client<'_>,
    blob: &Blob,
    source: &Location,
    chunk_size: u64,
    mut location: Url,
) -> Result<(), ClientError> {
    let digest = &blob.digest;
    let size = source.len;
    if size <= chunk_size {
        return client
            .finish_upload(&location, digest, Some((source, size)))
            .await;
    }
    let mut offset = 0u64;
    let mut stalls = 0;
    while offset < size {
        let len = chunk_size.min(size - offset);
        match client
            .send_chunk(&location, digest, source, offset, len)
            .await
        {
            Ok(state) => {
                location = state.location;
                let held = state.received.unwrap_or(offset + len);
                let problem = if held > size {
                    Some("claims more bytes than the blob has")
                } else if held <= offset {
                    stalls += 1;
                    (stalls >= MAX_STALLS).then_some("does not advance the upload")
                } else {
                    stalls = 0;
                    None
                };
                if let Some(problem) = problem {
                    return Err(ClientError::BadAnswer {
                        action: format!("upload {digest}"),
                        problem,
                    });
                }
                offset = held;
            }
            Err(error) if error.is_transient() && stalls < MAX_STALLS => {
                stalls += 1;
                client.pause(&error, stalls).await;
                let state = client.upload_status(&location, digest).await?;
                location = state.location;
                offset = state.received.unwrap_or(0).min(size);
            }
            Err(error) => return Err(error),
        }
    }
    finish(client, blob, location).await
}

/// The closing `PUT` after the chunks, repeated while the session stands.
async fn finish(client: &Client<'_>, blob: &Blob, mut location: Url) -> Result<(), ClientError> {
    let mut stalls = 0;
    loop {
        let error = match client.finish_upload(&location, &blob.digest, None).await {
            Ok(()) => return Ok(()),
            Err(error) if error.is_transient() && stalls < MAX_STALLS => error,
            Err(error) => return Err(error),
        };
        stalls += 1;
        client.pause(&error, stalls).await;
        // The PUT may have landed with its answer lost: then the session is gone, the blob stored.
        if client.blob_exists(&blob.digest).await? {
            return Ok(());
        }
        location = client
            .upload_status(&location, &blob.digest)
            .await?
            .location;
    }
}
