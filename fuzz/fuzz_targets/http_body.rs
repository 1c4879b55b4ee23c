//! Any response body through the shared JSON reader and the readers of provider error bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::provider::http;

fuzz_target!(|data: &[u8]| {
    let parsed = http::parse_json(data);
    // The lone-surrogate repair only ever rescues a body; it never changes one serde reads.
    if let Ok(plain) = serde_json::from_slice::<serde_json::Value>(data) {
        assert_eq!(parsed.as_ref().ok(), Some(&plain));
    }

    // Error bodies are read as text, as `status_error` does.
    let text = String::from_utf8_lossy(data);
    let _ = http::error_message(&text);
    let _ = http::error_code(&text);
});
