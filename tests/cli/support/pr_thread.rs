//! A GitHub API for the sticky pull-request comment, served on 127.0.0.1 (wiremock): pull request 42
//! of [`REPOSITORY`](super::github::REPOSITORY) has no comment yet and takes exactly one new one.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The comments of pull request 42.
pub const COMMENTS: &str = "/repos/octo-org/payments-api/issues/42/comments";

/// An empty comment thread that expects one `POST` (checked when the server is dropped).
pub async fn empty_thread() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 7, "node_id": "IC_7", "body": "created",
            "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
            "html_url": "https://github.com/octo-org/payments-api/pull/42#issuecomment-7",
            "created_at": "2026-11-28T12:00:00Z", "updated_at": "2026-11-28T12:00:00Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    server
}
