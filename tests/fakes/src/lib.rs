//! Fakes of SaaS providers for Tocsin tests and benchmarks: the PagerDuty REST API v2 and,
//! in [`statuspage`], the Statuspage REST API v1.
//!
//! [`PagerDutyFake`] serves the read side of the contract and the writes a responder makes
//! (acknowledge, resolve, reassign, escalate, urgency, priority, notes, snooze, new incidents) from
//! memory on a loopback port, with the quirks real servers have beyond the contract: the
//! 10,000-record paging ceiling, the one-month default window, the six-month range limit,
//! 429s with and without `ratelimit-reset`, `error.errors` in three shapes, null incident
//! keys and statuses the contract does not list; and outages that last (`fail_for`), bodies
//! cut in half or dropped mid-transfer. Tests shape it through [`FakeHandle`];
//! other processes use the small control API under `/_fake/` (see the `pd-fake` binary).

mod api;
mod control;
mod gate;
mod handle;
mod lifecycle;
mod model;
mod params;
mod render;
mod seed;
pub mod statuspage;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::middleware::from_fn_with_state;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use handle::FakeHandle;
pub use model::{
    ErrorShape, FailureKind, FakeIncident, NewIncident, Note, RecordedRequest, TokenKind,
};

/// A running fake; the server stops when this value is dropped.
pub struct PagerDutyFake {
    url: String,
    handle: FakeHandle,
    server: JoinHandle<()>,
}

impl PagerDutyFake {
    /// Starts on a free loopback port.
    pub async fn start() -> PagerDutyFake {
        PagerDutyFake::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts on `addr`, which must be a loopback address: the fake's tokens are no secret.
    ///
    /// Panics when the address is not loopback or cannot be bound, as a test cannot go on.
    pub async fn start_on(addr: SocketAddr) -> PagerDutyFake {
        assert!(
            addr.ip().is_loopback(),
            "the PagerDuty fake only listens on loopback"
        );
        let listener = TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("cannot bind the PagerDuty fake to {addr}: {e}"));
        let local = listener
            .local_addr()
            .expect("a bound listener has an address");
        let url = format!("http://{local}");

        let shared = Arc::new(Mutex::new(model::State::default()));
        gate::lock(&shared).base_url.clone_from(&url);
        let app = api::routes()
            .merge(control::routes())
            .layer(from_fn_with_state(shared.clone(), gate::gate))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            // Serving only ends with an I/O error on the listener; a test then sees refusals.
            let _ = axum::serve(listener, app).await;
        });
        PagerDutyFake {
            url,
            handle: FakeHandle { shared },
            server,
        }
    }

    /// The base URL, such as `http://127.0.0.1:40123`, without a trailing slash.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn state(&self) -> FakeHandle {
        self.handle.clone()
    }
}

impl Drop for PagerDutyFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}
