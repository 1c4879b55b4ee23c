//! The middleware every request passes: recording, injected failures, auth and error bodies.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State as Extract};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::model::{FailureKind, RecordedRequest, State, TokenKind};
use crate::params::{ApiError, Params};

pub(crate) type Shared = Arc<Mutex<State>>;

/// Locks the state; a test that panicked while holding it must not take every later test down.
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Who made an API request, put in the request's extensions for handlers to read.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub kind: TokenKind,
    pub from: Option<String>,
}

/// The control API (`/_fake/...`) skips recording, failures and auth; everything else is API.
pub(crate) async fn gate(
    Extract(shared): Extract<Shared>,
    mut req: Request,
    next: Next,
) -> Response {
    if req.uri().path().starts_with("/_fake/") {
        let response = next.run(req).await;
        return finish(&shared, response);
    }

    let (failure, caller) = {
        let mut state = lock(&shared);
        state.requests.push(record(&req));
        let failure = match state.failures.pop_front() {
            Some(kind) => Some(kind),
            None => state.outage.as_mut().and_then(|o| o.next_failure()),
        };
        (failure, caller(&state, req.headers()))
    };
    let mut malformed = false;
    let mut cut_short = false;
    let mut replaced = None;
    match failure {
        Some(FailureKind::RateLimited { reset_header }) => {
            return rate_limited(&shared, reset_header);
        }
        Some(FailureKind::ServerError(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return finish(&shared, ApiError::server(status).into_response());
        }
        Some(FailureKind::Timeout(delay)) => tokio::time::sleep(delay).await,
        Some(FailureKind::Malformed) => malformed = true,
        Some(FailureKind::CutShort) => cut_short = true,
        Some(FailureKind::Body(body)) => replaced = Some(body),
        None => {}
    }

    let Some(caller) = caller else {
        return finish(&shared, ApiError::unauthorized().into_response());
    };
    req.extensions_mut().insert(caller);
    let response = finish(&shared, next.run(req).await);
    match replaced {
        Some(body) => replace(body),
        None if malformed => truncate(response).await,
        None if cut_short => cut_short_response(response).await,
        None => response,
    }
}

/// Answers 200 with `body` as JSON, whatever the route would have said.
fn replace(body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn record(req: &Request) -> RecordedRequest {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    RecordedRequest {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: Params::parse(req.uri().query()).0,
        authorization: header(AUTHORIZATION.as_str()),
        accept: header(ACCEPT.as_str()),
        from: header("from"),
    }
}

/// Resolves `Authorization: Token token=...` (or an OAuth `Bearer ...`) to a live token.
fn caller(state: &State, headers: &HeaderMap) -> Option<Caller> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let token = value
        .strip_prefix("Token token=")
        .or_else(|| value.strip_prefix("Bearer "))?;
    let kind = state.tokens.get(token.trim())?.clone();
    let from = headers
        .get("from")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Some(Caller { kind, from })
}

fn rate_limited(shared: &Shared, reset_header: Option<u64>) -> Response {
    let mut response = finish(shared, ApiError::rate_limited().into_response());
    if let Some(seconds) = reset_header {
        response
            .headers_mut()
            .insert("ratelimit-reset", HeaderValue::from(seconds));
    }
    response
}

/// Writes the body of an `ApiError` marker in the error shape the test chose.
fn finish(shared: &Shared, response: Response) -> Response {
    let Some(error) = response.extensions().get::<ApiError>().cloned() else {
        return response;
    };
    let shape = lock(shared).error_shape;
    (error.status, Json(error.body(shape))).into_response()
}

/// Answers 200 with the real body's length announced, sends half of it, then fails the body so
/// the server drops the connection mid-transfer.
async fn cut_short_response(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    parts.status = StatusCode::OK;
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(..bytes.len() / 2);
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cut short",
        )),
    ];
    Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
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
