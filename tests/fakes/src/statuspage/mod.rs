//! A fake of the Statuspage REST API v1: components and realtime incidents of a page.
//!
//! [`StatuspageFake`] serves the part of the contract Tocsin uses from memory on a loopback
//! port, under `/v1` as the real server does, with the quirks real servers have: one request
//! per second per API key (refused with 420 or 429, with or without `Retry-After`), 404 for
//! unknown pages and incidents, 400 and 422 with the contract's `{"message": ...}` body.

mod api;
mod gate;
mod handle;
mod model;
mod write;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::middleware::from_fn_with_state;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use handle::StatuspageHandle;
pub use model::{
    AffectedComponent, Fault, RecordedRequest, SpComponent, SpIncident, SpUpdate, ThrottleStatus,
};

/// A running fake; the server stops when this value is dropped.
pub struct StatuspageFake {
    url: String,
    handle: StatuspageHandle,
    server: JoinHandle<()>,
}

impl StatuspageFake {
    /// Starts on a free loopback port.
    pub async fn start() -> StatuspageFake {
        StatuspageFake::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts on `addr`, which must be a loopback address: the fake's keys are no secret.
    ///
    /// Panics when the address is not loopback or cannot be bound, as a test cannot go on.
    pub async fn start_on(addr: SocketAddr) -> StatuspageFake {
        assert!(
            addr.ip().is_loopback(),
            "the Statuspage fake only listens on loopback"
        );
        let listener = TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("cannot bind the Statuspage fake to {addr}: {e}"));
        let local = listener
            .local_addr()
            .expect("a bound listener has an address");

        let shared = Arc::new(Mutex::new(model::State::default()));
        let app = api::routes()
            .layer(from_fn_with_state(shared.clone(), gate::gate))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            // Serving only ends with an I/O error on the listener; a test then sees refusals.
            let _ = axum::serve(listener, app).await;
        });
        StatuspageFake {
            url: format!("http://{local}/v1"),
            handle: StatuspageHandle { shared },
            server,
        }
    }

    /// The API base URL, such as `http://127.0.0.1:40123/v1`, without a trailing slash.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn state(&self) -> StatuspageHandle {
        self.handle.clone()
    }
}

impl Drop for StatuspageFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}
