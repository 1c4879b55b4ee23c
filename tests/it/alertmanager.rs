//! A real Alertmanager: firing alerts become incidents, ended or vanished ones resolve.

use serde_json::json;

use crate::support::{Alertmanager, Cli, StaticServer};

fn alert(name: &str, severity: &str, ends_at: Option<&str>) -> serde_json::Value {
    let mut a = json!({
        "labels": {"alertname": name, "instance": "db-1", "severity": severity, "job": "postgres"},
        "annotations": {"summary": format!("{name} on db-1"), "runbook": "https://runbooks.invalid/x"},
    });
    if let Some(end) = ends_at {
        a["endsAt"] = json!(end);
    }
    a
}

#[test]
fn firing_alerts_become_incidents_and_ended_ones_resolve() {
    let am = Alertmanager::start();
    let cli = Cli::with_alertmanager(&am.url);

    am.post(json!([
        alert("DiskFull", "critical", None),
        alert("SlowQueries", "warning", None)
    ]));
    cli.ok(&["sync", "--once"]);
    let open = cli.json(&["incidents", "--json"]);
    let open = open["incidents"].as_array().unwrap();
    assert_eq!(open.len(), 2, "{open:?}");
    let disk = open
        .iter()
        .find(|i| i["title"] == "DiskFull on db-1")
        .unwrap();
    assert_eq!(disk["urgency"], "high");
    assert_eq!(disk["status"], "triggered");
    assert_eq!(disk["service_name"], "postgres");
    assert_eq!(disk["details"]["labels"]["instance"], "db-1");
    assert_eq!(
        disk["details"]["annotations"]["runbook"],
        "https://runbooks.invalid/x"
    );
    let slow = open
        .iter()
        .find(|i| i["title"] == "SlowQueries on db-1")
        .unwrap();
    assert_eq!(slow["urgency"], "low");

    // Ending an alert makes Alertmanager forget it; the incident must resolve, not linger.
    let now = chrono::Utc::now().to_rfc3339();
    am.post(json!([alert("DiskFull", "critical", Some(&now))]));
    cli.ok(&["sync", "--once"]);
    let all = cli.json(&["incidents", "--status", "all", "--json"]);
    let disk = all["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "DiskFull on db-1")
        .unwrap()
        .clone();
    assert_eq!(disk["status"], "resolved");
    assert!(disk["resolved_at"].is_string());

    let detail = cli.json(&["incident", "show", &disk["id"].to_string(), "--json"]);
    let kinds: Vec<_> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("trigger"), json!("resolve")]);

    let open = cli.json(&["incidents", "--json"]);
    assert_eq!(open["incidents"].as_array().unwrap().len(), 1);
}

#[test]
fn unreachable_alertmanager_fails_clearly_and_keeps_the_cache() {
    let am = Alertmanager::start();
    let cli = Cli::with_alertmanager(&am.url);
    am.post(json!([alert("DiskFull", "critical", None)]));
    cli.ok(&["sync", "--once"]);
    let url = am.url.clone();
    drop(am);

    let out = cli.run(&["sync", "--once"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[offline]"), "{stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one line per failure: {stderr}"
    );

    let status = cli.json(&["status", "--json"]);
    let am_health = &status["accounts"][0];
    assert_eq!(am_health["state"], "offline");
    assert_eq!(am_health["last_error_code"], "offline");
    assert!(am_health["last_success_at"].is_string());

    let open = cli.json(&["incidents", "--json"]);
    assert_eq!(
        open["incidents"].as_array().unwrap().len(),
        1,
        "cache kept after {url} went away"
    );
}

/// Enough of an Alertmanager for the client to accept it: a status with a version.
fn impostor() -> StaticServer {
    let server = StaticServer::start();
    server.serve(
        "/api/v2/status",
        json!({"versionInfo": {"version": "0.25.0"}}),
    );
    server
}

fn firing(fingerprint: &str) -> serde_json::Value {
    json!({
        "fingerprint": fingerprint, "startsAt": "2026-01-01T00:00:00Z",
        "endsAt": "2099-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        "labels": {"alertname": "DiskFull", "severity": "critical"}, "annotations": {},
        "status": {"state": "active"},
    })
}

#[test]
fn an_answer_that_is_not_a_list_fails_the_pass_and_resolves_nothing() {
    let server = impostor();
    server.serve("/api/v2/alerts", json!([firing("abc")]));
    let cli = Cli::with_alertmanager(&server.url);
    cli.ok(&["sync", "--once"]);

    server.serve("/api/v2/alerts", json!({"error": "maintenance window"}));
    let out = cli.run(&["sync", "--once"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[malformed]"));
    let open = cli.json(&["incidents", "--json"]);
    assert_eq!(
        open["incidents"].as_array().unwrap().len(),
        1,
        "the open alert must stay open"
    );
}

#[test]
fn a_url_that_is_not_an_alertmanager_says_so() {
    let server = StaticServer::start();
    server.serve("/api/v2/status", json!({"ok": true}));
    server.serve("/api/v2/alerts", json!([]));
    let cli = Cli::with_alertmanager(&server.url);

    let out = cli.run(&["sync", "--once"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is this URL an Alertmanager?"), "{stderr}");
}

/// Silences in `state` (active, expired, pending).
fn silences_in(am: &Alertmanager, state: &str) -> Vec<serde_json::Value> {
    let all = am.silences();
    all.into_iter()
        .filter(|s| s["status"]["state"] == state)
        .collect()
}

#[test]
fn acknowledging_silences_the_alert_and_resolving_lifts_the_silence() {
    let am = Alertmanager::start();
    let cli = Cli::with_alertmanager(&am.url);
    am.post(json!([alert("DiskFull", "critical", None)]));
    cli.ok(&["sync", "--once"]);
    let id = cli.json(&["incidents", "--json"])["incidents"][0]["id"].to_string();

    let out = cli.ok(&["ack", &id]);
    assert!(out.contains("sent to `am`"), "{out}");
    let active = silences_in(&am, "active");
    assert_eq!(active.len(), 1, "{active:?}");
    let silence = &active[0];
    assert!(silence["comment"].as_str().unwrap().contains("Tocsin"));
    let matchers = silence["matchers"].as_array().unwrap();
    assert_eq!(matchers.len(), 4, "every label, exactly: {matchers:?}");
    assert!(matchers.iter().all(|m| m["isRegex"] == false));

    // Alertmanager now reports the alert suppressed: still acknowledged after a pass.
    cli.ok(&["sync", "--once"]);
    let shown = cli.json(&["incident", "show", &id, "--json"]);
    assert_eq!(shown["incident"]["status"], "acknowledged");

    let out = cli.ok(&["resolve", &id]);
    assert!(out.contains("sent to `am`"), "{out}");
    assert!(silences_in(&am, "active").is_empty());
    assert_eq!(silences_in(&am, "expired").len(), 1);
    cli.ok(&["sync", "--once"]);
    let shown = cli.json(&["incident", "show", &id, "--json"]);
    assert_eq!(
        shown["incident"]["status"], "triggered",
        "the alert still fires"
    );
}

#[test]
fn an_acknowledgement_killed_after_sending_makes_one_silence() {
    let am = Alertmanager::start();
    let cli = Cli::with_alertmanager(&am.url);
    am.post(json!([alert("DiskFull", "critical", None)]));
    cli.ok(&["sync", "--once"]);
    let id = cli.json(&["incidents", "--json"])["incidents"][0]["id"].to_string();

    let mut child = cli
        .command()
        .args(["ack", &id])
        .env("TOCSIN_FAILPOINT", "outbox-after-send")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    crate::support::wait_for(std::time::Duration::from_secs(20), "the silence", || {
        (am.silences().len() == 1).then_some(())
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let _ = child.kill();
    let _ = child.wait();

    cli.ok(&["sync", "--once"]);
    assert_eq!(am.silences().len(), 1, "the resend found the first silence");
    let outbox = cli.json(&["outbox", "--json"]);
    assert_eq!(outbox["outbox"][0]["state"], "done", "{outbox}");
}

#[test]
fn resolving_lifts_every_silence_tocsin_made_on_the_alert() {
    let am = Alertmanager::start();
    let cli = Cli::with_alertmanager(&am.url);
    am.post(json!([alert("DiskFull", "critical", None)]));
    cli.ok(&["sync", "--once"]);
    let id = cli.json(&["incidents", "--json"])["incidents"][0]["id"].to_string();

    cli.ok(&["ack", &id]);
    let again = cli.run(&["ack", &id]);
    assert!(
        !again.status.success(),
        "a second silence would outlive the resolve"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("[invalid]"));
    cli.ok(&["snooze", &id, "--minutes", "30"]);
    assert_eq!(silences_in(&am, "active").len(), 2);
    let author = silences_in(&am, "active")[0]["createdBy"].clone();
    assert_ne!(
        author, "You",
        "a teammate can tell who silenced it: {author}"
    );

    cli.ok(&["resolve", &id]);
    assert!(silences_in(&am, "active").is_empty(), "{:?}", am.silences());
    assert_eq!(silences_in(&am, "expired").len(), 2);
}

#[test]
fn hostile_labels_and_annotations_are_stored_bounded_and_clean() {
    use tocsin::provider::ingest::{MAX_LINE_CHARS, MAX_TEXT_CHARS};

    let am = Alertmanager::start();
    let cli = Cli::with_alertmanager(&am.url);
    let markup = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>";
    let escapes = "\u{1b}[31mred\u{1b}[0m\u{1b}[2J";
    let bidi = "\u{202e}gnp.exe";
    let megabyte = format!("{markup}{}", "M".repeat(1 << 20));
    am.post(json!([
        {
            "labels": {"alertname": "Hostile", "severity": "critical",
                       "instance": markup, "note": format!("{escapes} {bidi}"),
                       "service": format!("db {bidi}")},
            "annotations": {"summary": format!("{markup} {escapes} {bidi}"),
                            "description": megabyte},
            "generatorURL": format!("http://prometheus.invalid/graph?g0.expr={bidi}"),
        },
        alert("DiskFull", "critical", None),
    ]));
    cli.ok(&["sync", "--once"]);

    // What is stored, read from the database itself rather than through any printer.
    let db = crate::support::open_db(&cli.db_path());
    let mut rows = db
        .prepare("SELECT title, service_name, html_url, details FROM incidents ORDER BY title")
        .unwrap();
    let rows: Vec<(String, Option<String>, Option<String>, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let status = cli.json(&["status", "--json"]);
    let titles: Vec<_> = rows.iter().map(|r| &r.0).collect();
    assert_eq!(rows.len(), 2, "nothing else lost: {titles:?} {status}");
    let (title, service, url, details) = &rows[0];
    assert_eq!(
        rows[1].0, "DiskFull on db-1",
        "the other alert is untouched"
    );

    assert_eq!(
        title,
        &format!("{markup} \u{fffd}[31mred\u{fffd}[0m\u{fffd}[2J \u{fffd}gnp.exe")
    );
    assert_eq!(service.as_deref(), Some("db \u{fffd}gnp.exe"));
    assert!(url.as_deref().unwrap().ends_with("g0.expr=\u{fffd}gnp.exe"));
    let details: serde_json::Value = serde_json::from_str(details).unwrap();
    let description = details["annotations"]["description"].as_str().unwrap();
    assert_eq!(description.chars().count(), MAX_TEXT_CHARS);
    assert!(description.starts_with(markup) && description.ends_with('…'));
    assert_eq!(
        details["labels"]["instance"], markup,
        "markup is kept as text"
    );
    assert!(details["labels"]["alertname"] == "Hostile");
    let mut stored = vec![
        title.clone(),
        service.clone().unwrap(),
        url.clone().unwrap(),
    ];
    for labels_or_annotations in ["labels", "annotations"] {
        let map = details[labels_or_annotations].as_object().unwrap();
        stored.extend(map.values().map(|v| v.as_str().unwrap().to_string()));
    }
    let hostile = |c: char| c == '\u{202e}' || c == '\u{1b}';
    for text in &stored {
        assert!(!text.contains(hostile), "stored as it came: {text:?}");
    }
    assert_eq!(
        details["labels"]["note"],
        "\u{fffd}[31mred\u{fffd}[0m\u{fffd}[2J \u{fffd}gnp.exe"
    );
    assert!(title.chars().count() <= MAX_LINE_CHARS);

    // The cleaned labels still silence the alert that carries the originals.
    let listed = cli.json(&["incidents", "--json"]);
    let hostile = listed["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["details"]["labels"]["alertname"] == "Hostile")
        .unwrap()["id"]
        .to_string();
    cli.ok(&["ack", &hostile]);
    let active = silences_in(&am, "active");
    assert_eq!(active.len(), 1, "{active:?}");
    cli.ok(&["sync", "--once"]);
    let shown = cli.json(&["incident", "show", &hostile, "--json"]);
    assert_eq!(
        shown["incident"]["status"], "acknowledged",
        "Alertmanager reports the alert silenced"
    );
}
