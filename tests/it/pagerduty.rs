//! PagerDuty sync against the fake, which follows the REST v2 contract and the quirks real
//! servers have: paging limits, default windows, rate limits, odd error shapes.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tocsin::model::{HealthState, IncidentFilter, IncidentStatus, StatusFilter, TokenSource};
use tocsin::paging::RecordingNotifier;
use tocsin::provider::http::RetryPolicy;
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};
use tocsin_fakes::{FailureKind, NewIncident, PagerDutyFake, TokenKind};

const TOKEN: &str = "u+fake-token-0123456789";
const ME: &str = "PUSER01";

/// A fake account with one responder, a service, a policy with them on call, and a token.
async fn fake() -> PagerDutyFake {
    let fake = PagerDutyFake::start().await;
    let s = fake.state();
    s.add_user(ME, "Ada Responder", "ada@example.com");
    s.add_user("PUSER02", "Grace Backup", "grace@example.com");
    s.set_token(TOKEN, TokenKind::User { user_id: ME.into() });
    s.add_service("PSVC01", "Checkout API");
    s.add_schedule("PSCHED1", "Primary", "Europe/Berlin");
    s.add_escalation_policy("PPOL01", "Checkout", vec![(30, vec!["PSCHED1".into()])]);
    let in_an_hour = Some(Utc::now() + chrono::Duration::hours(1));
    let a_minute_ago = Some(Utc::now() - chrono::Duration::minutes(1));
    s.add_oncall(ME, "PPOL01", 1, Some("PSCHED1"), a_minute_ago, in_an_hour);
    s.add_oncall("PUSER02", "PPOL01", 2, None, None, None);
    fake
}

struct Setup {
    tocsin: Arc<Tocsin>,
    engine: Engine,
    notifier: Arc<RecordingNotifier>,
    _dir: tempfile::TempDir,
}

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
        timeout: Duration::from_millis(700),
    }
}

/// A core in a temporary directory with one PagerDuty account whose token is in `var`.
fn setup(url: &str, var: &str, email: Option<&str>) -> Setup {
    std::env::set_var(var, TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let tocsin = Arc::new(Tocsin::open(dir.path()).unwrap());
    let new = NewAccount {
        name: "pd".into(),
        kind: tocsin::model::ProviderKind::Pagerduty,
        api_url: Some(url.into()),
        token: TokenSource::Env { var: var.into() },
        email: email.map(Into::into),
    };
    tocsin.add_account(new, None).unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let config = EngineConfig {
        retry: quick_retry(),
        ..EngineConfig::default()
    };
    let engine = Engine::with_config(tocsin.clone(), notifier.clone(), config);
    Setup {
        tocsin,
        engine,
        notifier,
        _dir: dir,
    }
}

impl Setup {
    async fn sync(&self) -> tocsin::Result<tocsin::store::ApplyOutcome> {
        let mut results = self.engine.sync_once(None).await.unwrap();
        results.pop().unwrap().1
    }

    fn all(&self) -> Vec<tocsin::model::Incident> {
        let filter = IncidentFilter {
            status: StatusFilter::All,
            ..Default::default()
        };
        self.tocsin.incidents(&filter).unwrap()
    }

    fn pages(&self) -> Vec<Vec<i64>> {
        self.notifier.shown.lock().unwrap().clone()
    }
}

fn incident(title: &str, status: &str, assignees: &[&str], age: chrono::Duration) -> NewIncident {
    NewIncident {
        title: title.into(),
        status: status.into(),
        service_id: "PSVC01".into(),
        escalation_policy_id: "PPOL01".into(),
        assignee_ids: assignees.iter().map(|s| s.to_string()).collect(),
        created_at: Utc::now() - age,
        ..NewIncident::default()
    }
}

/// The fake with one triggered incident assigned to me, synced once into a fresh core.
async fn synced_once(var: &str) -> (PagerDutyFake, Setup) {
    let fake = fake().await;
    let checkout = incident(
        "Checkout 500s",
        "triggered",
        &[ME],
        chrono::Duration::hours(1),
    );
    fake.state().add_incident(checkout);
    let t = setup(&fake.url(), var, None);
    t.sync().await.unwrap();
    (fake, t)
}

#[tokio::test(flavor = "multi_thread")]
async fn cold_sync_caches_directory_oncall_and_incidents_as_served() {
    let fake = fake().await;
    let s = fake.state();
    let hour = chrono::Duration::hours(1);
    s.add_incident(incident("Checkout 500s", "triggered", &[ME], hour));
    s.add_incident(incident(
        "Slow search",
        "acknowledged",
        &["PUSER02"],
        hour * 2,
    ));
    s.add_incident(incident(
        "Old outage",
        "resolved",
        &[ME],
        chrono::Duration::days(10),
    ));
    s.add_incident(incident(
        "Ancient",
        "resolved",
        &[ME],
        chrono::Duration::days(200),
    ));
    s.add_incident(incident("New status", "escalated_v3", &[ME], hour));

    let t = setup(&fake.url(), "TOCSIN_IT_PD_COLD", None);
    t.sync().await.unwrap();
    let first_pass_entries: usize = t
        .all()
        .iter()
        .map(|i| t.tocsin.incident(i.id).unwrap().timeline.len())
        .sum();
    assert_eq!(first_pass_entries, 0, "the first pass reads incidents only");
    t.sync().await.unwrap();

    let titles: Vec<String> = t.all().iter().map(|i| i.title.clone()).collect();
    assert_eq!(
        titles.len(),
        4,
        "the 200-day-old incident is outside the history: {titles:?}"
    );
    assert!(!titles.contains(&"Ancient".to_string()));
    let odd = t
        .all()
        .into_iter()
        .find(|i| i.title == "New status")
        .unwrap();
    assert_eq!(odd.status, IncidentStatus::Unknown);
    assert_eq!(odd.raw_status.as_deref(), Some("escalated_v3"));
    let checkout = t
        .all()
        .into_iter()
        .find(|i| i.title == "Checkout 500s")
        .unwrap();
    assert_eq!(checkout.service_name.as_deref(), Some("Checkout API"));
    assert_eq!(checkout.assignees[0].name, "Ada Responder");
    let detail = t.tocsin.incident(checkout.id).unwrap();
    assert_eq!(detail.timeline[0].kind, "trigger", "{:?}", detail.timeline);

    let oncall = t.tocsin.oncall_now().unwrap();
    assert_eq!(oncall.len(), 2, "{oncall:?}");
    assert!(oncall
        .iter()
        .any(|o| o.is_me && o.level == 1 && o.escalation_policy_name == "Checkout"));
    assert_eq!(t.tocsin.health().unwrap()[0].state, HealthState::Ok);

    // Triggered incidents assigned to me are pages; so is one in a status Tocsin does not know
    // yet (a miss costs more than an extra page). Resolved and acknowledged ones are not.
    assert_eq!(t.pages(), vec![vec![checkout.id], vec![odd.id]]);

    for r in s.request_log() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(&*format!("Token token={TOKEN}"))
        );
        assert_eq!(
            r.accept.as_deref(),
            Some("application/vnd.pagerduty+json;version=2")
        );
        let has = |k: &str| r.query.iter().any(|(key, _)| key == k);
        if r.path == "/incidents" || r.path == "/log_entries" {
            let windowed = (has("since") && has("until")) || has("date_range");
            assert!(
                windowed,
                "no explicit window, the server would use one month: {r:?}"
            );
        }
        if has("offset") {
            assert!(
                r.query.iter().any(|(k, v)| k == "limit" && v == "100"),
                "{r:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn history_past_the_offset_ceiling_is_read_whole() {
    let fake = fake().await;
    fake.state()
        .seed_incidents(10_450, chrono::Duration::days(60));
    let t = setup(&fake.url(), "TOCSIN_IT_PD_CEILING", None);

    t.sync().await.unwrap();

    let db = crate::support::open_db(t.tocsin.store().path());
    let count: i64 = db
        .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 10_450);
    for r in fake.state().request_log() {
        let num = |k: &str| {
            r.query
                .iter()
                .find(|(key, _)| key == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        if let (Some(offset), Some(limit)) = (num("offset"), num("limit")) {
            assert!(offset + limit <= 10_000, "crossed the ceiling: {r:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn incremental_sync_is_cheap_and_pages_once_on_escalation_to_me() {
    let fake = fake().await;
    let s = fake.state();
    let minute = chrono::Duration::minutes(1);
    let other = s.add_incident(incident("Disk 91%", "triggered", &["PUSER02"], minute * 5));
    let mine = s.add_incident(incident("Queue backlog", "triggered", &[ME], minute * 3));
    let t = setup(&fake.url(), "TOCSIN_IT_PD_INCR", None);
    t.sync().await.unwrap();
    assert_eq!(t.pages().len(), 1);
    t.sync().await.unwrap(); // fetches the open incidents' timelines

    s.clear_request_log();
    t.sync().await.unwrap();
    let quiet = s.request_log().len();
    let paths: Vec<_> = s
        .request_log()
        .iter()
        .map(|r| format!("{} {:?}", r.path, r.query))
        .collect();
    assert!(
        quiet <= 4,
        "an idle pass should be a handful of requests: {paths:#?}"
    );
    assert_eq!(t.pages().len(), 1, "a re-sync must not page again");

    // Escalated to me: a new page. Mine resolved elsewhere; one created and resolved between
    // passes must still arrive through the change feed.
    s.update_incident(&other, |i| i.assignee_ids = vec![ME.into()]);
    s.update_incident(&mine, |i| i.status = "resolved".into());
    let flash = s.add_incident(incident(
        "Blip",
        "triggered",
        &["PUSER02"],
        chrono::Duration::zero(),
    ));
    s.update_incident(&flash, |i| i.status = "resolved".into());
    t.sync().await.unwrap();

    let all = t.all();
    let get = |title: &str| all.iter().find(|i| i.title == title).cloned().unwrap();
    assert_eq!(get("Queue backlog").status, IncidentStatus::Resolved);
    assert_eq!(get("Blip").status, IncidentStatus::Resolved);
    assert_eq!(t.pages().len(), 2);
    assert_eq!(t.pages()[1], vec![get("Disk 91%").id]);
    let timeline = t.tocsin.incident(get("Disk 91%").id).unwrap().timeline;
    assert!(timeline.iter().any(|e| e.kind == "assign"), "{timeline:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_server_errors_and_timeouts_are_retried() {
    let fake = fake().await;
    let s = fake.state();
    s.add_incident(incident(
        "Checkout 500s",
        "triggered",
        &[ME],
        chrono::Duration::hours(1),
    ));
    let t = setup(&fake.url(), "TOCSIN_IT_PD_RETRY", None);

    s.fail_next(
        1,
        FailureKind::RateLimited {
            reset_header: Some(1),
        },
    );
    s.fail_next(1, FailureKind::RateLimited { reset_header: None });
    s.fail_next(1, FailureKind::ServerError(503));
    t.sync().await.unwrap();
    s.fail_next(1, FailureKind::Timeout(Duration::from_secs(2)));
    s.fail_next(1, FailureKind::Malformed);
    t.sync().await.unwrap();

    assert_eq!(t.all().len(), 1);
    assert_eq!(t.tocsin.health().unwrap()[0].state, HealthState::Ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_failures_keep_the_cache_and_report_health() {
    let (fake, t) = synced_once("TOCSIN_IT_PD_FAIL").await;
    let s = fake.state();

    s.fail_next(10, FailureKind::Malformed);
    let err = t.sync().await.unwrap_err();
    assert_eq!(err.code(), "malformed");
    let health = &t.tocsin.health().unwrap()[0];
    assert_eq!(health.state, HealthState::Failing);
    assert!(health.last_success_at.is_some());
    assert_eq!(health.last_error_code.as_deref(), Some("malformed"));
    assert_eq!(t.all().len(), 1, "cache kept");

    s.revoke_token(TOKEN);
    let err = t.sync().await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert_eq!(t.tocsin.health().unwrap()[0].state, HealthState::Revoked);
    assert_eq!(t.all().len(), 1, "cache kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_level_key_needs_the_email_to_know_who_i_am() {
    let fake = fake().await;
    let s = fake.state();
    s.set_token(TOKEN, TokenKind::Account);
    s.add_incident(incident(
        "Checkout 500s",
        "triggered",
        &[ME],
        chrono::Duration::hours(1),
    ));

    let without = setup(&fake.url(), "TOCSIN_IT_PD_ACCT1", None);
    let err = without.sync().await.unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert!(err.to_string().contains("--email"), "{err}");

    let with = setup(&fake.url(), "TOCSIN_IT_PD_ACCT2", Some("ada@example.com"));
    with.sync().await.unwrap();
    let account = &with.tocsin.accounts().unwrap()[0];
    assert_eq!(account.user_id.as_deref(), Some(ME));
    assert_eq!(with.pages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn opening_a_history_incident_fetches_its_timeline_once() {
    let fake = fake().await;
    let s = fake.state();
    let old = incident("Old outage", "resolved", &[ME], chrono::Duration::days(10));
    s.add_incident(old);
    let t = setup(&fake.url(), "TOCSIN_IT_PD_TIMELINE", None);
    t.sync().await.unwrap();
    let id = t.all()[0].id;
    assert!(
        t.tocsin.incident(id).unwrap().timeline.is_empty(),
        "history has no timeline yet"
    );

    s.clear_request_log();
    let detail = t.engine.incident(id).await.unwrap();
    assert_eq!(detail.timeline[0].kind, "trigger", "{:?}", detail.timeline);
    let again = t.engine.incident(id).await.unwrap();
    assert_eq!(again.timeline, detail.timeline);
    assert_eq!(
        s.request_log().len(),
        1,
        "fetched once, then served from the cache"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn opening_an_incident_offline_shows_the_cache() {
    let fake = fake().await;
    let old = incident("Old outage", "resolved", &[ME], chrono::Duration::days(10));
    fake.state().add_incident(old);
    let t = setup(&fake.url(), "TOCSIN_IT_PD_TIMELINE_OFF", None);
    t.sync().await.unwrap();
    let id = t.all()[0].id;
    drop(fake);

    let detail = t.engine.incident(id).await.unwrap();
    assert_eq!(detail.incident.title, "Old outage");
    assert!(detail.timeline.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_is_a_permission_problem_not_a_revoked_token() {
    let (fake, t) = synced_once("TOCSIN_IT_PD_403").await;
    let s = fake.state();

    s.fail_next(1, FailureKind::ServerError(403));
    let _ = t.sync().await;
    assert_ne!(t.tocsin.health().unwrap()[0].state, HealthState::Revoked);
    t.sync().await.unwrap();
    assert_eq!(t.tocsin.health().unwrap()[0].state, HealthState::Ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_longer_than_six_months_is_read_in_windows() {
    let fake = fake().await;
    let s = fake.state();
    for days in [10, 200, 390] {
        let title = format!("{days} days ago");
        s.add_incident(incident(
            &title,
            "resolved",
            &[ME],
            chrono::Duration::days(days),
        ));
    }
    let mut t = setup(&fake.url(), "TOCSIN_IT_PD_LONG", None);
    let config = EngineConfig {
        retry: quick_retry(),
        history_days: 400,
        ..EngineConfig::default()
    };
    t.engine = Engine::with_config(t.tocsin.clone(), t.notifier.clone(), config);
    t.sync().await.unwrap();

    assert_eq!(
        t.all().len(),
        3,
        "{:?}",
        t.all().iter().map(|i| &i.title).collect::<Vec<_>>()
    );
    for r in s.request_log().iter().filter(|r| r.path == "/incidents") {
        let time = |k: &str| {
            let v = r.query.iter().find(|(key, _)| key == k)?.1.clone();
            chrono::DateTime::parse_from_rfc3339(&v).ok()
        };
        if let (Some(since), Some(until)) = (time("since"), time("until")) {
            assert!(
                until - since <= chrono::Duration::days(180),
                "range too long: {r:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replaced_token_resumes_sync_without_paging_again() {
    let (fake, t) = synced_once("TOCSIN_IT_PD_OLD_TOKEN").await;
    let s = fake.state();
    assert_eq!(t.pages().len(), 1);
    let before: Vec<i64> = t.all().iter().map(|i| i.id).collect();

    s.revoke_token(TOKEN);
    assert_eq!(t.sync().await.unwrap_err().code(), "unauthorized");
    let revoked = &t.tocsin.health().unwrap()[0];
    assert_eq!(revoked.state, HealthState::Revoked);
    assert!(revoked
        .last_error
        .as_deref()
        .unwrap()
        .contains("tocsin account token"));

    s.set_token("new-token", TokenKind::User { user_id: ME.into() });
    std::env::set_var("TOCSIN_IT_PD_NEW_TOKEN", "new-token");
    let account = t.tocsin.accounts().unwrap()[0].id;
    let var = TokenSource::Env {
        var: "TOCSIN_IT_PD_NEW_TOKEN".into(),
    };
    let replaced = t.tocsin.replace_token(account, var, None).unwrap();
    assert!(replaced.token_changed_at.is_some());
    assert_eq!(t.tocsin.health().unwrap()[0].state, HealthState::Pending);

    t.sync().await.unwrap();
    assert_eq!(t.tocsin.health().unwrap()[0].state, HealthState::Ok);
    assert_eq!(
        t.all().iter().map(|i| i.id).collect::<Vec<_>>(),
        before,
        "same cache"
    );
    assert_eq!(t.pages().len(), 1, "nothing paged again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_action_on_a_provider_incident_changes_and_queues_nothing() {
    let (_fake, t) = synced_once("TOCSIN_IT_PD_ACT").await;
    let id = t.all()[0].id;
    let before = t.tocsin.incident(id).unwrap();

    let err = t
        .tocsin
        .act(id, &tocsin::model::Action::Escalate { level: 0 })
        .unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert!(err.to_string().contains("levels start at 1"), "{err}");
    assert_eq!(t.tocsin.incident(id).unwrap(), before);
    assert!(t.tocsin.outbox().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_feed_past_the_ceiling_fails_rather_than_skip_entries() {
    let (fake, t) = synced_once("TOCSIN_IT_PD_FEED").await;
    let s = fake.state();
    let cursor_before = t.tocsin.store().sync_position(1).unwrap().cursor;
    let id = s.add_incident(incident(
        "Flapping",
        "triggered",
        &["PUSER02"],
        chrono::Duration::zero(),
    ));
    // The fake stamps entries to the second, so these all share one second: no window can be
    // cut small enough to page through them.
    for n in 0..10_050 {
        let urgency = if n % 2 == 0 { "low" } else { "high" };
        s.update_incident(&id, |i| i.urgency = urgency.into());
    }

    let err = t.sync().await.unwrap_err();
    assert!(err.to_string().contains("cannot page past them"), "{err}");
    let cursor_after = t.tocsin.store().sync_position(1).unwrap().cursor;
    assert_eq!(
        cursor_after, cursor_before,
        "the cursor must not pass entries it did not read"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incident_deleted_at_pagerduty_is_closed_and_sync_goes_on() {
    let (fake, t) = synced_once("TOCSIN_IT_PD_GONE").await;
    let cached = t.all()[0].clone();
    assert!(fake.state().delete_incident(&cached.provider_id));

    t.sync()
        .await
        .expect("a deleted incident does not stop the sync");
    let detail = t.tocsin.incident(cached.id).unwrap();
    assert_eq!(detail.incident.status, IncidentStatus::Resolved);
    let last = detail.timeline.last().unwrap();
    assert!(
        last.summary.contains("no longer exists"),
        "{}",
        last.summary
    );
    t.sync().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_incident_says_who_it_escalates_to_and_when() {
    let fake = fake().await;
    let s = fake.state();
    let levels = vec![
        (15, vec![ME.to_string()]),
        (10, vec!["PSCHED1".to_string()]),
    ];
    s.add_escalation_policy("PPOL02", "Payments", levels);
    let mut new = incident(
        "Payments down",
        "triggered",
        &[ME],
        chrono::Duration::minutes(5),
    );
    new.escalation_policy_id = "PPOL02".into();
    let id = s.add_incident(new);
    let t = setup(&fake.url(), "TOCSIN_IT_ESCALATION", None);
    t.sync().await.unwrap();
    let local = t.all()[0].id;

    // Level 1 for 15 minutes from the trigger, then the schedule's person at that moment.
    let outlook = t
        .tocsin
        .escalation(local)
        .unwrap()
        .expect("a cached policy");
    let created = t.all()[0].created_at;
    assert_eq!(
        (outlook.policy_name.as_str(), outlook.level, outlook.levels),
        ("Payments", 1, 2)
    );
    assert_eq!(outlook.current[0].people, ["Ada Responder"]);
    let next = outlook.next.expect("a next level");
    assert_eq!(
        (next.level, next.at),
        (2, created + chrono::Duration::minutes(15))
    );
    assert_eq!(
        (next.targets[0].kind.as_str(), next.targets[0].name.as_str()),
        ("schedule", "Primary")
    );
    assert_eq!(next.targets[0].people, ["Ada Responder"]);

    // A level the policy does not have is refused before anything is queued.
    let err = t
        .tocsin
        .act(local, &tocsin::model::Action::Escalate { level: 3 });
    assert_eq!(err.unwrap_err().code(), "invalid");
    assert!(t.tocsin.outbox().unwrap().is_empty());

    // Escalated by hand to the last level: nobody further, and acknowledging pauses it.
    s.update_incident(&id, |i| i.escalation_level = 2);
    t.sync().await.unwrap();
    let outlook = t.tocsin.escalation(local).unwrap().unwrap();
    assert_eq!((outlook.level, outlook.next), (2, None));

    s.update_incident(&id, |i| i.status = "acknowledged".into());
    t.sync().await.unwrap();
    let outlook = t.tocsin.escalation(local).unwrap().unwrap();
    assert!(outlook.note.unwrap().contains("paused"));
}

/// Everything the cache shows of the account: incidents with their timelines, on-call, people.
fn snapshot(t: &Setup) -> String {
    let details: Vec<_> = (t.all().iter())
        .map(|i| t.tocsin.incident(i.id).unwrap())
        .collect();
    let health = &t.tocsin.health().unwrap()[0];
    format!(
        "{details:?}\n{:?}\n{:?}\n{:?}",
        t.tocsin.oncall_now().unwrap(),
        t.tocsin.users(health.account_id).unwrap(),
        health.last_success_at
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_json_fails_the_pass_and_leaves_the_cache_as_it_was() {
    let (fake, t) = synced_once("TOCSIN_IT_PD_DEEP").await;
    let s = fake.state();
    let before = snapshot(&t);

    // A field nested 100,000 deep, as arrays and as objects in `details`: parsing it
    // recursively would overflow the stack long before the body's size limit.
    let depth = 100_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for nested in [arrays, objects] {
        let body = format!(
            r#"{{"incidents": [{{"id": "PDEEP", "type": "incident", "title": "deep",
                "details": {nested}}}], "limit": 100, "offset": 0, "more": false}}"#
        );
        // Enough for every attempt the client makes at the first request of the pass.
        s.fail_next(10, FailureKind::Body(body));
        let err = t.sync().await.unwrap_err();
        s.clear_failures();

        assert_eq!(err.code(), "malformed", "{err}");
        let health = &t.tocsin.health().unwrap()[0];
        assert_eq!(health.state, HealthState::Failing);
        assert_eq!(health.last_error_code.as_deref(), Some("malformed"));
        assert_eq!(snapshot(&t), before, "the cache is exactly as it was");
    }

    // The next good answer syncs as usual.
    let hour = chrono::Duration::hours(1);
    s.add_incident(incident("Payments slow", "triggered", &[ME], hour));
    t.sync().await.unwrap();
    let titles: Vec<_> = t.all().into_iter().map(|i| i.title).collect();
    assert!(titles.contains(&"Payments slow".to_string()), "{titles:?}");
    let health = &t.tocsin.health().unwrap()[0];
    assert_eq!(health.state, HealthState::Ok);
    assert_eq!(health.last_error, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_text_is_stored_bounded_and_clean_and_an_absurd_id_is_refused() {
    use tocsin::provider::ingest::{MAX_LINE_CHARS, MAX_TEXT_CHARS};

    let fake = fake().await;
    let s = fake.state();
    let payload = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>\
                   \u{202e}gnp.exe \u{1b}[31mred\u{1b}[0m";
    let megabyte = format!("{payload}{}", "M".repeat(1 << 20));
    s.add_user("PHOSTILE", payload, "evil\u{202e}@example.com");
    s.add_service("PSVCX", &megabyte);
    let hour = chrono::Duration::hours(1);
    let mut hostile = incident(&megabyte, "acknowledged", &["PHOSTILE"], hour);
    hostile.service_id = "PSVCX".into();
    s.add_incident(hostile);
    s.add_incident(incident("Checkout 500s", "triggered", &[ME], hour));
    let absurd = NewIncident {
        id: format!("P{}", "X".repeat(2_000)),
        ..incident("absurd id", "triggered", &[ME], hour)
    };
    s.add_incident(absurd);

    let t = setup(&fake.url(), "TOCSIN_IT_PD_HOSTILE", None);
    let outcome = t.sync().await.unwrap();
    assert!(outcome.refused >= 1, "{outcome:?}");
    t.sync().await.unwrap(); // fetches the open incidents' timelines

    // The absurd id was refused, with a clear error; nothing else was lost.
    let all = t.all();
    let titles: Vec<_> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(all.len(), 2, "{titles:?}");
    assert!(titles.contains(&"Checkout 500s"));
    let health = &t.tocsin.health().unwrap()[0];
    assert_eq!(health.state, HealthState::Ok);
    assert_eq!(health.last_error_code.as_deref(), Some("malformed"));
    let message = health.last_error.as_deref().unwrap();
    assert!(message.contains("2001 bytes"), "{message}");
    assert!(
        message.len() < 300,
        "the error does not quote the id: {message}"
    );

    // Every text field of the hostile incident is bounded and clean; markup stays text.
    let hostile = all
        .iter()
        .find(|i| i.service_id.as_deref() == Some("PSVCX"));
    let detail = t.tocsin.incident(hostile.unwrap().id).unwrap();
    let i = &detail.incident;
    assert_eq!(i.title.chars().count(), MAX_LINE_CHARS);
    assert!(i
        .title
        .starts_with("<img src=x onerror=window.__pwned=1><script>"));
    assert!(i.title.ends_with('…'));
    let service = i.service_name.as_deref().unwrap();
    assert_eq!(service.chars().count(), MAX_LINE_CHARS);
    assert_eq!(i.assignees[0].provider_id, "PHOSTILE", "ids are kept");
    assert!(
        detail
            .timeline
            .iter()
            .any(|e| e.summary.contains("<script>")),
        "{:?}",
        detail.timeline
    );
    let users = t.tocsin.users(i.account_id).unwrap();
    let mut stored = vec![i.title.clone(), service.to_string()];
    for p in i.assignees.iter().chain(&users) {
        stored.push(p.name.clone());
        stored.extend(p.email.clone());
    }
    for e in &detail.timeline {
        stored.push(e.summary.clone());
        stored.extend(e.agent.clone());
        assert!(e.summary.chars().count() <= MAX_TEXT_CHARS);
    }
    let hostile = |c: char| c == '\u{202e}' || c == '\u{1b}';
    for text in &stored {
        assert!(!text.contains(hostile), "stored as it came: {text:?}");
    }
    assert!(stored.iter().any(|s| s.contains('\u{fffd}')), "{stored:?}");
}
