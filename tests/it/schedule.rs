//! Schedules synced from the PagerDuty fake, rendered offline and cross-checked against the
//! final schedule the fake serves.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{json, Value};
use tocsin::model::TokenSource;
use tocsin::paging::RecordingNotifier;
use tocsin::schedule::{LayerOrder, OnCallReason};
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};
use tocsin_fakes::{PagerDutyFake, TokenKind};

const TOKEN: &str = "u+fake-schedule-token-0123";
const ME: &str = "PUSER01";
const BACKUP: &str = "PUSER02";
const STANDIN: &str = "PUSER03";

fn user(id: &str) -> Value {
    json!({"id": id, "type": "user_reference", "summary": format!("User {id}")})
}

fn entry(start: DateTime<Utc>, end: DateTime<Utc>, who: &str) -> Value {
    json!({"start": start.to_rfc3339(), "end": end.to_rfc3339(), "user": user(who)})
}

/// A layer of one person, weekly turns, between `start` and `end` (if any).
fn layer(id: &str, who: &str, start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> Value {
    json!({
        "id": id, "name": id, "start": start.to_rfc3339(), "end": end.map(|e| e.to_rfc3339()),
        "rotation_virtual_start": start.to_rfc3339(), "rotation_turn_length_seconds": 604_800,
        "users": [{"user": user(who)}], "restrictions": []
    })
}

/// Two schedules: the backup all month with me on top for four days around now, and a stand-in
/// overriding a day. PagerDuty's answer has me on top; `PSREV` lists the layers backwards.
async fn fake(now: DateTime<Utc>) -> PagerDutyFake {
    let fake = PagerDutyFake::start().await;
    let s = fake.state();
    s.add_user(ME, "Ada Responder", "ada@example.com");
    s.add_user(BACKUP, "Grace Backup", "grace@example.com");
    s.set_token(TOKEN, TokenKind::User { user_id: ME.into() });

    let day = Duration::days(1);
    let base = layer("PBASE", BACKUP, now - day * 30, None);
    let top = layer("PTOP", ME, now - day * 2, Some(now + day * 2));
    let provider = vec![
        entry(now - day * 30, now - day * 2, BACKUP),
        entry(now - day * 2, now + day * 2, ME),
        entry(now + day * 2, now + day * 5, BACKUP),
        entry(now + day * 5, now + day * 6, STANDIN),
        entry(now + day * 6, now + day * 30, BACKUP),
    ];
    let overrides = vec![entry(now + day * 5, now + day * 6, STANDIN)];
    for (id, layers) in [
        ("PSOK", vec![base.clone(), top.clone()]),
        ("PSREV", vec![top, base]),
    ] {
        s.add_schedule(id, id, "Europe/London");
        s.set_schedule_layers(id, layers);
        s.set_schedule_overrides(id, overrides.clone());
        s.set_final_schedule(id, provider.clone());
    }
    let levels = vec![(30, vec!["PSOK".into()]), (15, vec![BACKUP.into()])];
    s.add_escalation_policy("PPOL01", "Checkout", levels);
    fake
}

fn core(url: &str, var: &str) -> (Arc<Tocsin>, Engine, tempfile::TempDir) {
    std::env::set_var(var, TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let tocsin = Arc::new(Tocsin::open(dir.path()).unwrap());
    let new = NewAccount {
        name: "pd".into(),
        kind: tocsin::model::ProviderKind::Pagerduty,
        api_url: Some(url.into()),
        token: TokenSource::Env { var: var.into() },
        email: None,
    };
    tocsin.add_account(new, None).unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Engine::with_config(tocsin.clone(), notifier, EngineConfig::default());
    (tocsin, engine, dir)
}

fn now() -> DateTime<Utc> {
    // Whole seconds, as PagerDuty writes times; the cache keeps milliseconds.
    Utc::now().duration_trunc(Duration::seconds(1)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_synced_schedule_renders_offline_and_agrees_with_the_provider() {
    let now = now();
    let fake = fake(now).await;
    let (tocsin, engine, _dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_OK");
    engine
        .sync_once(None)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap();
    drop(fake); // everything below is offline

    let listed: Vec<String> = tocsin
        .schedules()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, vec!["PSOK", "PSREV"]);

    let check = tocsin.check_schedule("PSOK").unwrap();
    assert_eq!(check.disagreements, vec![], "{check:#?}");
    assert_eq!(check.layer_order, LayerOrder::AsListed);

    let r = tocsin
        .render_schedule("PSOK", now, now + Duration::days(3))
        .unwrap();
    let who: Vec<&str> = r.final_entries.iter().map(|e| e.user.id.as_str()).collect();
    assert_eq!(who, vec![ME, BACKUP]);

    let e = tocsin
        .explain_schedule("PSOK", now + Duration::hours(5 * 24 + 12))
        .unwrap();
    let OnCallReason::Override { replaced, .. } = e.reason else {
        panic!("expected the override: {e:#?}");
    };
    assert_eq!(replaced.map(|s| s.user.id), Some(BACKUP.to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn layers_listed_backwards_are_reported_not_silently_fixed() {
    let now = now();
    let fake = fake(now).await;
    let (tocsin, engine, _dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_REV");
    engine
        .sync_once(None)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap();

    let check = tocsin.check_schedule("PSREV").unwrap();

    assert_eq!(check.layer_order, LayerOrder::Reversed);
    assert_eq!(check.disagreements.len(), 1, "{check:#?}");
    let d = &check.disagreements[0];
    assert_eq!((d.start, d.end), (check.since, now + Duration::days(2)));
    assert_eq!(d.local.as_ref().map(|u| u.id.as_str()), Some(BACKUP));
    assert_eq!(d.provider.as_ref().map(|u| u.id.as_str()), Some(ME));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_schedule_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let tocsin = Tocsin::open(dir.path()).unwrap();
    let err = tocsin.check_schedule("PNOPE").unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_renders_explains_and_checks_from_the_cache() {
    let now = now();
    let fake = fake(now).await;
    let cli = crate::support::Cli::new();
    // Sync into the CLI's own data directory.
    std::env::set_var("TOCSIN_IT_SCHEDULE_CLI2", TOKEN);
    let tocsin = Arc::new(Tocsin::open(cli.data_dir.path()).unwrap());
    let new = NewAccount {
        name: "pd".into(),
        kind: tocsin::model::ProviderKind::Pagerduty,
        api_url: Some(fake.url()),
        token: TokenSource::Env {
            var: "TOCSIN_IT_SCHEDULE_CLI2".into(),
        },
        email: None,
    };
    tocsin.add_account(new, None).unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Engine::with_config(tocsin.clone(), notifier, EngineConfig::default());
    engine
        .sync_once(None)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap();

    let until = (now + Duration::days(3)).to_rfc3339();
    let out = cli.run(&[
        "schedule", "render", "PSOK", "--since", "now", "--until", &until, "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["final_entries"][0]["user"]["id"], ME);

    let at = (now + Duration::hours(5 * 24 + 12)).to_rfc3339();
    let out = cli.run(&["schedule", "explain", "PSOK", "--at", &at]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("override") && text.contains(STANDIN),
        "{text}"
    );

    let out = cli.run(&["schedule", "check", "PSREV"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("listed the layers in reverse"), "{text}");

    let out = cli.run(&["schedule", "explain", "PSOK", "--at", "yesterday"]);
    assert!(!out.status.success());

    // In three days the top layer has ended: level 1 is the backup through the schedule.
    let at = (now + Duration::days(3)).to_rfc3339();
    let text = cli.ok(&["oncall", "--at", &at]);
    assert!(
        text.contains("level 1 (escalates after 30 min)  User PUSER02"),
        "{text}"
    );
    assert!(text.contains("via schedule PSOK"), "{text}");
    assert!(
        text.contains("level 2 (escalates after 15 min)  Grace Backup"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn oncall_at_resolves_schedule_targets_locally() {
    let now = now();
    let fake = fake(now).await;
    let (tocsin, engine, _dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_ONCALL");
    engine
        .sync_once(None)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap();

    let rows = tocsin.oncall_at(now + Duration::hours(1)).unwrap();

    let who: Vec<(i64, Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.level,
                r.user.as_ref().map(|u| u.id.as_str()),
                r.schedule_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![(1, Some(ME), Some("PSOK")), (2, Some(BACKUP), None)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incident_escalates_to_whoever_the_schedule_has_at_that_moment() {
    let now = now();
    let fake = fake(now).await;
    let s = fake.state();
    // I am on the schedule for the next twenty minutes; then the backup takes over.
    let base = layer("PBASE2", BACKUP, now - Duration::days(1), None);
    let top = layer(
        "PTOP2",
        ME,
        now - Duration::days(1),
        Some(now + Duration::minutes(20)),
    );
    s.add_schedule("PSNEXT", "Next", "America/New_York");
    s.set_schedule_layers("PSNEXT", vec![base, top]);
    let levels = vec![(30, vec![ME.into()]), (10, vec!["PSNEXT".into()])];
    s.add_escalation_policy("PPOL02", "Payments", levels);
    s.add_incident(tocsin_fakes::NewIncident {
        title: "Payments down".into(),
        escalation_policy_id: "PPOL02".into(),
        assignee_ids: vec![ME.into()],
        created_at: now - Duration::minutes(1),
        ..Default::default()
    });
    let (tocsin, engine, _dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_ESCALATION");
    engine.sync_once(None).await.unwrap();
    drop(fake);

    let incident = tocsin.incidents(&Default::default()).unwrap()[0].id;
    let outlook = tocsin
        .escalation(incident)
        .unwrap()
        .expect("the policy is cached");
    let next = outlook.next.expect("a second level");
    assert_eq!(next.at, now + Duration::minutes(29));
    // Rendered at the moment of escalation, past the handoff: the backup, not me.
    assert_eq!(next.targets[0].people, [format!("User {BACKUP}")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn my_shifts_are_listed_and_exported_as_a_calendar() {
    let now = now();
    let fake = fake(now).await;
    let (tocsin, engine, _dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_SHIFTS");
    engine.sync_once(None).await.unwrap();
    drop(fake);

    // PSOK has me on top from two days ago until two days from now; PSREV's backwards layers
    // bury me. The shift under way keeps its real start, so its calendar UID stays put.
    let shifts = tocsin.my_shifts(now, now + Duration::days(7)).unwrap();
    let got: Vec<_> = shifts
        .iter()
        .map(|s| (s.schedule_id.as_str(), s.start, s.end))
        .collect();
    let started = now - Duration::days(2);
    assert_eq!(got, [("PSOK", started, now + Duration::days(2))]);

    let ics = tocsin.my_shifts_ics(now, now + Duration::days(7)).unwrap();
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    assert!(ics.contains("SUMMARY:On call: PSOK\r\n"));
    assert!(ics.contains(&format!("DTSTART:{}\r\n", stamp(started))));
    assert!(ics.contains(&format!("DTEND:{}\r\n", stamp(now + Duration::days(2)))));
    // Exported again an hour later, the same shift keeps its UID: a calendar updates it.
    let later = now + Duration::hours(1);
    let again = tocsin
        .my_shifts_ics(later, later + Duration::days(7))
        .unwrap();
    let uid = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("UID:"))
            .map(str::to_owned)
    };
    assert_eq!(uid(&ics), uid(&again));

    let err = tocsin
        .my_shifts(now, now + Duration::days(500))
        .unwrap_err();
    assert_eq!(err.code(), "invalid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shift_starting_soon_is_announced_once() {
    let now = now();
    let fake = fake(now).await;
    let s = fake.state();
    let base = layer("PBASE3", BACKUP, now - Duration::days(1), None);
    let soon = now + Duration::minutes(10);
    let top = layer("PTOP3", ME, soon, Some(now + Duration::days(1)));
    s.add_schedule("PSSOON", "Soon", "Australia/Lord_Howe");
    s.set_schedule_layers("PSSOON", vec![base, top]);
    let (tocsin, engine, _dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_SOON");
    engine.sync_once(None).await.unwrap();
    drop(fake);

    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Engine::with_config(tocsin.clone(), notifier.clone(), EngineConfig::default());
    engine.raise_shift_reminders().await;
    // PSOK's shift of mine is under way already: only the one about to start is announced.
    assert_eq!(
        *notifier.shifts.lock().unwrap(),
        [("PSSOON".to_string(), soon)]
    );

    let restarted = Engine::with_config(tocsin, notifier.clone(), EngineConfig::default());
    restarted.raise_shift_reminders().await;
    assert_eq!(
        notifier.shifts.lock().unwrap().len(),
        1,
        "once per shift, across restarts"
    );
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("a test instant")
}

/// A layer of `users` in turn from `start`, `turn` seconds each, optionally ending.
fn rotation(id: &str, users: &[&str], start: &str, turn: i64, end: Option<&str>) -> Value {
    json!({
        "id": id, "name": id, "start": start, "end": end,
        "rotation_virtual_start": start, "rotation_turn_length_seconds": turn,
        "users": users.iter().map(|u| json!({"user": user(u)})).collect::<Vec<_>>(),
        "restrictions": []
    })
}

/// Schedules around the end of British Summer Time (25 October 2026), and two policies on
/// them, to ask for the outlook from Saturday 24 October, 12:00 UTC.
async fn fake_around_the_autumn_change() -> PagerDutyFake {
    let fake = PagerDutyFake::start().await;
    let s = fake.state();
    s.add_user(ME, "Ada Responder", "ada@example.com");
    s.add_user(BACKUP, "Grace Backup", "grace@example.com");
    s.set_token(TOKEN, TokenKind::User { user_id: ME.into() });

    let week = 7 * 86_400;
    // Mondays at 09:00 London time; the first turn starts at 09:00 BST, 08:00 UTC.
    let weekly = rotation("PLW", &[ME, BACKUP], "2026-10-12T08:00:00Z", week, None);
    let mine = rotation(
        "PLE",
        &[ME],
        "2026-10-01T08:00:00Z",
        86_400,
        Some("2026-10-25T12:00:00Z"),
    );
    let later = rotation("PLL", &[BACKUP], "2026-11-02T14:00:00Z", week, None);
    let always = rotation("PLA", &[BACKUP], "2026-01-01T00:00:00Z", week, None);
    for (id, zone, layer) in [
        ("PSWEEK", "Europe/London", weekly.clone()),
        ("PSEND", "Europe/London", mine),
        ("PSLATER", "America/New_York", later),
        ("PSALWAYS", "UTC", always),
        ("PSZONE", "Mars/Olympus Mons", weekly),
    ] {
        s.add_schedule(id, id, zone);
        s.set_schedule_layers(id, vec![layer]);
    }
    let levels = vec![
        (30, vec!["PSWEEK".into()]),
        (15, vec!["PSEND".into(), "PSLATER".into()]),
        (10, vec![ME.into()]),
    ];
    s.add_escalation_policy("PPOLA", "Checkout", levels);
    let levels = vec![(5, vec!["PSZONE".into(), "PSALWAYS".into(), "PSWEEK".into()])];
    s.add_escalation_policy("PPOLB", "Batch", levels);
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outlook_names_who_is_on_now_and_the_next_handoff_per_level() {
    let fake = fake_around_the_autumn_change().await;
    let (tocsin, engine, _dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_OUTLOOK");
    engine
        .sync_once(None)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap();
    drop(fake); // the outlook is rendered offline

    let at = utc("2026-10-24T12:00:00Z");
    let outlook = tocsin.oncall_outlook(at).unwrap();

    assert_eq!(outlook.until, at + Duration::days(14));
    let rows: Vec<_> = (outlook.targets.iter())
        .map(|t| {
            (
                t.escalation_policy_name.as_str(),
                t.level,
                t.schedule_id.as_deref(),
                t.now.as_ref().map(|u| u.id.as_str()),
                t.next
                    .as_ref()
                    .map(|h| (h.at, h.to.as_ref().map(|u| u.id.as_str()))),
            )
        })
        .collect();
    let handoff = |t: &str, to: Option<&'static str>| Some((utc(t), to));
    assert_eq!(
        rows,
        [
            ("Batch", 1, Some("PSZONE"), None, None),
            ("Batch", 1, Some("PSALWAYS"), Some(BACKUP), None),
            // After the clocks go back, Monday 09:00 in London is 09:00 UTC, not 08:00.
            (
                "Batch",
                1,
                Some("PSWEEK"),
                Some(BACKUP),
                handoff("2026-10-26T09:00:00Z", Some(ME))
            ),
            (
                "Checkout",
                1,
                Some("PSWEEK"),
                Some(BACKUP),
                handoff("2026-10-26T09:00:00Z", Some(ME))
            ),
            (
                "Checkout",
                2,
                Some("PSEND"),
                Some(ME),
                handoff("2026-10-25T12:00:00Z", None)
            ),
            // New York has left daylight time too (1 November): 09:00 EST is 14:00 UTC.
            (
                "Checkout",
                2,
                Some("PSLATER"),
                None,
                handoff("2026-11-02T14:00:00Z", Some(BACKUP))
            ),
            ("Checkout", 3, None, Some(ME), None),
        ]
    );
    let zone = &outlook.targets[0];
    assert!(
        zone.note
            .as_deref()
            .is_some_and(|n| n.contains("unknown time zone")),
        "{zone:?}"
    );
    assert!(outlook.targets[1..].iter().all(|t| t.note.is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outlook_notes_a_schedule_missing_from_the_cache() {
    let now = now();
    let fake = fake(now).await;
    let s = fake.state();
    s.add_schedule("PSGONE", "Gone", "UTC");
    s.add_escalation_policy("PPOLG", "Gone", vec![(30, vec!["PSGONE".into()])]);
    let (tocsin, engine, dir) = core(&fake.url(), "TOCSIN_IT_SCHEDULE_OUTLOOK_GONE");
    engine.sync_once(None).await.unwrap();
    drop(fake);
    // As after a 403 on its details: listed, so policies name it, but never read.
    let db = rusqlite::Connection::open(dir.path().join("tocsin.sqlite3")).unwrap();
    db.execute(
        "DELETE FROM schedule_details WHERE schedule_id = 'PSGONE'",
        [],
    )
    .unwrap();

    let outlook = tocsin.oncall_outlook(now).unwrap();

    let row = |id: &str| {
        (outlook.targets.iter())
            .find(|t| t.schedule_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{id} is listed"))
    };
    let gone = row("PSGONE");
    assert_eq!((&gone.now, &gone.next), (&None, &None));
    assert!(
        gone.note
            .as_deref()
            .is_some_and(|n| n.contains("sync first")),
        "{gone:?}"
    );
    // The other policy still answers: me until the top layer ends, then the backup.
    let ok = row("PSOK");
    assert_eq!(ok.now.as_ref().map(|u| u.id.as_str()), Some(ME));
    let next = ok.next.as_ref().expect("a handoff in two days");
    assert_eq!(next.at, now + Duration::days(2));
    assert_eq!(next.to.as_ref().map(|u| u.id.as_str()), Some(BACKUP));
}
