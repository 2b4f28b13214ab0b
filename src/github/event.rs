//! The event that started the workflow (`$GITHUB_EVENT_PATH`): which pull request to comment on, and
//! whether it comes from a fork (whose token is read-only).

use serde::Deserialize;

/// The pull request of a `pull_request` or `pull_request_target` run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// The head branch lives in another repository (or one that was deleted).
    pub from_fork: bool,
}

#[derive(Deserialize)]
struct RawEvent {
    number: Option<u64>,
    pull_request: Option<RawPullRequest>,
}

#[derive(Deserialize)]
struct RawPullRequest {
    number: Option<u64>,
    head: Option<RawBranch>,
    base: Option<RawBranch>,
}

#[derive(Deserialize)]
struct RawBranch {
    repo: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawRepo {
    full_name: Option<String>,
}

/// The events whose payload carries the pull request to comment on.
pub fn is_pull_request_event(event_name: &str) -> bool {
    matches!(event_name, "pull_request" | "pull_request_target")
}

/// The pull request in an event payload, if it names one.
pub fn pull_request(payload: &[u8]) -> Option<PullRequest> {
    let event: RawEvent = serde_json::from_slice(payload).ok()?;
    let pr = event.pull_request?;
    let number = pr.number.or(event.number)?;
    let repo = |branch: &Option<RawBranch>| {
        branch
            .as_ref()
            .and_then(|b| b.repo.as_ref())
            .and_then(|r| r.full_name.clone())
    };
    let head = repo(&pr.head);
    let base = repo(&pr.base);
    let from_fork = match (head, base) {
        (Some(head), Some(base)) => !head.eq_ignore_ascii_case(&base),
        (None, _) => true,
        (Some(_), None) => false,
    };
    Some(PullRequest { number, from_fork })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_repository_pull_request() {
        let payload = br#"{"number": 7, "pull_request": {"number": 7,
            "head": {"repo": {"full_name": "o/r"}}, "base": {"repo": {"full_name": "o/r"}}}}"#;
        assert_eq!(
            pull_request(payload),
            Some(PullRequest {
                number: 7,
                from_fork: false
            })
        );
    }

    #[test]
    fn fork_and_deleted_fork_are_forks() {
        let fork = br#"{"pull_request": {"number": 3,
            "head": {"repo": {"full_name": "someone/r"}}, "base": {"repo": {"full_name": "o/r"}}}}"#;
        assert!(pull_request(fork).unwrap().from_fork);
        let deleted = br#"{"pull_request": {"number": 3, "head": {"repo": null},
            "base": {"repo": {"full_name": "o/r"}}}}"#;
        assert!(pull_request(deleted).unwrap().from_fork);
    }

    #[test]
    fn push_payload_names_no_pull_request() {
        assert_eq!(pull_request(br#"{"ref": "refs/heads/main"}"#), None);
        assert_eq!(pull_request(b"not json"), None);
    }
}
