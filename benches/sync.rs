//! Benchmark: a cold sync of 10,000 PagerDuty incidents from the local fake, compared with the
//! time the raw HTTP pages take to fetch, plus an idle incremental pass and peak memory.
//!
//! Run with `cargo bench --bench sync`; it prints its figures and asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tocsin::model::{ProviderKind, TokenSource};
use tocsin::paging::RecordingNotifier;
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};
use tocsin_fakes::{PagerDutyFake, TokenKind};

const INCIDENTS: usize = 10_000;
const TOKEN: &str = "bench-token";

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
    state.seed_incidents(INCIDENTS, chrono::Duration::days(60));

    let raw = raw_fetch(&fake.url()).await;
    let (read, apply) = breakdown(&fake.url()).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (engine, tocsin) = engine(dir.path(), &fake.url());

    let started = Instant::now();
    let outcome = pass(&engine).await;
    let cold = started.elapsed();

    // The passes after the first fetch the open incidents' timelines, twenty at a time.
    let account = tocsin.accounts().expect("accounts")[0].id;
    let needs_timeline = || {
        tocsin
            .store()
            .open_without_timeline(account, 1)
            .expect("a query")
    };
    let started = Instant::now();
    let mut catch_up = 0;
    while !needs_timeline().is_empty() && catch_up < 20 {
        pass(&engine).await;
        catch_up += 1;
    }
    let catch_up_time = started.elapsed();

    state.clear_request_log();
    let started = Instant::now();
    pass(&engine).await;
    let idle = started.elapsed();
    let idle_requests = state.request_log().len();

    let cached = tocsin
        .store()
        .incidents(&Default::default())
        .map(|v| v.len())
        .unwrap_or(0);
    println!("incidents synced        {}", outcome.incidents);
    println!("raw HTTP pages          {:>8.1} ms", ms(raw));
    println!(
        "cold sync               {:>8.1} ms  ({:.2}x raw)",
        ms(cold),
        ratio(cold, raw)
    );
    println!(
        "open timelines fetched  {:>8.1} ms  ({catch_up} passes)",
        ms(catch_up_time)
    );
    println!(
        "idle incremental pass   {:>8.1} ms  ({idle_requests} requests)",
        ms(idle)
    );
    println!(
        "  reading alone         {:>8.1} ms  (HTTP, JSON, normalising)",
        ms(read)
    );
    println!(
        "  applying alone        {:>8.1} ms  (one SQLite transaction)",
        ms(apply)
    );
    println!("open incidents listed   {cached}");
    println!("peak resident memory    {:>8.1} MiB", peak_rss_mib());
}

/// One sync pass of the bench's only account.
async fn pass(engine: &Engine) -> tocsin::store::ApplyOutcome {
    let mut results = engine.sync_once(None).await.expect("accounts");
    results.remove(0).1.expect("a sync")
}

fn engine(dir: &std::path::Path, url: &str) -> (Engine, Arc<Tocsin>) {
    std::env::set_var("TOCSIN_BENCH_TOKEN", TOKEN);
    let tocsin = Arc::new(Tocsin::open(dir).expect("a store"));
    let account = NewAccount {
        name: "bench".into(),
        kind: ProviderKind::Pagerduty,
        api_url: Some(url.into()),
        token: TokenSource::Env {
            var: "TOCSIN_BENCH_TOKEN".into(),
        },
        email: None,
    };
    tocsin.add_account(account, None).expect("an account");
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Engine::with_config(tocsin.clone(), notifier, EngineConfig::default());
    (engine, tocsin)
}

/// Times the two halves of a cold pass on their own: the adapter's read, the store's apply.
async fn breakdown(url: &str) -> (Duration, Duration) {
    use tocsin::provider::pagerduty::{Options, PagerDuty, PassInput};
    let pd = PagerDuty::new(Some(url), TOKEN, Options::default()).expect("an adapter");
    let started = Instant::now();
    let batch = pd.pass(&PassInput::default()).await.expect("a pass");
    let read = started.elapsed();

    let dir = tempfile::tempdir().expect("a temporary directory");
    let (_engine, tocsin) = engine(dir.path(), url);
    let account = tocsin.accounts().expect("accounts")[0].id;
    let started = Instant::now();
    tocsin.store().apply(account, &batch).expect("an apply");
    (read, started.elapsed())
}

/// Fetches the same incident pages without parsing into records or touching SQLite.
async fn raw_fetch(url: &str) -> Duration {
    let client = reqwest::Client::new();
    let since = (chrono::Utc::now() - chrono::Duration::days(90)).to_rfc3339();
    let until = chrono::Utc::now().to_rfc3339();
    let started = Instant::now();
    let mut offset = 0;
    loop {
        let body: serde_json::Value = client
            .get(format!("{url}/incidents"))
            .header("authorization", format!("Token token={TOKEN}"))
            .query(&[
                ("since", &since),
                ("until", &until),
                ("sort_by", &"created_at:asc".into()),
            ])
            .query(&[("limit", 100), ("offset", offset)])
            .send()
            .await
            .expect("a response")
            .json()
            .await
            .expect("JSON");
        offset += 100;
        let more = body["more"].as_bool().unwrap_or(false);
        if !more || offset + 100 > 10_000 {
            return started.elapsed();
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

/// The process's peak resident set size (Linux `VmHWM`), fake server included.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}
