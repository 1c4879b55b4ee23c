//! Postmortems through the CLI: autosave under `kill -9`, and the whole flow from an incident
//! to an exported, published postmortem and the MTTA/MTTR report.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::Cli;

/// What the hidden `type-drill` command types: numbered words, so any prefix is recognisable.
fn drill_text(steps: usize) -> String {
    (0..steps).map(|n| format!("w{n} ")).collect()
}

/// A small xorshift generator, seeded from the clock and printed, so a failure can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn stored_body(cli: &Cli) -> String {
    let conn = rusqlite::Connection::open(cli.data_dir.path().join("tocsin.sqlite3")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    conn.query_row("SELECT body FROM postmortems WHERE id = 1", [], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn kill_9_while_typing_keeps_a_prefix_of_what_was_typed() {
    let cli = Cli::new();
    cli.ok(&["declare", "Checkout down", "--severity", "2"]);
    cli.ok(&["postmortem", "new", "#1"]);
    let text = drill_text(2_000);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);

    for round in 0..6 {
        let mut child = (cli.command())
            .args([
                "postmortem",
                "type-drill",
                "1",
                "--interval-ms",
                "15",
                "--steps",
                "2000",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let saves_before_kill = 1 + rng.next(40);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut reported = 0;
        for _ in 0..saves_before_kill {
            let line = lines.next().unwrap().unwrap();
            reported = line
                .strip_prefix("saved ")
                .unwrap()
                .parse::<usize>()
                .unwrap();
        }
        // Somewhere in the next save or the sleep around it.
        std::thread::sleep(Duration::from_millis(rng.next(20)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let body = stored_body(&cli);
        assert!(
            text.starts_with(&body),
            "seed {seed} round {round}: stored text is not a prefix of the typed text"
        );
        assert!(
            body.len() >= reported,
            "seed {seed} round {round}: {} characters stored, {reported} reported saved",
            body.len()
        );
    }
    let versions = cli.ok(&["postmortem", "versions", "1"]);
    assert!(versions.contains("created"), "{versions}");
}

#[test]
fn an_incident_becomes_an_exported_published_postmortem() {
    let cli = Cli::new();
    cli.ok(&["declare", "Checkout <b>down</b>", "--severity", "1"]);
    cli.ok(&["command", "start", "#1", "--sev", "1", "--by", "Ana"]);
    cli.ok(&[
        "decide",
        "#1",
        "Roll back\nTODO: alert on queue depth",
        "--by",
        "Ana",
    ]);
    cli.ok(&["ack", "#1"]);
    cli.ok(&["resolve", "#1"]);

    let started = cli.ok(&["postmortem", "new", "#1"]);
    assert!(started.contains("postmortem 1 started") && started.contains("1 action item"));
    let listed = cli.ok(&["postmortem", "list"]);
    assert!(
        listed.contains("Draft") && listed.contains("review due"),
        "{listed}"
    );

    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("draft.md");
    let shown = cli.ok(&["postmortem", "export", "1", "--format", "md"]);
    let body = shown.replace(
        "_In two or three sentences: what happened, who noticed, how it ended._",
        "The on-call should have rolled back sooner. <script>alert(1)</script>",
    );
    std::fs::write(&draft, &body).unwrap();
    cli.ok(&["postmortem", "save", "1", draft.to_str().unwrap()]);

    let hints = cli.ok(&["postmortem", "hints", "1", "--json"]);
    let hints: serde_json::Value = serde_json::from_str(&hints).unwrap();
    assert_eq!(hints[0]["rule"], "should-have", "{hints}");
    let fingerprint = hints[0]["fingerprint"].as_str().unwrap();
    cli.ok(&["postmortem", "hints", "1", "--dismiss", fingerprint]);
    assert!(cli
        .ok(&["postmortem", "hints", "1"])
        .contains("no language hints"));

    let html = dir.path().join("pm.html");
    cli.ok(&[
        "postmortem",
        "export",
        "1",
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        !html.contains("<script") && html.contains("<h2>Timeline</h2>"),
        "{html}"
    );

    cli.ok(&[
        "postmortem",
        "action",
        "add",
        "1",
        "Add a rollback button",
        "--type",
        "mitigate",
    ]);
    cli.ok(&["postmortem", "action", "done", "1"]);
    let shown = cli.ok(&["postmortem", "show", "1"]);
    assert!(
        shown.contains("[x]") && shown.contains("(mitigate, no owner)"),
        "{shown}"
    );

    let wrong = cli.run(&["postmortem", "status", "1", "closed"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not to Closed"));
    cli.ok(&["postmortem", "status", "1", "in_review"]);

    let published = cli.ok(&["postmortem", "publish", "1"]);
    assert!(published.contains("summary added as a note"), "{published}");
    let incident = cli.ok(&["incident", "show", "#1", "--json"]);
    assert!(incident.contains("Postmortem (In review)"), "{incident}");

    let stats = cli.ok(&["stats", "--json"]);
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["incidents"], 1);
    assert_eq!(stats["time_to_resolve"]["count"], 1);
    assert_eq!(stats["by_severity"][0]["key"], "SEV-1");
}

#[test]
fn templates_export_import_and_reset_through_the_cli() {
    let cli = Cli::new();
    let exported = cli.ok(&["postmortem", "template", "export", "short"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ours.toml");
    let ours = exported
        .replace("name = \"short\"", "name = \"ours\"")
        .replace("Review: {{title}}", "Ours: {{title}}");
    std::fs::write(&file, ours).unwrap();
    cli.ok(&["postmortem", "template", "import", file.to_str().unwrap()]);
    assert!(cli.ok(&["postmortem", "template", "list"]).contains("ours"));

    cli.ok(&["declare", "Disk full", "--severity", "4"]);
    let started = cli.ok(&["postmortem", "new", "#1", "--template", "ours"]);
    assert!(started.contains("Ours: Disk full"), "{started}");
    assert!(cli
        .ok(&["postmortem", "template", "reset", "ours"])
        .contains("removed"));

    std::fs::write(&file, "name = \"x\"\ntitle = \"t\"\nbody = \"{{nope}}\"\n").unwrap();
    let bad = cli.run(&["postmortem", "template", "import", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown placeholder"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_review_coming_due_reminds_once_and_not_once_reviewed() {
    use std::sync::Arc;
    use tocsin::paging::RecordingNotifier;
    use tocsin::postmortem::PostmortemStatus;
    use tocsin::sync::Engine;

    let dir = tempfile::tempdir().unwrap();
    let tocsin = Arc::new(tocsin::Tocsin::open(dir.path()).unwrap());
    let incident = tocsin.declare_local("Checkout down", 1).unwrap();
    let pm = tocsin.start_postmortem(&[incident.id], None).unwrap();
    let other = tocsin.start_postmortem(&[incident.id], None).unwrap();
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Engine::new(tocsin.clone(), notifier.clone());
    let reviews = || notifier.reviews.lock().unwrap().clone();

    // Not due yet (a SEV-1 review is due in three days): nothing.
    engine.raise_review_reminders().await;
    assert!(reviews().is_empty());

    // Both come due; one is reviewed first and so is never reminded of.
    let conn = rusqlite::Connection::open(dir.path().join("tocsin.sqlite3")).unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    conn.execute("UPDATE postmortems SET review_due = ?1", [&today])
        .unwrap();
    tocsin
        .set_postmortem_status(other.id, PostmortemStatus::InReview)
        .unwrap();
    tocsin
        .set_postmortem_status(other.id, PostmortemStatus::Reviewed)
        .unwrap();
    engine.raise_review_reminders().await;
    assert_eq!(reviews(), [pm.id]);

    // Once per due date, across engines (as across restarts); a new due date reminds again.
    let again = Engine::new(tocsin.clone(), notifier.clone());
    again.raise_review_reminders().await;
    assert_eq!(reviews(), [pm.id]);
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
    conn.execute(
        "UPDATE postmortems SET review_due = ?1 WHERE id = ?2",
        rusqlite::params![yesterday, pm.id],
    )
    .unwrap();
    again.raise_review_reminders().await;
    assert_eq!(reviews(), [pm.id, pm.id]);
}
