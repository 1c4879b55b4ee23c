//! Reading a request the way the real API does: query arrays, paging limits and date windows.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use crate::model::ErrorShape;

/// The server refuses to page past this many records, whatever the total.
pub(crate) const OFFSET_CEILING: usize = 10_000;
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;
/// With neither `since` nor `until`, lists only look back this far.
const DEFAULT_WINDOW_DAYS: i64 = 30;

/// An error the API answers with; the gate renders its body in the current `ErrorShape`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: &'static str,
    /// The parameter at fault, used as the key when `errors` is an object.
    pub field: &'static str,
    pub detail: String,
}

impl ApiError {
    /// Code 2001, the contract's "Invalid Input Provided".
    pub fn invalid(field: &'static str, detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        let (status, message) = (StatusCode::BAD_REQUEST, "Invalid Input Provided");
        ApiError {
            status,
            code: 2001,
            message,
            field,
            detail,
        }
    }

    /// Code 2100, as the contract's example for a missing resource.
    pub fn not_found(what: &str) -> ApiError {
        let detail = format!("No {what} with that id exists");
        let (status, message, field) = (StatusCode::NOT_FOUND, "Not Found", "id");
        ApiError {
            status,
            code: 2100,
            message,
            field,
            detail,
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: 2006,
            message: "Unauthorized",
            field: "token",
            detail: "The API token is missing, unknown or revoked".to_owned(),
        }
    }

    pub fn rate_limited() -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: 2020,
            message: "Rate Limit Exceeded",
            field: "base",
            detail: "Too many requests; slow down".to_owned(),
        }
    }

    pub fn server(status: StatusCode) -> ApiError {
        let detail = "The fake was told to fail this request".to_owned();
        ApiError {
            status,
            code: 2000,
            message: "Internal Error",
            field: "base",
            detail,
        }
    }

    /// The JSON body, with `errors` shaped as the test asked.
    pub fn body(&self, shape: ErrorShape) -> Value {
        let errors = match shape {
            ErrorShape::Array => json!([self.detail]),
            ErrorShape::String => json!(self.detail),
            ErrorShape::Object => json!({ self.field: [self.detail] }),
        };
        json!({"error": {"message": self.message, "code": self.code, "errors": errors}})
    }
}

/// Handlers do not know the error shape; the gate finds this marker and writes the body.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Decoded query pairs; array keys keep their `[]`, whether it arrived raw or as `%5B%5D`.
#[derive(Debug, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Params {
        let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes());
        Params(
            pairs
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the array parameter `key[]`; a bare `key=` is not an array to the server.
    pub fn list(&self, key: &str) -> Vec<&str> {
        let key = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key) == Some("true")
    }

    pub fn time(&self, key: &'static str) -> Result<Option<DateTime<Utc>>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(text) => parse_time(text)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(key, format!("`{text}` is not a date-time"))),
        }
    }
}

/// Accepts what the real API does: RFC 3339, a naive date-time taken as UTC, or a bare date.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Classic offset paging as the request asked for it, already checked against the ceiling.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub limit: usize,
    pub offset: usize,
    pub total: bool,
}

impl Page {
    pub fn parse(params: &Params) -> Result<Page, ApiError> {
        let number = |key: &'static str, default: usize| match params.get(key) {
            None | Some("") => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| ApiError::invalid(key, format!("`{text}` is not a whole number"))),
        };
        // The server quietly clamps an oversized limit rather than refusing it.
        let limit = number("limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT);
        let offset = number("offset", 0)?;
        if offset + limit > OFFSET_CEILING {
            let detail = format!("offset plus limit must stay within {OFFSET_CEILING} records");
            return Err(ApiError::invalid("offset", detail));
        }
        Ok(Page {
            limit,
            offset,
            total: params.flag("total"),
        })
    }

    /// The part of `all` this page covers.
    pub fn slice<'a, T>(&self, all: &'a [T]) -> &'a [T] {
        let start = self.offset.min(all.len());
        let end = (self.offset + self.limit).min(all.len());
        &all[start..end]
    }

    /// The list envelope: `{key: [...], limit, offset, more, total}`.
    pub fn envelope(&self, key: &str, matched: usize, items: Vec<Value>) -> Value {
        let total = if self.total {
            json!(matched)
        } else {
            Value::Null
        };
        let more = self.offset + self.limit < matched;
        let (limit, offset) = (self.limit, self.offset);
        json!({key: items, "limit": limit, "offset": offset, "more": more, "total": total})
    }
}

/// `(since, until)`, both inclusive.
pub(crate) type Window = (DateTime<Utc>, DateTime<Utc>);

/// The window a list covers, or `None` when `date_range=all` lifts it.
pub(crate) fn window(
    params: &Params,
    now: DateTime<Utc>,
    max_months: Option<u32>,
) -> Result<Option<Window>, ApiError> {
    if max_months.is_some() && params.get("date_range") == Some("all") {
        return Ok(None);
    }
    let until = params.time("until")?.unwrap_or(now);
    let default_since = until - TimeDelta::days(DEFAULT_WINDOW_DAYS);
    let since = params.time("since")?.unwrap_or(default_since);
    if since > until {
        return Err(ApiError::invalid(
            "since",
            "since must not be later than until",
        ));
    }
    if let Some(months) = max_months {
        if since
            .checked_add_months(Months::new(months))
            .is_some_and(|limit| until > limit)
        {
            let detail = format!("The date range may span at most {months} months");
            return Err(ApiError::invalid("until", detail));
        }
    }
    Ok(Some((since, until)))
}
