//! The middleware every Statuspage request passes: recording, faults, auth and the rate limit.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State as Extract};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::model::{Fault, RecordedRequest, State};

pub(crate) type Shared = Arc<Mutex<State>>;

/// Bodies larger than this are refused before any parsing, as a front proxy would.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Locks the state; a test that panicked while holding it must not take every later test down.
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An error answered with the spec's `ErrorEntity` body, `{"message": "..."}`.
#[derive(Debug, Clone)]
pub(crate) struct SpError {
    pub status: StatusCode,
    pub message: String,
}

impl SpError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> SpError {
        let message = message.into();
        SpError { status, message }
    }

    pub fn not_found(what: &str) -> SpError {
        SpError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// 400: the body cannot be read as an incident at all.
    pub fn bad_request(message: impl Into<String>) -> SpError {
        SpError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 422: the body reads, but what it asks for is not allowed.
    pub fn unprocessable(message: impl Into<String>) -> SpError {
        SpError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
}

impl IntoResponse for SpError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "message": self.message }))).into_response()
    }
}

/// Records the request, then applies a queued fault, auth and the per-key rate limit.
pub(crate) async fn gate(Extract(shared): Extract<Shared>, req: Request, next: Next) -> Response {
    let received_at = Instant::now();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        let error = SpError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
        return error.into_response();
    };
    let record = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        received_at,
        received_at_utc: chrono::Utc::now(),
        status: 0,
    };
    let req = Request::from_parts(parts, Body::from(bytes));

    let (index, verdict) = {
        let mut state = lock(&shared);
        state.requests.push(record);
        let index = state.requests.len() - 1;
        (index, admit(&mut state, &req, received_at))
    };
    let response = match verdict {
        Verdict::Refuse(response) => response,
        Verdict::Serve { malformed } => {
            let response = next.run(req).await;
            if malformed {
                truncate(response).await
            } else {
                response
            }
        }
    };
    lock(&shared).requests[index].status = response.status().as_u16();
    response
}

enum Verdict {
    Refuse(Response),
    Serve { malformed: bool },
}

/// Decides, under the lock, whether a request is served; an accepted one starts the key's
/// next interval.
fn admit(state: &mut State, req: &Request, now: Instant) -> Verdict {
    let fault = state.faults.pop_front();
    match fault {
        Some(Fault::Throttle {
            status,
            retry_after,
        }) => return Verdict::Refuse(throttled(status, retry_after)),
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = "The fake was told to fail this request";
            return Verdict::Refuse(SpError::new(status, message).into_response());
        }
        Some(Fault::Malformed) | None => {}
    }

    let Some(key) = api_key(req).filter(|k| state.keys.contains(k)) else {
        let error = SpError::new(StatusCode::UNAUTHORIZED, "Could not authenticate");
        return Verdict::Refuse(error.into_response());
    };

    let limiter = &mut state.limiter;
    if let Some(last) = limiter.last_accepted.get(&key) {
        let elapsed = now.saturating_duration_since(*last);
        if elapsed < limiter.min_interval {
            let wait = limiter.min_interval - elapsed;
            // Whole seconds, rounded up, as the header allows no fraction.
            let secs = limiter.retry_after.then(|| wait.as_secs() + 1);
            let status = limiter.next_status();
            return Verdict::Refuse(throttled(status, secs));
        }
    }
    limiter.last_accepted.insert(key, now);
    Verdict::Serve {
        malformed: fault == Some(Fault::Malformed),
    }
}

/// The key from `Authorization: OAuth <key>`, or from the `api_key` query parameter, which
/// the contract documents as well.
fn api_key(req: &Request) -> Option<String> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("OAuth "))
        .map(|k| k.trim().to_owned());
    header.or_else(|| {
        let query = req.uri().query()?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "api_key")
            .map(|(_, v)| v.into_owned())
    })
}

fn throttled(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let mut response = SpError::new(status, "Rate limit exceeded").into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Answers 200 with the first half of the real JSON body, as a proxy cutting a reply short.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    parts.status = StatusCode::OK;
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
}
