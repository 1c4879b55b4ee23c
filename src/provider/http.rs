//! A JSON-over-HTTP client shared by the adapters: timeouts, retries with exponential back-off
//! and jitter, rate-limit headers honoured, and provider errors turned into [`Error`]s.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::error::{Error, Result};

/// How hard to try before giving up on one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: exponential, capped, with full jitter so that
    /// many clients recovering together do not hammer the server in lockstep.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(jitter())
    }
}

/// A uniform number in [0, 1) that needs no random-number crate; quality does not matter here,
/// only that two processes do not pick the same delays.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A response larger than this is not an answer any of these APIs gives (a page of 100
/// PagerDuty incidents is a few hundred kilobytes, every firing alert of a large Alertmanager
/// a few megabytes): it is refused rather than held in memory. Counted after decompression.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// An error body carries a message, not data; only this much of it is read.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// One provider's HTTP endpoint with its fixed headers.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    base: String,
    provider: &'static str,
    headers: HeaderMap,
    policy: RetryPolicy,
}

impl HttpClient {
    pub fn new(
        provider: &'static str,
        base: &str,
        headers: HeaderMap,
        policy: RetryPolicy,
    ) -> Self {
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with static settings builds");
        HttpClient {
            client,
            base: base.trim_end_matches('/').to_string(),
            provider,
            headers,
            policy,
        }
    }

    /// Builds the fixed headers, refusing a token that cannot be a header value.
    pub fn header(name: &'static str, value: &str) -> Result<(&'static str, HeaderValue)> {
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| Error::Invalid(format!("the {name} header has invalid characters")))?;
        value.set_sensitive(true);
        Ok((name, value))
    }

    /// GET `path` with `query`, retrying what can heal, and parse the JSON body.
    pub async fn get_json(&self, path: &str, query: &[(String, String)]) -> Result<Value> {
        let url = format!("{}{}", self.base, path);
        let mut attempt = 0;
        loop {
            let (error, wait) = match self.try_once(Method::GET, &url, query).await {
                Ok(value) => return Ok(value),
                Err(Attempt::Fatal(error)) => return Err(error),
                Err(Attempt::Retry { error, wait }) => (error, wait),
            };
            attempt += 1;
            if attempt >= self.policy.max_attempts {
                return Err(error);
            }
            let delay = wait
                .unwrap_or_else(|| self.policy.backoff(attempt))
                .min(self.policy.max_delay);
            tracing::debug!(provider = self.provider, path, ?delay, %error, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends one write (`POST`, `PUT`, `PATCH`, `DELETE`) exactly once and parses the answer;
    /// an empty body is `null`. Writes are never retried here: whether a failed write may be
    /// sent again is the outbox's decision, since a timeout can hide a write that landed.
    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        extra: HeaderMap,
    ) -> Result<Value> {
        let url = format!("{}{}", self.base, path);
        let mut request = self
            .client
            .request(method, &url)
            .headers(self.headers.clone())
            .headers(extra);
        if let Some(body) = body {
            request = request.json(body);
        }
        let attempt = match request.send().await {
            Ok(response) => self.read(response, true).await,
            Err(e) => Err(self.transport_error(e)),
        };
        attempt.map_err(|a| match a {
            Attempt::Fatal(error) | Attempt::Retry { error, .. } => error,
        })
    }

    async fn try_once(
        &self,
        method: Method,
        url: &str,
        query: &[(String, String)],
    ) -> std::result::Result<Value, Attempt> {
        let request = self
            .client
            .request(method, url)
            .headers(self.headers.clone())
            .query(query);
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        self.read(response, false).await
    }

    /// Parses a response; `empty_ok` lets a write answer with no body at all (`204`).
    async fn read(
        &self,
        response: Response,
        empty_ok: bool,
    ) -> std::result::Result<Value, Attempt> {
        let status = response.status();
        if status.is_success() {
            let body = read_capped(response, MAX_BODY_BYTES)
                .await
                .map_err(|e| self.transport_error(e))?;
            // Asking again would only fetch the same flood: this request fails, and the
            // account's health says why.
            let Some(body) = body else {
                return Err(Attempt::Fatal(Error::Malformed {
                    provider: self.provider.into(),
                    message: format!(
                        "the response is larger than {} MiB; refused",
                        MAX_BODY_BYTES / (1024 * 1024)
                    ),
                }));
            };
            if empty_ok && body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Null);
            }
            return parse_json(&body).map_err(|e| Attempt::Retry {
                error: Error::Malformed {
                    provider: self.provider.into(),
                    message: e.to_string(),
                },
                wait: None,
            });
        }
        Err(self.status_error(status, response).await)
    }

    fn transport_error(&self, e: reqwest::Error) -> Attempt {
        let error = Error::Offline {
            provider: self.provider.into(),
            message: describe(&e),
        };
        Attempt::Retry { error, wait: None }
    }

    async fn status_error(&self, status: StatusCode, response: Response) -> Attempt {
        let wait = rate_limit_wait(response.headers());
        let body = match read_capped(response, MAX_ERROR_BODY_BYTES).await {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => String::new(),
        };
        let message = error_message(&body).unwrap_or_else(|| status.to_string());
        let api_code = error_code(&body);
        let provider = self.provider.to_string();

        match status.as_u16() {
            // 403 is "this token may not read that" (a restricted role), not a dead token.
            401 => Attempt::Fatal(Error::Unauthorized { provider, message }),
            // With a reset time, wait that long plus a little jitter (so clients that were
            // limited together do not return together); without one, the retry loop's
            // exponential back-off applies.
            420 | 429 => {
                let secs = wait.map_or(self.policy.backoff(1).as_secs().max(1), |w| w.as_secs());
                let error = Error::RateLimited {
                    provider,
                    retry_after_secs: secs,
                };
                let wait =
                    wait.map(|w| w + (w / 10).max(Duration::from_millis(100)).mul_f64(jitter()));
                Attempt::Retry { error, wait }
            }
            code if code >= 500 => Attempt::Retry {
                error: Error::Provider {
                    provider,
                    status: code,
                    message,
                    api_code,
                },
                wait: None,
            },
            code => Attempt::Fatal(Error::Provider {
                provider,
                status: code,
                message,
                api_code,
            }),
        }
    }
}

enum Attempt {
    Retry {
        error: Error,
        wait: Option<Duration>,
    },
    Fatal(Error),
}

/// Parses a JSON body. A lone UTF-16 surrogate escape (`\ud800` without its pair), which
/// some servers emit from truncated strings, is replaced with U+FFFD instead of failing the
/// whole response: one odd title must not block an account's sync. Public so the fuzz targets
/// (fuzz/) start from raw bytes exactly where a response body does.
pub fn parse_json(body: &[u8]) -> serde_json::Result<Value> {
    match serde_json::from_slice(body) {
        Err(e) if e.to_string().contains("surrogate") || e.to_string().contains("hex escape") => {
            let text = String::from_utf8_lossy(body);
            serde_json::from_str(&replace_lone_surrogates(&text))
        }
        other => other,
    }
}

/// Rewrites `\uD800`–`\uDFFF` escapes that do not form a high-low pair as `\uFFFD`.
fn replace_lone_surrogates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let unit = surrogate_at(bytes, i);
        let Some(unit) = unit else {
            let ch = text[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
            continue;
        };
        let is_high = (0xD800..0xDC00).contains(&unit);
        let next_is_low = surrogate_at(bytes, i + 6).is_some_and(|n| n >= 0xDC00);
        if is_high && next_is_low {
            out.push_str(&text[i..i + 12]);
            i += 12;
        } else {
            out.push_str("\\ufffd");
            i += 6;
        }
    }
    out
}

/// The surrogate code unit of a `\uXXXX` escape starting at `i`, if that is what is there
/// (and the backslash is not itself escaped).
fn surrogate_at(bytes: &[u8], i: usize) -> Option<u32> {
    let escape = bytes.get(i..i + 6)?;
    if escape[0] != b'\\' || !matches!(escape[1], b'u' | b'U') {
        return None;
    }
    let backslashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
    if backslashes % 2 == 1 {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    let unit = u32::from_str_radix(hex, 16).ok()?;
    (0xD800..0xE000).contains(&unit).then_some(unit)
}

/// Reads `ratelimit-reset` (seconds until the window resets) or `retry-after` (seconds).
/// `NaN` parses as a number too, and survives `clamp`: it counts as no value, since
/// `Duration::from_secs_f64` panics on it.
fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    ["ratelimit-reset", "retry-after"].iter().find_map(|name| {
        let secs: f64 = headers.get(*name)?.to_str().ok()?.trim().parse().ok()?;
        (!secs.is_nan()).then(|| Duration::from_secs_f64(secs.clamp(0.0, 3600.0)))
    })
}

/// Turns a provider's error body into one readable line. PagerDuty's `error.errors` comes as an
/// array, a string or an object depending on the endpoint; all three are handled. The line is
/// provider text that ends up in the account's health and the outbox, so it is cleaned and
/// bounded like any other (see [`super::ingest`]).
pub fn error_message(body: &str) -> Option<String> {
    raw_error_message(body).map(|m| super::ingest::line(&m, super::ingest::MAX_LINE_CHARS))
}

fn raw_error_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let error = value.get("error").unwrap_or(&value);
    let main = match error {
        Value::String(s) => Some(s.clone()),
        _ => error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let details = match error.get("errors") {
        Some(Value::Array(items)) => items.iter().map(text_of).collect::<Vec<_>>().join("; "),
        Some(Value::Object(map)) => map.values().map(text_of).collect::<Vec<_>>().join("; "),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    match (main, details.is_empty()) {
        (Some(m), true) => Some(m),
        (Some(m), false) => Some(format!("{m}: {details}")),
        (None, false) => Some(details),
        (None, true) => None,
    }
}

/// The numeric code in a provider's error body (`{"error": {"code": 2001}}`), if there is one.
pub fn error_code(body: &str) -> Option<i64> {
    let value: Value = serde_json::from_str(body).ok()?;
    value.get("error")?.get("code")?.as_i64()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "the connection failed".into()
    } else if e.is_body() || e.is_decode() {
        "the connection dropped before the whole answer arrived".into()
    } else {
        e.to_string()
    }
}

/// Reads a body of at most `limit` bytes; `None` when it is longer, which is known from its
/// declared length or as soon as the bytes read pass the limit.
async fn read_capped(mut response: Response, limit: usize) -> reqwest::Result<Option<Vec<u8>>> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers one request on loopback with `head` and then `body_len` spaces.
    async fn serve_once(head: String, body_len: usize) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(head.as_bytes()).await;
            let chunk = vec![b' '; 64 * 1024];
            let mut left = body_len;
            while left > 0 {
                let n = left.min(chunk.len());
                if socket.write_all(&chunk[..n]).await.is_err() {
                    return; // the client stopped reading: what a bounded read should do
                }
                left -= n;
            }
        });
        url
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_refused_whether_declared_or_streamed() {
        let streamed = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string();
        let url = serve_once(streamed.clone(), 300 * 1024).await;
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(read_capped(response, 256 * 1024).await.unwrap(), None);

        let declared = "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n".to_string();
        let url = serve_once(declared, 10).await;
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(read_capped(response, 256 * 1024).await.unwrap(), None);

        let url = serve_once(streamed, 100 * 1024).await;
        let response = reqwest::get(&url).await.unwrap();
        let body = read_capped(response, 256 * 1024).await.unwrap().unwrap();
        assert_eq!(body.len(), 100 * 1024);
    }

    #[test]
    fn error_messages_in_every_shape() {
        let arr = r#"{"error":{"message":"Invalid Input","code":2001,"errors":["a","b"]}}"#;
        let s = r#"{"error":{"message":"Invalid Input","errors":"offset too big"}}"#;
        let obj = r#"{"error":{"message":"Invalid Input","errors":{"since":["is bad"]}}}"#;
        let plain = r#"{"error":"Not found"}"#;
        assert_eq!(error_message(arr).unwrap(), "Invalid Input: a; b");
        assert_eq!(error_message(s).unwrap(), "Invalid Input: offset too big");
        assert_eq!(error_message(obj).unwrap(), "Invalid Input: is bad");
        assert_eq!(error_message(plain).unwrap(), "Not found");
        assert_eq!(error_message("<html>"), None);
    }

    #[test]
    fn an_error_message_is_one_clean_bounded_line() {
        let hostile = format!(
            r#"{{"error":{{"message":"bad\u001b[2J\u202e","errors":["{}"]}}}}"#,
            "x".repeat(5_000)
        );
        let message = error_message(&hostile).unwrap();
        assert!(
            message.starts_with("bad\u{fffd}[2J\u{fffd}: xxx"),
            "{message}"
        );
        assert_eq!(
            message.chars().count(),
            super::super::ingest::MAX_LINE_CHARS
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let body = br#"{"a":"x\ud800y","b":"\ud83d\ude00","c":"\\ud800","d":"\udc00"}"#;
        let v = parse_json(body).unwrap();
        assert_eq!(v["a"], "x\u{fffd}y");
        assert_eq!(v["b"], "\u{1f600}");
        assert_eq!(v["c"], "\\ud800");
        assert_eq!(v["d"], "\u{fffd}");
    }

    #[test]
    fn rate_limit_headers_of_any_number_never_panic() {
        // Found while writing the fuzz targets: `retry-after: NaN` panicked the sync pass.
        let wait = |name: &'static str, value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_str(value).unwrap());
            rate_limit_wait(&headers)
        };
        for odd in ["NaN", "nan", "-nan", "foo", ""] {
            assert_eq!(wait("retry-after", odd), None, "{odd}");
        }
        assert_eq!(wait("retry-after", "inf"), Some(Duration::from_secs(3600)));
        assert_eq!(wait("retry-after", "-5"), Some(Duration::ZERO));
        assert_eq!(
            wait("ratelimit-reset", "1.5"),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let p = RetryPolicy::default();
        for attempt in 0..40 {
            let d = p.backoff(attempt);
            assert!(d <= p.max_delay, "{d:?}");
            assert!(d >= (p.base_delay * (1 << attempt.min(16))).min(p.max_delay) / 2);
        }
    }
}
