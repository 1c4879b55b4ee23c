//! Benchmark: page to notification. An incident assigned to me appears at the PagerDuty fake;
//! the time from the start of the next poll to the notifier being handed the page, repeated.
//!
//! Run with `cargo bench --bench page`; it prints its figures and asserts nothing. The
//! notifier records rather than calling D-Bus, so the figure is Tocsin's own share of the
//! path: the poll's requests, applying them, claiming the page in the ledger, and the call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tocsin::model::{ProviderKind, TokenSource};
use tocsin::paging::RecordingNotifier;
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};
use tocsin_fakes::{NewIncident, PagerDutyFake, TokenKind};

const TOKEN: &str = "bench-token";
const ME: &str = "PBENCH1";
/// Incidents already cached, so each poll runs against a realistic cache.
const BACKGROUND: usize = 2_000;
const ROUNDS: usize = 30;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let fake = PagerDutyFake::start().await;
    let state = fake.state();
    state.add_user(ME, "Bench Responder", "bench@example.com");
    state.set_token(TOKEN, TokenKind::User { user_id: ME.into() });
    state.add_service("PSVC01", "Checkout API");
    state.add_escalation_policy("PPOL01", "Checkout", vec![(30, vec![ME.into()])]);
    state.seed_incidents(BACKGROUND, chrono::Duration::days(30));

    let dir = tempfile::tempdir().expect("a temporary directory");
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = engine(dir.path(), &fake.url(), notifier.clone());
    // The first download, then the passes that fetch open incidents' timelines.
    for _ in 0..5 {
        engine.sync_once(None).await.expect("a pass");
    }

    let mut latencies = Vec::new();
    for round in 0..ROUNDS {
        let shown_before = notifier.shown.lock().expect("the recorder").len();
        state.add_incident(page(round));
        let started = Instant::now();
        engine.sync_once(None).await.expect("a pass");
        let took = started.elapsed();
        let shown = notifier.shown.lock().expect("the recorder").len();
        if shown > shown_before {
            latencies.push(took);
        }
    }
    report(&mut latencies);
}

fn page(round: usize) -> NewIncident {
    NewIncident {
        title: format!("Checkout 500s ({round})"),
        status: "triggered".into(),
        service_id: "PSVC01".into(),
        escalation_policy_id: "PPOL01".into(),
        assignee_ids: vec![ME.into()],
        created_at: chrono::Utc::now(),
        ..NewIncident::default()
    }
}

fn engine(dir: &std::path::Path, url: &str, notifier: Arc<RecordingNotifier>) -> Engine {
    std::env::set_var("TOCSIN_BENCH_PAGE_TOKEN", TOKEN);
    let tocsin = Arc::new(Tocsin::open(dir).expect("a store"));
    let account = NewAccount {
        name: "bench".into(),
        kind: ProviderKind::Pagerduty,
        api_url: Some(url.into()),
        token: TokenSource::Env {
            var: "TOCSIN_BENCH_PAGE_TOKEN".into(),
        },
        email: None,
    };
    tocsin.add_account(account, None).expect("an account");
    Engine::with_config(tocsin, notifier, EngineConfig::default())
}

fn report(latencies: &mut [Duration]) {
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let Some(max) = latencies.last() else {
        println!("page to notification: no page was shown in {ROUNDS} rounds");
        return;
    };
    let median = latencies[latencies.len() / 2];
    let p90 = latencies[latencies.len() * 9 / 10];
    println!(
        "page to notification: {} pages over a cache of {BACKGROUND} incidents",
        latencies.len()
    );
    println!(
        "poll start to notifier  median {:>6.1} ms   p90 {:>6.1} ms   max {:>6.1} ms",
        ms(median),
        ms(p90),
        ms(*max)
    );
}
