//! The paging policy end to end: quiet hours, breakthrough, the held summary, repeats until
//! acknowledged, snooze, escalation and reassignment, the self-alarm, and several accounts in
//! one inbox. Notifications are captured on a private D-Bus; time is driven by changing the
//! policy while `tocsin watch` runs, never by waiting out real quiet hours.

use std::sync::Arc;
use std::time::Duration;

use tocsin::model::{ProviderKind, TokenSource, Urgency};
use tocsin::paging::RecordingNotifier;
use tocsin::paging_policy::PagingPolicy;
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};
use tocsin_fakes::{FailureKind, NewIncident, PagerDutyFake, TokenKind};

use crate::paging::{wait_line, watch};
use crate::support::{wait_for, Alertmanager, Cli, NotificationBus};

const ME: &str = "PUSER01";

/// A PagerDuty fake with me on call and these `(title, urgency)` incidents assigned to me,
/// on its own runtime so the test can block.
fn fake(pages: &[(&str, &str)]) -> (tokio::runtime::Runtime, PagerDutyFake) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(PagerDutyFake::start());
    let s = fake.state();
    s.add_user(ME, "Ada", "ada@example.com");
    s.add_user("PUSER02", "Grace", "grace@example.com");
    s.set_token("tok", TokenKind::User { user_id: ME.into() });
    s.add_service("PSVC01", "Checkout API");
    s.add_escalation_policy("PPOL01", "Checkout", vec![(30, vec![ME.into()])]);
    s.add_oncall(ME, "PPOL01", 1, None, None, None);
    for (title, urgency) in pages {
        s.add_incident(NewIncident {
            title: title.to_string(),
            urgency: urgency.to_string(),
            service_id: "PSVC01".into(),
            assignee_ids: vec![ME.into()],
            ..Default::default()
        });
    }
    (runtime, fake)
}

/// The Notify calls whose text contains `needle`.
fn calls_with(bus: &NotificationBus, needle: &str) -> Vec<String> {
    let calls = bus.notify_calls();
    calls.into_iter().filter(|c| c.contains(needle)).collect()
}

fn wait_calls(bus: &NotificationBus, needle: &str, n: usize) -> Vec<String> {
    wait_for(Duration::from_secs(20), needle, || {
        let calls = calls_with(bus, needle);
        (calls.len() >= n).then_some(calls)
    })
}

#[test]
fn quiet_hours_hold_low_urgency_high_breaks_through_and_the_summary_comes_once() {
    let bus = NotificationBus::start();
    let (_rt, _fake) = fake(&[("Disk 91% full", "low"), ("Checkout down", "high")]);
    let cli = Cli::with_pagerduty(&_fake.url(), "tok");
    let always = r#"quiet_hours={"start":"00:00","end":"00:00","time_zone":"UTC"}"#;
    cli.ok(&[
        "paging",
        "set",
        "--account",
        "pd",
        always,
        "sound_high=alarm-clock-elapsed",
    ]);

    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    let high = wait_calls(&bus, "Checkout down", 1);
    let call = &high[0];
    assert!(
        call.contains(r#""sound-name": "alarm-clock-elapsed""#),
        "{call}"
    );
    // Critical is urgency 2 in the freedesktop hints.
    assert!(call.contains(r#""urgency": 2"#), "{call}");
    assert!(call.contains("High urgency: you are paged"), "{call}");

    // The low page is held, recorded, not shown.
    let db = crate::support::open_db(&cli.db_path());
    let held = || -> i64 {
        db.query_row(
            "SELECT count(*) FROM pages WHERE outcome = 'held'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    wait_for(Duration::from_secs(10), "the held page", || {
        (held() == 1).then_some(())
    });
    assert!(
        calls_with(&bus, "Disk 91%").is_empty(),
        "{:?}",
        bus.notify_calls()
    );

    // Quiet hours end: one summary lists what was held, once.
    cli.ok(&["paging", "set", "--account", "pd", "quiet_hours=null"]);
    let summary = wait_calls(&bus, "Quiet hours are over", 1);
    assert!(summary[0].contains("Disk 91% full"), "{}", summary[0]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(calls_with(&bus, "Quiet hours are over").len(), 1);
    assert_eq!(calls_with(&bus, "Disk 91%").len(), 1, "held, not paged too");
}

#[test]
fn a_held_page_survives_kill_9_and_the_next_watcher_summarises_it_once() {
    let bus = NotificationBus::start();
    let (_rt, fake) = fake(&[("Cert expires in 20 days", "low")]);
    let cli = Cli::with_pagerduty(&fake.url(), "tok");
    let always = r#"quiet_hours={"start":"00:00","end":"00:00","time_zone":"UTC"}"#;
    cli.ok(&["paging", "set", "--account", "pd", always]);

    let (watcher, _lines) = watch(&cli, &bus);
    let db = crate::support::open_db(&cli.db_path());
    wait_for(Duration::from_secs(15), "the held page", || {
        let held: i64 = db
            .query_row(
                "SELECT count(*) FROM pages WHERE outcome = 'held'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (held == 1).then_some(())
    });
    // `Guard` kills with SIGKILL: no clean shutdown.
    drop(watcher);
    assert!(bus.notify_calls().is_empty(), "{:?}", bus.notify_calls());

    cli.ok(&["paging", "set", "--account", "pd", "quiet_hours=null"]);
    let (_watcher, _lines) = watch(&cli, &bus);
    let summary = wait_calls(&bus, "Quiet hours are over: 1 page was held", 1);
    assert!(
        summary[0].contains("Cert expires in 20 days"),
        "{}",
        summary[0]
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(bus.notify_calls().len(), 1, "{:?}", bus.notify_calls());
}

#[test]
fn a_page_repeats_until_acknowledged() {
    let bus = NotificationBus::start();
    let cli = Cli::new();
    cli.ok(&["drill"]);
    cli.ok(&[
        "paging",
        "set",
        "repeat.enabled=true",
        "repeat.every_secs=1",
    ]);

    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    let first = wait_calls(&bus, "[DRILL]", 1);
    assert!(
        first[0].contains("snooze"),
        "repeats offer Snooze: {}",
        first[0]
    );
    wait_calls(&bus, "reminder 2, not acknowledged", 1);

    bus.invoke_action(1, "acknowledge");
    wait_line(&lines, "acknowledged: 1");
    // A repeat claimed just before the acknowledgement may still land; then no more.
    std::thread::sleep(Duration::from_millis(1500));
    let settled = bus.notify_calls().len();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        bus.notify_calls().len(),
        settled,
        "{:?}",
        bus.notify_calls()
    );
}

#[test]
fn snooze_from_the_notification_and_the_cli_stops_the_repeats() {
    let bus = NotificationBus::start();
    let cli = Cli::new();
    cli.ok(&["drill"]);
    cli.ok(&["drill"]);
    cli.ok(&[
        "paging",
        "set",
        "repeat.enabled=true",
        "repeat.every_secs=1",
    ]);

    let (_watcher, lines) = watch(&cli, &bus);
    wait_calls(&bus, "reminder 1", 2);
    bus.invoke_action(1, "snooze");
    wait_line(&lines, "snoozed: 1 for 15 min");
    let out = cli.ok(&["paging", "snooze", "2", "10"]);
    assert!(out.contains("will not repeat until"), "{out}");

    std::thread::sleep(Duration::from_millis(1500));
    let settled = bus.notify_calls().len();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        bus.notify_calls().len(),
        settled,
        "{:?}",
        bus.notify_calls()
    );
    // The snooze is local: both incidents are still triggered.
    let list = cli.json(&["incidents", "--json"]);
    let statuses: Vec<_> = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].clone())
        .collect();
    assert!(statuses.iter().all(|s| s == "triggered"), "{statuses:?}");
    assert!(!cli.run(&["paging", "snooze", "1", "0"]).status.success());
}

#[test]
fn escalation_and_reassignment_to_me_page_and_say_why() {
    let bus = NotificationBus::start();
    let (_rt, fake) = fake(&[]);
    let s = fake.state();
    let reassigned = s.add_incident(NewIncident {
        title: "Payments slow".into(),
        assignee_ids: vec!["PUSER02".into()],
        ..Default::default()
    });
    let escalated = s.add_incident(NewIncident {
        title: "Queue backlog".into(),
        assignee_ids: vec!["PUSER02".into()],
        ..Default::default()
    });
    let cli = Cli::with_pagerduty(&fake.url(), "tok");
    cli.ok(&["sync", "--once"]);

    let (_watcher, _lines) = watch(&cli, &bus);
    // The fake stamps whole seconds, and an entry within a second of the trigger counts as
    // the first assignment: let the change come clearly later.
    std::thread::sleep(Duration::from_secs(2));
    assert!(bus.notify_calls().is_empty(), "not mine yet");
    s.update_incident(&reassigned, |i| i.assignee_ids = vec![ME.into()]);
    s.update_incident(&escalated, |i| {
        i.assignee_ids = vec![ME.into()];
        i.escalation_level = 2;
    });

    let r = wait_calls(&bus, "Payments slow", 1);
    assert!(r[0].contains("Reassigned to you"), "{}", r[0]);
    let e = wait_calls(&bus, "Queue backlog", 1);
    assert!(e[0].contains("Escalated to you"), "{}", e[0]);
}

#[test]
fn the_self_alarm_says_pages_may_be_missed_once_per_outage() {
    let bus = NotificationBus::start();
    let (_rt, fake) = fake(&[]);
    let cli = Cli::with_pagerduty(&fake.url(), "tok");
    cli.ok(&["sync", "--once"]);
    cli.ok(&[
        "paging",
        "set",
        "--account",
        "pd",
        "self_alarm_after_secs=1",
    ]);
    fake.state()
        .fail_next(100_000, FailureKind::ServerError(503));

    let (_watcher, _lines) = watch(&cli, &bus);
    let alarm = wait_calls(&bus, "Pages from pd may be missed", 1);
    assert!(alarm[0].contains("You are on call"), "{}", alarm[0]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        calls_with(&bus, "may be missed").len(),
        1,
        "once per outage"
    );

    // A pass that succeeds (here a one-off sync) ends the outage, and the watcher says so.
    fake.state().clear_failures();
    cli.ok(&["sync", "--once"]);
    wait_calls(&bus, "Tocsin syncs pd again", 1);
}

/// A core with PagerDuty accounts `pd-a` and `pd-b` and the Alertmanager `am`, each with its
/// own policy, raising into one recording notifier.
#[test]
fn two_pagerduty_accounts_and_an_alertmanager_page_into_one_inbox_under_their_own_policies() {
    let (_rt_a, a) = fake(&[("A high", "high"), ("A low", "low")]);
    let (_rt_b, b) = fake(&[("B high", "high"), ("B low", "low")]);
    let am = Alertmanager::start();
    am.post(serde_json::json!([
        {"labels": {"alertname": "AmLow", "severity": "warning", "job": "db"}},
        {"labels": {"alertname": "AmHigh", "severity": "critical", "job": "db"}},
    ]));

    let dir = tempfile::tempdir().unwrap();
    let tocsin = Arc::new(Tocsin::open(dir.path()).unwrap());
    std::env::set_var("PAGING_POLICY_TOKEN", "tok");
    let pd = |name: &str, url: String| NewAccount {
        name: name.into(),
        kind: ProviderKind::Pagerduty,
        api_url: Some(url),
        token: TokenSource::Env {
            var: "PAGING_POLICY_TOKEN".into(),
        },
        email: None,
    };
    let id_a = tocsin.add_account(pd("pd-a", a.url()), None).unwrap().id;
    tocsin.add_account(pd("pd-b", b.url()), None).unwrap();
    let am_account = NewAccount {
        name: "am".into(),
        kind: ProviderKind::Alertmanager,
        api_url: Some(am.url.clone()),
        token: TokenSource::None,
        email: None,
    };
    let id_am = tocsin.add_account(am_account, None).unwrap().id;

    // pd-a wants no low urgency; am is in quiet hours; pd-b keeps the defaults.
    let no_low = PagingPolicy {
        notify_low: false,
        ..Default::default()
    };
    tocsin.set_paging_policy(id_a, &no_low).unwrap();
    let quiet: PagingPolicy = serde_json::from_str(
        r#"{"quiet_hours": {"start": "00:00", "end": "00:00", "time_zone": "UTC"}}"#,
    )
    .unwrap();
    tocsin.set_paging_policy(id_am, &quiet).unwrap();

    let notifier = Arc::new(RecordingNotifier::default());
    let config = EngineConfig {
        raise_pages: true,
        ..EngineConfig::default()
    };
    let engine = Engine::with_config(tocsin.clone(), notifier.clone(), config);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for (account, result) in engine.sync_once(None).await.unwrap() {
            result.unwrap_or_else(|e| panic!("{}: {e}", account.name));
        }
        engine.raise_pages().await;
    });

    let titles: Vec<String> = {
        let shown = notifier.shown.lock().unwrap();
        let ids: Vec<i64> = shown.iter().flatten().copied().collect();
        ids.iter()
            .map(|id| tocsin.incident(*id).unwrap().incident.title)
            .collect()
    };
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["A high", "AmHigh", "B high", "B low"],
        "one inbox, each account's policy: {titles:?}"
    );

    // The Alertmanager's low page waits for its quiet hours; pd-a's was skipped for good.
    let held: Vec<String> = tocsin
        .incidents(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|i| i.urgency == Urgency::Low)
        .map(|i| i.title)
        .collect();
    assert_eq!(held.len(), 3, "{held:?}");
    tocsin
        .set_paging_policy(id_am, &PagingPolicy::default())
        .unwrap();
    runtime.block_on(engine.raise_policy_pages());
    let summaries = notifier.held.lock().unwrap().clone();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    let summarised = tocsin.incident(summaries[0][0]).unwrap().incident;
    assert_eq!(summarised.account_id, id_am);
    assert_eq!(summaries[0].len(), 1);
}
