//! Write-back through the outbox against the PagerDuty fake: actions arrive in order with the
//! right `From`, wait out an outage and replay in order, never reopen an incident resolved
//! elsewhere, and — with the process killed between queueing and sending, or between sending
//! and recording — still arrive exactly once.

use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tocsin::model::{
    Action, Declaration, IncidentStatus, OutboxState, ProviderKind, TokenSource, Urgency,
};
use tocsin::paging::RecordingNotifier;
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};
use tocsin_fakes::{FailureKind, NewIncident, PagerDutyFake, TokenKind};

use crate::support::{open_db, wait_for, Cli};

const USER_TOKEN: &str = "u+outbox-user-token";
const ACCOUNT_TOKEN: &str = "a+outbox-account-token";
const ME: &str = "PUSER01";
const EMAIL: &str = "ada@example.com";

async fn fake() -> PagerDutyFake {
    let fake = PagerDutyFake::start().await;
    let s = fake.state();
    s.add_user(ME, "Ada Responder", EMAIL);
    s.add_user("PUSER02", "Grace Backup", "grace@example.com");
    s.set_token(USER_TOKEN, TokenKind::User { user_id: ME.into() });
    s.set_token(ACCOUNT_TOKEN, TokenKind::Account);
    s.add_service("PSVC01", "Checkout API");
    s.add_priority("PPRIO1", "P1");
    let levels = vec![(30, vec![ME.into()]), (30, vec!["PUSER02".into()])];
    s.add_escalation_policy("PPOL01", "Checkout", levels);
    s.add_incident(NewIncident {
        id: "PINC001".into(),
        title: "Checkout 500s".into(),
        assignee_ids: vec![ME.into()],
        escalation_policy_id: "PPOL01".into(),
        ..NewIncident::default()
    });
    fake
}

struct Setup {
    tocsin: Arc<Tocsin>,
    engine: Engine,
    _dir: tempfile::TempDir,
}

/// A core with one PagerDuty account using `token` (from the variable `var`).
fn setup(url: &str, var: &str, token: &str, email: Option<&str>) -> Setup {
    std::env::set_var(var, token);
    let dir = tempfile::tempdir().unwrap();
    let tocsin = Arc::new(Tocsin::open(dir.path()).unwrap());
    let new = NewAccount {
        name: "pd".into(),
        kind: ProviderKind::Pagerduty,
        api_url: Some(url.into()),
        token: TokenSource::Env { var: var.into() },
        email: email.map(Into::into),
    };
    tocsin.add_account(new, None).unwrap();
    let config = EngineConfig {
        raise_pages: false,
        ..EngineConfig::default()
    };
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Engine::with_config(tocsin.clone(), notifier, config);
    Setup {
        tocsin,
        engine,
        _dir: dir,
    }
}

impl Setup {
    async fn sync(&self) {
        for (_, result) in self.engine.sync_once(None).await.unwrap() {
            result.unwrap();
        }
    }

    fn incident(&self) -> i64 {
        self.tocsin.store().find_incident("PINC001").unwrap()
    }

    fn status(&self) -> IncidentStatus {
        self.tocsin
            .store()
            .incident_row(self.incident())
            .unwrap()
            .status
    }

    async fn send(&self) {
        self.tocsin.send_outbox(None).await.unwrap();
    }

    fn states(&self) -> Vec<OutboxState> {
        let mut entries = self.tocsin.outbox().unwrap();
        entries.sort_by_key(|e| e.id);
        entries.iter().map(|e| e.state).collect()
    }
}

/// A declaration on `service` with nothing else chosen.
fn declaration(title: &str, severity: u8, service: &str) -> Declaration {
    Declaration {
        title: title.into(),
        severity,
        service_id: Some(service.into()),
        urgency: None,
        priority_id: None,
        details: None,
        escalation_policy_id: None,
    }
}

/// The API writes the fake received, as `METHOD path`, in arrival order.
fn writes(fake: &PagerDutyFake) -> Vec<String> {
    fake.state()
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_reaches_pagerduty_in_order_with_from() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_ALL", ACCOUNT_TOKEN, Some(EMAIL));
    s.sync().await;
    let id = s.incident();

    let actions = [
        Action::Acknowledge,
        Action::Note {
            text: "Rolled back 4f2a".into(),
        },
        Action::Snooze { minutes: 30 },
        Action::SetUrgency {
            urgency: Urgency::Low,
        },
        Action::SetPriority {
            priority_id: "PPRIO1".into(),
        },
        Action::Reassign {
            user_id: "PUSER02".into(),
        },
        Action::Escalate { level: 2 },
        Action::Resolve,
    ];
    fake.state().clear_request_log();
    for action in &actions {
        s.tocsin.act(id, action).unwrap();
    }
    assert_eq!(s.status(), IncidentStatus::Resolved, "applied at once");
    s.send().await;

    assert!(
        s.states().iter().all(|st| *st == OutboxState::Done),
        "{:?}",
        s.states()
    );
    let put = "PUT /incidents/PINC001".to_string();
    let expected = vec![
        put.clone(),
        "POST /incidents/PINC001/notes".into(),
        "POST /incidents/PINC001/snooze".into(),
        put.clone(),
        put.clone(),
        put.clone(),
        put.clone(),
        put,
    ];
    assert_eq!(writes(&fake), expected);
    let log = fake.state().request_log();
    let froms: Vec<_> = log
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.from.clone())
        .collect();
    assert!(
        froms.iter().all(|f| f.as_deref() == Some(EMAIL)),
        "{froms:?}"
    );

    let remote = fake.state().incident("PINC001").unwrap();
    assert_eq!(remote.status, "resolved");
    assert_eq!(remote.urgency, "low");
    assert_eq!(remote.priority.unwrap().0, "PPRIO1");
    assert_eq!(fake.state().notes("PINC001").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn actions_taken_during_an_outage_replay_in_order_afterwards() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_OUTAGE", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let id = s.incident();
    fake.state().clear_request_log();
    fake.state()
        .fail_next(10_000, FailureKind::ServerError(503));

    s.tocsin.act(id, &Action::Acknowledge).unwrap();
    let note = Action::Note {
        text: "Paging the database team".into(),
    };
    s.tocsin.act(id, &note).unwrap();
    s.tocsin.act(id, &Action::Resolve).unwrap();
    s.send().await;
    assert_eq!(
        s.states(),
        [
            OutboxState::Pending,
            OutboxState::Pending,
            OutboxState::Pending
        ]
    );
    assert!(
        writes(&fake).is_empty(),
        "nothing got through: {:?}",
        writes(&fake)
    );

    // Back online: a sync pass that reads the provider before it has the actions must not
    // undo them on screen.
    fake.state().clear_failures();
    s.sync().await;
    assert_eq!(s.status(), IncidentStatus::Resolved);

    s.tocsin.store().outbox_retry_now(None).unwrap();
    s.send().await;
    assert_eq!(s.states(), [OutboxState::Done; 3]);
    assert_eq!(
        writes(&fake),
        [
            "PUT /incidents/PINC001",
            "POST /incidents/PINC001/notes",
            "PUT /incidents/PINC001"
        ]
    );
    assert_eq!(fake.state().incident("PINC001").unwrap().status, "resolved");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ack_queued_offline_never_reopens_an_incident_resolved_elsewhere() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_CONFLICT", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let id = s.incident();
    fake.state()
        .fail_next(10_000, FailureKind::ServerError(503));
    s.tocsin.act(id, &Action::Acknowledge).unwrap();
    s.send().await;

    // Someone else resolves it while this laptop is offline.
    fake.state()
        .update_incident("PINC001", |i| i.status = "resolved".into());
    fake.state().clear_failures();
    fake.state().clear_request_log();
    s.tocsin.store().outbox_retry_now(None).unwrap();
    s.send().await;

    let entry = &s.tocsin.outbox().unwrap()[0];
    assert_eq!(entry.state, OutboxState::Conflict);
    let message = entry.last_error.clone().unwrap();
    assert!(message.contains("was resolved at PagerDuty"), "{message}");
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert_eq!(fake.state().incident("PINC001").unwrap().status, "resolved");
    assert_eq!(
        s.status(),
        IncidentStatus::Resolved,
        "the cache is corrected"
    );

    let timeline = s.tocsin.incident(id).unwrap().timeline;
    let mine = timeline.iter().find(|e| e.outbox_state.is_some()).unwrap();
    assert_eq!(mine.outbox_state, Some(OutboxState::Conflict));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_without_from_is_refused_clearly_and_undone_by_the_next_pass() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_NOFROM", ACCOUNT_TOKEN, None);
    // An account-level key cannot say who "me" is; give the sync an identity another way.
    let account = s
        .tocsin
        .accounts()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "pd");
    s.tocsin
        .store()
        .set_me(account.unwrap().id, ME, None)
        .unwrap();
    s.sync().await;
    let id = s.incident();
    fake.state().clear_request_log();

    s.tocsin.act(id, &Action::Acknowledge).unwrap();
    s.send().await;
    let entry = &s.tocsin.outbox().unwrap()[0];
    assert_eq!(entry.state, OutboxState::Failed);
    assert!(entry.last_error.as_deref().unwrap().contains("From header"));
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));

    s.sync().await;
    assert_eq!(s.status(), IncidentStatus::Triggered);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declaration_opens_one_incident_that_the_cache_adopts() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_DECLARE", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let account = s.tocsin.store().account_by_name("pd").unwrap();
    let declaration = Declaration {
        details: Some("Card auth errors at 40%".into()),
        ..declaration("Payments failing", 1, "PSVC01")
    };
    let placeholder = s.tocsin.declare(account.id, &declaration).unwrap();
    assert!(placeholder.provider_id.starts_with("tocsin:"));
    assert_eq!(placeholder.severity, Some(1));

    s.send().await;
    s.sync().await;
    let remote: Vec<_> = fake
        .state()
        .request_log()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/incidents")
        .collect();
    assert_eq!(remote.len(), 1);
    let cached = s.tocsin.store().incident_row(placeholder.id).unwrap();
    assert!(
        !cached.provider_id.starts_with("tocsin:"),
        "{}",
        cached.provider_id
    );
    assert_eq!(cached.severity, Some(1), "what was set locally stays");
    let same_title = s
        .tocsin
        .incidents(&tocsin::model::IncidentFilter::default())
        .unwrap()
        .into_iter()
        .filter(|i| i.title == "Payments failing")
        .count();
    assert_eq!(same_title, 1);
}

/// Starts `tocsin args…` stopped at `failpoint`, waits for `reached`, then kills it with -9.
fn kill_at(cli: &Cli, args: &[&str], failpoint: &str, reached: impl FnMut() -> Option<()>) {
    let mut child: Child = cli
        .command()
        .args(args)
        .env("TOCSIN_FAILPOINT", failpoint)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(20), failpoint, reached);
    // The failpoint logs before it sleeps; a moment more makes sure it is sleeping.
    std::thread::sleep(Duration::from_millis(200));
    let _ = child.kill();
    let _ = child.wait();
}

fn outbox_state(cli: &Cli) -> Option<String> {
    let db = open_db(&cli.db_path());
    db.query_row(
        "SELECT state FROM outbox ORDER BY id DESC LIMIT 1",
        [],
        |r| r.get(0),
    )
    .ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_note_killed_between_queueing_and_sending_is_sent_once_later() {
    let fake = fake().await;
    let url = fake.url();
    let handle = fake.state();
    tokio::task::spawn_blocking(move || {
        let cli = Cli::with_pagerduty(&url, USER_TOKEN);
        cli.ok(&["sync", "--once"]);
        let note = ["note", "PINC001", "Rolled back 4f2a"];
        kill_at(&cli, &note, "outbox-after-queue", || {
            (outbox_state(&cli).as_deref() == Some("pending")).then_some(())
        });
        assert!(handle.notes("PINC001").is_empty());

        cli.ok(&["sync", "--once"]);
        assert_eq!(handle.notes("PINC001").len(), 1);
        assert_eq!(outbox_state(&cli).as_deref(), Some("done"));
        cli.ok(&["sync", "--once"]);
        assert_eq!(handle.notes("PINC001").len(), 1);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_note_killed_between_sending_and_recording_is_not_sent_twice() {
    let fake = fake().await;
    let url = fake.url();
    let handle = fake.state();
    tokio::task::spawn_blocking(move || {
        let cli = Cli::with_pagerduty(&url, USER_TOKEN);
        cli.ok(&["sync", "--once"]);
        let note = ["note", "PINC001", "Failing over to eu-west"];
        kill_at(&cli, &note, "outbox-after-send", || {
            (handle.notes("PINC001").len() == 1).then_some(())
        });
        assert_eq!(outbox_state(&cli).as_deref(), Some("sending"));

        cli.ok(&["sync", "--once"]);
        assert_eq!(outbox_state(&cli).as_deref(), Some("done"));
        assert_eq!(
            handle.notes("PINC001").len(),
            1,
            "the resend found the first note"
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declaration_killed_between_sending_and_recording_opens_one_incident() {
    let fake = fake().await;
    let url = fake.url();
    let handle = fake.state();
    tokio::task::spawn_blocking(move || {
        let cli = Cli::with_pagerduty(&url, USER_TOKEN);
        cli.ok(&["sync", "--once"]);
        let count = || {
            let log = handle.request_log();
            log.iter()
                .filter(|r| r.method == "POST" && r.path == "/incidents")
                .count()
        };
        let declare = [
            "declare",
            "Search is down",
            "--account",
            "pd",
            "--service",
            "Checkout API",
            "--severity",
            "2",
        ];
        kill_at(&cli, &declare, "outbox-after-send", || {
            (count() == 1).then_some(())
        });

        cli.ok(&["sync", "--once"]);
        assert_eq!(count(), 1, "not opened twice");
        let list = cli.json(&["incidents", "--search", "Search is down", "--json"]);
        assert_eq!(list["incidents"].as_array().unwrap().len(), 1, "{list}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn severity_maps_onto_urgency_and_priority_at_pagerduty() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_SEVERITY", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let account = s.tocsin.store().account_by_name("pd").unwrap();
    s.tocsin
        .set_severity_mapping(account.id, 1, Urgency::High, Some("P1".into()))
        .unwrap();

    // Declared as SEV-1: opened high and P1, as the team's mapping says.
    let declaration = declaration("Card payments failing", 1, "PSVC01");
    s.tocsin.declare(account.id, &declaration).unwrap();
    s.send().await;
    let opened = fake
        .state()
        .request_log()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/incidents")
        .count();
    assert_eq!(opened, 1);
    let remote = s
        .tocsin
        .incidents(&tocsin::model::IncidentFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.title == "Card payments failing")
        .unwrap();
    let at_fake = fake.state().incident(&remote.provider_id).unwrap();
    assert_eq!(at_fake.urgency, "high");
    assert_eq!(at_fake.priority.map(|p| p.1), Some("P1".into()));

    // Commanded at SEV-3 (low by default): urgency is never lowered behind anyone's back.
    s.tocsin.start_command(s.incident(), 3, "You").unwrap();
    s.send().await;
    assert_eq!(fake.state().incident("PINC001").unwrap().urgency, "high");

    // Lowered on purpose, then raised to SEV-1: the urgency follows up, through the outbox.
    let low = Action::SetUrgency {
        urgency: Urgency::Low,
    };
    s.tocsin.act(s.incident(), &low).unwrap();
    s.send().await;
    assert_eq!(fake.state().incident("PINC001").unwrap().urgency, "low");
    s.tocsin
        .set_incident_severity(s.incident(), 1, "You")
        .unwrap();
    s.send().await;
    let raised = fake.state().incident("PINC001").unwrap();
    assert_eq!(raised.urgency, "high");
    assert_eq!(raised.priority.map(|p| p.1), Some("P1".into()));

    // A mapping to a priority the account does not have is refused, not silently dropped.
    let err = s
        .tocsin
        .set_severity_mapping(account.id, 2, Urgency::High, Some("PX".into()))
        .unwrap_err();
    assert!(err.to_string().contains("no priority `PX`"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_action_on_the_synced_copy_of_a_declaration_survives_the_adoption() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_ADOPT", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let account = s.tocsin.store().account_by_name("pd").unwrap();
    let declaration = declaration("Search down", 2, "PSVC01");

    // The new incident lands, but its answer is cut short: the entry waits for a resend.
    fake.state().fail_next(1, FailureKind::Malformed);
    let placeholder = s.tocsin.declare(account.id, &declaration).unwrap();
    s.send().await;
    assert_eq!(s.states(), [OutboxState::Pending]);

    // A pass caches the real incident as a second row; the person acknowledges that one.
    s.sync().await;
    let synced = s
        .tocsin
        .incidents(&tocsin::model::IncidentFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.title == "Search down" && i.id != placeholder.id)
        .expect("the synced copy");
    s.tocsin.act(synced.id, &Action::Acknowledge).unwrap();

    s.tocsin.store().outbox_retry_now(None).unwrap();
    s.send().await;
    assert_eq!(s.states(), [OutboxState::Done, OutboxState::Done]);
    let remote = fake.state().incident(&synced.provider_id).unwrap();
    assert_eq!(remote.status, "acknowledged", "the ack was not lost");
    let cached = s.tocsin.store().incident_row(placeholder.id).unwrap();
    assert_eq!(cached.provider_id, synced.provider_id);
    assert!(
        s.tocsin.store().incident_row(synced.id).is_err(),
        "one row left"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resent_note_is_not_mistaken_for_an_identical_earlier_one() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_SAMENOTE", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let id = s.incident();
    let note = Action::Note {
        text: "Still investigating".into(),
    };
    s.tocsin.act(id, &note).unwrap();
    s.send().await;

    // The same words again; the first attempt fails, so the next one is a resend.
    fake.state().fail_next(2, FailureKind::ServerError(503));
    s.tocsin.act(id, &note).unwrap();
    s.send().await;
    s.tocsin.store().outbox_retry_now(None).unwrap();
    s.send().await;
    assert_eq!(s.states(), [OutboxState::Done, OutboxState::Done]);
    assert_eq!(
        fake.state().notes("PINC001").len(),
        2,
        "both notes were sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_declaration_is_closed_and_says_why() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_REFUSED", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let account = s.tocsin.store().account_by_name("pd").unwrap();
    let declaration = declaration("Nowhere", 2, "PNOSUCH");
    let placeholder = s.tocsin.declare(account.id, &declaration).unwrap();
    s.send().await;

    assert_eq!(s.states(), [OutboxState::Failed]);
    let detail = s.tocsin.incident(placeholder.id).unwrap();
    assert_eq!(detail.incident.status, IncidentStatus::Resolved);
    let last = detail.timeline.last().unwrap();
    assert!(
        last.summary.starts_with("Not opened at the provider"),
        "{}",
        last.summary
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_with_unsent_actions_is_not_removed_by_accident() {
    let fake = fake().await;
    let s = setup(&fake.url(), "TOCSIN_OB_REMOVE", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    fake.state().fail_next(10, FailureKind::ServerError(503));
    s.tocsin.act(s.incident(), &Action::Acknowledge).unwrap();
    s.send().await;

    let account = s.tocsin.store().account_by_name("pd").unwrap();
    let err = s.tocsin.remove_account(account.id, false).unwrap_err();
    assert!(err.to_string().contains("not sent yet"), "{err}");
    assert_eq!(s.states(), [OutboxState::Pending]);
    s.tocsin.remove_account(account.id, true).unwrap();
    assert!(s.tocsin.outbox().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_on_call_can_be_named_to_reassign_to() {
    let fake = fake().await;
    fake.state()
        .add_oncall("PUSER02", "PPOL01", 2, None, None, None);
    let s = setup(&fake.url(), "TOCSIN_OB_REASSIGN", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let account = s.tocsin.store().account_by_name("pd").unwrap();
    let found = s
        .tocsin
        .store()
        .find_named(tocsin::store::Directory::Users, account.id, "grace backup")
        .unwrap();
    assert_eq!(found, "PUSER02");
    let me = s
        .tocsin
        .store()
        .find_named(tocsin::store::Directory::Users, account.id, EMAIL)
        .unwrap();
    assert_eq!(me, ME);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_of_acknowledgements_goes_as_one_bulk_request_and_skips_resolved_ones() {
    let fake = fake().await;
    for id in ["PINC002", "PINC003", "PINC004"] {
        fake.state().add_incident(NewIncident {
            id: id.into(),
            title: format!("Disk full {id}"),
            assignee_ids: vec![ME.into()],
            escalation_policy_id: "PPOL01".into(),
            ..NewIncident::default()
        });
    }
    let s = setup(&fake.url(), "TOCSIN_OB_BULK", USER_TOKEN, Some(EMAIL));
    s.sync().await;
    let ids: Vec<i64> = ["PINC001", "PINC002", "PINC003", "PINC004"]
        .iter()
        .map(|p| s.tocsin.store().find_incident(p).unwrap())
        .collect();

    // Offline, the responder acknowledges all four; meanwhile someone resolves one.
    fake.state()
        .fail_next(10_000, FailureKind::ServerError(503));
    for id in &ids {
        s.tocsin.act(*id, &Action::Acknowledge).unwrap();
    }
    s.send().await;
    fake.state()
        .update_incident("PINC003", |i| i.status = "resolved".into());
    fake.state().clear_failures();
    fake.state().clear_request_log();

    // The retries are resends, sent one by one; fresh actions go in bulk. Queue fresh ones.
    s.tocsin.store().outbox_retry_now(None).unwrap();
    s.send().await;
    let after_resend = writes(&fake);
    assert_eq!(
        after_resend.len(),
        3,
        "resends one by one: {after_resend:?}"
    );

    // Fresh acknowledgements of new incidents travel together.
    for id in ["PINC005", "PINC006"] {
        fake.state().add_incident(NewIncident {
            id: id.into(),
            title: format!("Latency {id}"),
            assignee_ids: vec![ME.into()],
            escalation_policy_id: "PPOL01".into(),
            ..NewIncident::default()
        });
    }
    s.sync().await;
    fake.state()
        .update_incident("PINC006", |i| i.status = "resolved".into());
    fake.state().clear_request_log();
    for p in ["PINC005", "PINC006"] {
        let id = s.tocsin.store().find_incident(p).unwrap();
        s.tocsin.act(id, &Action::Acknowledge).unwrap();
    }
    s.send().await;
    assert_eq!(writes(&fake), ["PUT /incidents"], "one bulk request");
    assert_eq!(
        fake.state().incident("PINC005").unwrap().status,
        "acknowledged"
    );
    assert_eq!(
        fake.state().incident("PINC006").unwrap().status,
        "resolved",
        "never reopened"
    );
    let states = s.states();
    assert_eq!(
        states[states.len() - 2..],
        [OutboxState::Done, OutboxState::Conflict]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engine_tells_the_person_when_an_action_is_refused() {
    let fake = fake().await;
    std::env::set_var("TOCSIN_OB_TELL", USER_TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let tocsin = Arc::new(Tocsin::open(dir.path()).unwrap());
    let new = NewAccount {
        name: "pd".into(),
        kind: ProviderKind::Pagerduty,
        api_url: Some(fake.url()),
        token: TokenSource::Env {
            var: "TOCSIN_OB_TELL".into(),
        },
        email: Some(EMAIL.into()),
    };
    tocsin.add_account(new, None).unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Arc::new(Engine::with_config(
        tocsin.clone(),
        notifier.clone(),
        EngineConfig::default(),
    ));
    for (_, result) in engine.sync_once(None).await.unwrap() {
        result.unwrap();
    }
    let id = tocsin.store().find_incident("PINC001").unwrap();
    fake.state()
        .update_incident("PINC001", |i| i.status = "resolved".into());

    tokio::spawn(engine.clone().run());
    engine.act(id, &Action::Acknowledge).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while notifier.refusals.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no refusal was shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let entry = tocsin.outbox().unwrap()[0].clone();
    assert_eq!(entry.state, OutboxState::Conflict);
    let (title, body) = tocsin::paging::refused_text(&entry);
    assert_eq!(title, "Not sent to pd: your acknowledge");
    assert!(body.contains("Checkout 500s"), "{body}");
}
