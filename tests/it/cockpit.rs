//! The incident commander's cockpit from the CLI: starting it, roles and handoffs, checklists
//! as files, timers that outlive the process, decisions with follow-ups, and the timeline.

use crate::support::Cli;

fn kinds(timeline: &serde_json::Value) -> Vec<String> {
    timeline["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_response_is_run_from_the_cli_and_its_timeline_writes_itself() {
    let cli = Cli::new();
    cli.ok(&[
        "declare",
        "Checkout <img src=x onerror=alert(1)>",
        "--severity",
        "2",
    ]);
    let started = cli.ok(&["command", "start", "#1", "--sev", "1", "--by", "Ana"]);
    assert!(started.contains("SEV-1"), "{started}");

    cli.ok(&["role", "assign", "1", "commander", "Ana", "--by", "Ana"]);
    cli.ok(&["role", "handover", "1", "commander", "Bo", "--by", "Ana"]);
    cli.ok(&["checklist", "tick", "1", "1", "--by", "Bo"]);
    cli.ok(&["timer", "add", "1", "10", "Roll back 4f2a", "--owner", "Cy"]);
    cli.ok(&[
        "decide",
        "1",
        "Roll back 4f2a\nTODO: alert on queue depth",
        "--by",
        "Bo",
    ]);

    let cockpit = cli.json(&["command", "show", "1", "--json"]);
    assert_eq!(cockpit["roles"][0]["person"], "Bo");
    assert_eq!(cockpit["items"][0]["done_by"], "Bo");
    let followups = cli.json(&["followups", "1", "--json"]);
    assert_eq!(followups["followups"][0]["text"], "alert on queue depth");

    let timeline = cli.json(&["timeline", "1", "--format", "json"]);
    let expected = [
        "trigger",
        "cockpit_start",
        "cockpit_timer",
        "cockpit_role",
        "cockpit_handover",
        "cockpit_check",
        "cockpit_timer",
        "cockpit_decision",
    ];
    assert_eq!(kinds(&timeline), expected);
    let handover = &timeline["timeline"][4]["summary"];
    assert_eq!(handover, "Incident commander handed over from Ana to Bo");

    let md = cli.ok(&["timeline", "1", "--format", "md"]);
    assert!(md.contains("\\<img src=x onerror=alert\\(1\\)\\>"), "{md}");
    let bare = md
        .match_indices('<')
        .filter(|(at, _)| !md[..*at].ends_with('\\'));
    assert_eq!(bare.count(), 0, "every < is escaped:\n{md}");
}

#[test]
fn checklists_export_import_and_reset_as_files() {
    let cli = Cli::new();
    let exported = cli.ok(&["checklist", "export", "2"]);
    let file = cli.data_dir.path().join("sev2.toml");
    std::fs::write(
        &file,
        exported.replace("SEV-2: major degradation", "SEV-2, ours"),
    )
    .unwrap();
    cli.ok(&["checklist", "import", "2", file.to_str().unwrap()]);
    let template = cli.json(&["checklist", "show", "--sev", "2", "--json"]);
    assert_eq!(template["title"], "SEV-2, ours");
    assert_eq!(
        cli.ok(&["checklist", "export", "2"]),
        exported.replace("SEV-2: major degradation", "SEV-2, ours")
    );

    std::fs::write(
        &file,
        "title = \"x\"\n[[item]]\ntext = \"a\"\nrole = \"boss\"\n",
    )
    .unwrap();
    let bad = cli.run(&["checklist", "import", "2", file.to_str().unwrap()]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("at line 4") && stderr.contains("[invalid]"),
        "{stderr}"
    );

    cli.ok(&["checklist", "reset", "2"]);
    assert_eq!(cli.ok(&["checklist", "export", "2"]), exported);
}

#[test]
fn timers_outlive_the_process_that_set_them() {
    let cli = Cli::new();
    cli.ok(&["declare", "Disk full", "--severity", "3"]);
    cli.ok(&["command", "start", "1"]);
    cli.ok(&[
        "timer",
        "add",
        "1",
        "5",
        "Free space on db-1",
        "--owner",
        "Di",
    ]);

    let timers = cli.json(&["timer", "list", "--json"]);
    let timers = timers["timers"].as_array().unwrap();
    assert_eq!(timers.len(), 2, "the task and the stakeholder update");
    assert_eq!(timers[0]["label"], "Free space on db-1");
    assert_eq!(timers[1]["kind"], "update");

    let id = timers[0]["id"].to_string();
    cli.ok(&["timer", "cancel", &id]);
    let left = cli.json(&["timer", "list", "1", "--json"]);
    assert_eq!(left["timers"].as_array().unwrap().len(), 1);
}

#[test]
fn severities_and_their_mapping_are_edited() {
    let cli = Cli::new();
    cli.ok(&["sev", "set", "2", "--every", "45"]);
    let severities = cli.json(&["sev", "list", "--json"]);
    assert_eq!(severities["severities"][1]["update_every_minutes"], 45);
    assert_eq!(severities["severities"][0]["ack_minutes"], 5);
    let refused = cli.run(&["sev", "set", "2", "--ack", "0"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("[invalid]"));

    cli.ok(&["declare", "Anything", "--severity", "3"]);
    let accounts = cli.json(&["account", "list", "--json"]);
    let local = accounts["accounts"][0]["id"].to_string();
    cli.ok(&[
        "sev",
        "map",
        &local,
        "3",
        "--urgency",
        "high",
        "--priority",
        "P2",
    ]);
    let mapping = cli.json(&["sev", "mapping", &local, "--json"]);
    assert_eq!(mapping["mapping"][2]["urgency"], "high");
    assert_eq!(mapping["mapping"][2]["priority"], "P2");
    assert_eq!(mapping["mapping"][3]["urgency"], "low");
}

#[test]
fn hostile_checklist_text_is_kept_as_data_and_cannot_drive_the_terminal() {
    let cli = Cli::new();
    let file = cli.data_dir.path().join("hostile.toml");
    let hostile = "title = \"x\"\n[[item]]\ntext = \"\\u001b[2J'); DROP TABLE cockpits; -- <b>\"\n";
    std::fs::write(&file, hostile).unwrap();
    cli.ok(&["checklist", "import", "4", file.to_str().unwrap()]);

    let shown = cli.ok(&["checklist", "show", "--sev", "4"]);
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    assert!(shown.contains("DROP TABLE cockpits; -- <b>"), "{shown}");
    let json = cli.json(&["checklist", "show", "--sev", "4", "--json"]);
    assert_eq!(
        json["items"][0]["text"],
        "\u{1b}[2J'); DROP TABLE cockpits; -- <b>"
    );

    cli.ok(&["declare", "Drill of a hostile checklist", "--severity", "4"]);
    cli.ok(&["command", "start", "1"]);
    cli.ok(&["checklist", "tick", "1", "1"]);
    let missing = cli.run(&["command", "start", "99", "--sev", "1"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("[not_found]"));
    let nobody = cli.run(&["role", "handover", "1", "scribe", "Ana"]);
    let stderr = String::from_utf8_lossy(&nobody.stderr);
    assert!(
        stderr.contains("assign the role instead [invalid]"),
        "{stderr}"
    );
}
