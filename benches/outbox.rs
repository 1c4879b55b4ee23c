//! Benchmark: how fast the outbox takes actions and replays them to PagerDuty (the local fake)
//! after an outage, in order: acknowledgements and resolutions of many incidents travel as
//! bulk requests (after one read of the open incidents), notes one by one.
//!
//! Run with `cargo bench --bench outbox`; it prints its figures and asserts nothing.

use std::sync::Arc;
use std::time::Instant;

use tocsin::model::{Action, OutboxState, ProviderKind, TokenSource};
use tocsin::paging::RecordingNotifier;
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};
use tocsin_fakes::{FailureKind, PagerDutyFake, TokenKind};

/// Open incidents acted on; each gets an acknowledgement, a note and a resolution.
const INCIDENTS: usize = 400;
const TOKEN: &str = "bench-outbox-token";

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let fake = PagerDutyFake::start().await;
    let state = fake.state();
    state.add_user("PBENCH1", "Bench Responder", "bench@example.com");
    state.set_token(
        TOKEN,
        TokenKind::User {
            user_id: "PBENCH1".into(),
        },
    );
    for n in 0..INCIDENTS {
        state.add_incident(tocsin_fakes::NewIncident {
            title: format!("Bench incident {n}"),
            assignee_ids: vec!["PBENCH1".into()],
            ..Default::default()
        });
    }

    let dir = tempfile::tempdir().expect("a temporary directory");
    let tocsin = core(dir.path(), &fake.url()).await;
    let open: Vec<i64> = tocsin
        .incidents(&tocsin::model::IncidentFilter {
            status: tocsin::model::StatusFilter::Triggered,
            limit: Some(INCIDENTS as u32),
            ..Default::default()
        })
        .expect("incidents")
        .into_iter()
        .map(|i| i.id)
        .collect();

    // Offline: every request fails, so the actions only queue.
    state.fail_next(1_000_000, FailureKind::ServerError(503));
    let started = Instant::now();
    // As in a storm: acknowledge everything, annotate each, resolve everything.
    let note = Action::Note {
        text: "Mitigated by a rollback".into(),
    };
    for action in [Action::Acknowledge, note, Action::Resolve] {
        for id in &open {
            tocsin.act(*id, &action).expect("an action");
        }
    }
    let queued = open.len() * 3;
    let queue_time = started.elapsed();

    // Back online: replay everything in order.
    state.clear_failures();
    state.clear_request_log();
    tocsin.store().outbox_retry_now(None).expect("reschedule");
    let started = Instant::now();
    let reports = tocsin.send_outbox(None).await.expect("replay");
    let replay_time = started.elapsed();

    let sent: usize = reports.iter().map(|(_, r)| r.sent).sum();
    let waiting = tocsin
        .outbox()
        .expect("outbox")
        .iter()
        .filter(|e| e.state != OutboxState::Done)
        .count();
    let requests = state.request_log().len();
    println!("outbox: {queued} actions on {} incidents", open.len());
    println!(
        "  queued (cache change + outbox row, one transaction each): {:.0} ms, {:.0} actions/s",
        queue_time.as_secs_f64() * 1000.0,
        queued as f64 / queue_time.as_secs_f64()
    );
    println!(
        "  replayed after the outage: {sent} sent ({waiting} not done) in {:.0} ms, \
         {:.0} actions/s, {requests} requests",
        replay_time.as_secs_f64() * 1000.0,
        sent as f64 / replay_time.as_secs_f64()
    );
}

async fn core(dir: &std::path::Path, url: &str) -> Arc<Tocsin> {
    std::env::set_var("TOCSIN_BENCH_OUTBOX_TOKEN", TOKEN);
    let tocsin = Arc::new(Tocsin::open(dir).expect("a store"));
    let new = NewAccount {
        name: "pd".into(),
        kind: ProviderKind::Pagerduty,
        api_url: Some(url.into()),
        token: TokenSource::Env {
            var: "TOCSIN_BENCH_OUTBOX_TOKEN".into(),
        },
        email: Some("bench@example.com".into()),
    };
    tocsin.add_account(new, None).expect("an account");
    let config = EngineConfig {
        raise_pages: false,
        ..EngineConfig::default()
    };
    let engine = Engine::with_config(
        tocsin.clone(),
        Arc::new(RecordingNotifier::default()),
        config,
    );
    for (_, result) in engine.sync_once(None).await.expect("a sync") {
        result.expect("the first sync");
    }
    tocsin
}
