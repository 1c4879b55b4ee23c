//! Pages reach a real notification server over a private D-Bus session bus, once each.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{wait_for, Cli, Guard, NotificationBus};

/// Starts `tocsin watch` on the bus and returns it with a channel of its stdout lines.
pub(crate) fn watch(cli: &Cli, bus: &NotificationBus) -> (Guard, mpsc::Receiver<String>) {
    let (k, v) = bus.env();
    let mut child = cli
        .command()
        .arg("watch")
        .env(k, v)
        .env("TOCSIN_SYNC_INTERVAL_SECS", "0.5")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (Guard(child), rx)
}

pub(crate) fn wait_line(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => continue,
            Err(_) => panic!("`tocsin watch` never printed {needle:?}"),
        }
    }
}

#[test]
fn a_drill_pages_once_with_actions_and_open_focuses_it() {
    let bus = NotificationBus::start();
    let cli = Cli::new();
    cli.ok(&["drill"]);

    let (watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    let calls = wait_for(Duration::from_secs(10), "a Notify call", || {
        let calls = bus.notify_calls();
        (!calls.is_empty()).then_some(calls)
    });
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].contains("[DRILL]"), "{}", calls[0]);
    assert!(
        calls[0].contains("acknowledge"),
        "actions offered: {}",
        calls[0]
    );
    assert!(calls[0].contains("open"), "actions offered: {}", calls[0]);

    bus.invoke_action(1, "open");
    let opened = wait_line(&lines, "open:");
    assert!(opened.contains("tocsin incident show 1"), "{opened}");

    // A restart must not page again: the ledger remembers.
    drop(watcher);
    let (_watcher, _lines) = watch(&cli, &bus);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        bus.notify_calls().len(),
        1,
        "paged twice: {:?}",
        bus.notify_calls()
    );
}

#[test]
fn a_storm_of_pages_becomes_one_summary() {
    let bus = NotificationBus::start();
    let cli = Cli::new();
    for _ in 0..6 {
        cli.ok(&["drill"]);
    }

    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    std::thread::sleep(Duration::from_secs(2));
    let calls = bus.notify_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].contains("paged for 6 incidents"), "{}", calls[0]);
}

#[test]
fn declaring_an_incident_does_not_page_the_person_who_declared_it() {
    let bus = NotificationBus::start();
    let cli = Cli::new();
    cli.ok(&["declare", "Checkout down", "--severity", "1"]);
    // A declared incident is not a page (the person declared it); a drill is.
    cli.ok(&["drill"]);
    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    std::thread::sleep(Duration::from_secs(1));
    let calls = bus.notify_calls();
    assert_eq!(calls.len(), 1, "only the drill pages: {calls:?}");
}

/// A PagerDuty fake with these incident titles, all triggered and assigned to the responder,
/// and a CLI configured for it. The fake runs on its own runtime so the test can block.
fn fake_with_pages(titles: &[&str]) -> (tokio::runtime::Runtime, tocsin_fakes::PagerDutyFake, Cli) {
    use tocsin_fakes::{NewIncident, PagerDutyFake, TokenKind};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(PagerDutyFake::start());
    let s = fake.state();
    s.add_user("PUSER01", "Ada", "ada@example.com");
    s.set_token(
        "tok",
        TokenKind::User {
            user_id: "PUSER01".into(),
        },
    );
    for title in titles {
        let assignee_ids = vec!["PUSER01".to_string()];
        s.add_incident(NewIncident {
            title: title.to_string(),
            assignee_ids,
            ..Default::default()
        });
    }
    let cli = Cli::with_pagerduty(&fake.url(), "tok");
    (runtime, fake, cli)
}

#[test]
fn a_nul_byte_in_a_title_does_not_silence_pages() {
    let bus = NotificationBus::start();
    let (_rt, _fake, cli) = fake_with_pages(&["nul\u{0}byte in the title"]);
    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    let calls = bus.notify_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].contains("nul\u{fffd}byte"), "{}", calls[0]);
}

#[test]
fn a_storm_with_one_hostile_title_still_pages() {
    let bus = NotificationBus::start();
    let titles = ["one", "two", "three", "nul\u{0}four", "five"];
    let (_rt, _fake, cli) = fake_with_pages(&titles);
    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    std::thread::sleep(Duration::from_secs(1));
    let calls = bus.notify_calls();
    assert_eq!(calls.len(), 1, "one summary: {calls:?}");
    assert!(calls[0].contains("paged for 5 incidents"), "{}", calls[0]);
}

#[test]
fn sync_alone_leaves_pages_to_watch_and_a_shown_page_is_not_repeated() {
    let bus = NotificationBus::start();
    let (_rt, _fake, cli) = fake_with_pages(&["Checkout 500s"]);
    cli.ok(&["sync", "--once"]);

    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");
    assert_eq!(bus.notify_calls().len(), 1);

    // Long after the claim's grace period, a shown page must stay shown.
    let db = crate::support::open_db(&cli.db_path());
    db.execute(
        "UPDATE pages SET claimed_at = '2000-01-01T00:00:00.000Z'",
        [],
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        bus.notify_calls().len(),
        1,
        "paged again: {:?}",
        bus.notify_calls()
    );
}

#[test]
fn acknowledge_on_a_drill_notification_acknowledges_it() {
    let bus = NotificationBus::start();
    let cli = Cli::new();
    cli.ok(&["drill"]);
    let (_watcher, lines) = watch(&cli, &bus);
    wait_line(&lines, "PAGE");

    bus.invoke_action(1, "acknowledge");
    wait_line(&lines, "acknowledged: 1");
    let detail = cli.json(&["incident", "show", "1", "--json"]);
    assert_eq!(detail["incident"]["status"], "acknowledged");
    assert_eq!(detail["timeline"][1]["kind"], "acknowledge");
}

#[test]
fn due_cockpit_timers_become_one_notification_each_across_restarts() {
    let bus = NotificationBus::start();
    let cli = Cli::new();
    cli.ok(&["declare", "Checkout down", "--severity", "1"]);
    cli.ok(&["command", "start", "1", "--sev", "1"]);
    cli.ok(&[
        "timer",
        "add",
        "1",
        "10",
        "Roll back the <b>deploy</b>",
        "--owner",
        "Grace",
    ]);
    // Bring both timers (the task and the stakeholder update) due now.
    let past = (chrono::Utc::now() - chrono::Duration::seconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let db = crate::support::open_db(&cli.db_path());
    let due = db
        .execute("UPDATE cockpit_timers SET due_at = ?1", [&past])
        .unwrap();
    assert_eq!(due, 2);
    drop(db);

    let (watcher, _lines) = watch(&cli, &bus);
    let calls = wait_for(Duration::from_secs(15), "two reminders", || {
        let calls = bus.notify_calls();
        (calls.len() >= 2).then_some(calls)
    });
    let all = calls.join("\n");
    assert!(all.contains("Stakeholder update due"), "{all}");
    assert!(
        all.contains("Due now: Roll back the &lt;b&gt;deploy&lt;/b&gt; (Grace)"),
        "{all}"
    );
    assert!(
        !all.contains("acknowledge"),
        "a reminder offers no Acknowledge: {all}"
    );

    // A restart does not remind again, and the timeline says the timers fired.
    drop(watcher);
    let (_watcher, _lines) = watch(&cli, &bus);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(bus.notify_calls().len(), 2, "{:?}", bus.notify_calls());
    let timeline = cli.json(&["incident", "show", "1", "--json"]);
    let fired = timeline["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["summary"].as_str().unwrap_or("").starts_with("Due now"))
        .count();
    assert!(fired >= 1, "{timeline}");
}
