//! The local workspace's own rotations and escalation policies through the CLI and a real
//! SQLite file: imported from a file, rendered and resolved to people across a DST change,
//! exported and read back elsewhere, and refused whole when any part is wrong.

use serde_json::Value;

use crate::support::Cli;

/// Ada and Grace hand over daily at 09:00 London time; a policy pages the rotation, then
/// Linus after 15 minutes, twice round.
const FILE: &str = r#"
format = "tocsin-oncall/1"

[[schedule]]
id = "web"
name = "Web primary"
time_zone = "Europe/London"

[[schedule.layers]]
name = "Daily"
start = "2027-03-01T09:00:00Z"
rotation_virtual_start = "2027-03-01T09:00:00Z"
rotation_turn_length_seconds = 86400
users = [{ id = "ada", name = "Ada" }, { id = "grace", name = "Grace" }]

[[policy]]
id = "web-policy"
name = "Web"
num_loops = 2

[[policy.levels]]
delay_minutes = 15
targets = [{ kind = "schedule", id = "web" }]

[[policy.levels]]
delay_minutes = 30
targets = [{ kind = "user", id = "linus", name = "Linus" }]
"#;

fn import(cli: &Cli, text: &str, extra: &[&str]) -> std::process::Output {
    let path = cli.data_dir.path().join("oncall.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_string();
    cli.run(&[&["rotation", "import", path.as_str()][..], extra].concat())
}

/// Who the test policy's first level names at `at`.
fn first_level_at(cli: &Cli, at: &str) -> String {
    first_level_of(cli, "web-policy", at)
}

fn first_level_of(cli: &Cli, policy: &str, at: &str) -> String {
    let v = cli.json(&["oncall", "--at", at, "--json"]);
    let row = (v["oncall"].as_array().unwrap().iter())
        .find(|r| r["escalation_policy_id"] == policy && r["level"] == 1)
        .unwrap_or_else(|| panic!("no level 1 in {v}"));
    row["user"]["name"].as_str().unwrap_or("nobody").to_string()
}

#[test]
fn an_imported_rotation_hands_over_at_nine_local_time_on_both_sides_of_dst() {
    let cli = Cli::new();
    let out = import(&cli, FILE, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("Imported 1 rotation and 1 escalation policy"));

    // 1 March is Ada's (turn 0); London is on GMT until 28 March, BST (UTC+1) after.
    assert_eq!(first_level_at(&cli, "2027-03-01T08:59:00Z"), "nobody");
    assert_eq!(first_level_at(&cli, "2027-03-01T09:00:00Z"), "Ada");
    assert_eq!(first_level_at(&cli, "2027-03-02T09:00:00Z"), "Grace");
    // 29 March (turn 28, Ada's): 09:00 BST is 08:00 UTC.
    assert_eq!(first_level_at(&cli, "2027-03-29T07:59:00Z"), "Grace");
    assert_eq!(first_level_at(&cli, "2027-03-29T08:00:00Z"), "Ada");

    let v = cli.json(&["oncall", "--at", "2027-03-29T08:00:00Z", "--json"]);
    let second = (v["oncall"].as_array().unwrap().iter())
        .find(|r| r["escalation_policy_id"] == "web-policy" && r["level"] == 2)
        .unwrap();
    assert_eq!(second["user"]["name"], "Linus");
    assert_eq!(second["delay_minutes"], 30);

    let render = cli.json(&[
        "schedule",
        "render",
        "web",
        "--since",
        "2027-03-27T00:00:00Z",
        "--until",
        "2027-03-30T00:00:00Z",
        "--json",
    ]);
    let starts: Vec<&str> = (render["final_entries"].as_array().unwrap().iter())
        .map(|e| e["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2027-03-27T00:00:00Z",
            "2027-03-27T09:00:00Z",
            "2027-03-28T08:00:00Z",
            "2027-03-29T08:00:00Z"
        ],
        "{render}"
    );
}

#[test]
fn my_shifts_follow_the_person_i_say_i_am() {
    let cli = Cli::new();
    let running = FILE.replace("2027-03-01T09:00:00Z", "2026-01-05T09:00:00Z");
    assert!(import(&cli, &running, &[]).status.success());

    let nobody = cli.run(&["rotation", "me", "nobody-here"]);
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("nobody with id `nobody-here`"));

    cli.ok(&["rotation", "me", "grace"]);
    let listed = cli.json(&["rotation", "list", "--json"]);
    assert_eq!(listed["me"], "grace");
    assert_eq!(listed["people"].as_array().unwrap().len(), 2);

    // Four weeks from now hold fourteen of Grace's daily turns (give or take the edges).
    let shifts = cli.json(&["schedule", "shifts", "--days", "28", "--json"]);
    let mine = shifts["shifts"].as_array().unwrap();
    assert!((14..=15).contains(&mine.len()), "{shifts}");
    assert!(mine.iter().all(|s| s["schedule_id"] == "web"));
}

#[test]
fn an_export_reads_back_into_another_workspace_the_same() {
    let first = Cli::new();
    assert!(import(&first, FILE, &[]).status.success());
    let path = first.data_dir.path().join("exported.toml");
    first.ok(&["rotation", "export", path.to_str().unwrap()]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Tocsin on-call definitions"));

    let second = Cli::new();
    assert!(import(&second, &text, &[]).status.success());
    let defs = |cli: &Cli| {
        let mut v = cli.json(&["rotation", "list", "--json"]);
        v.as_object_mut().unwrap().remove("me");
        v
    };
    assert_eq!(defs(&first), defs(&second));
    assert_eq!(
        first.ok(&["rotation", "export"]),
        second.ok(&["rotation", "export"])
    );
}

#[test]
fn a_file_with_one_mistake_changes_nothing() {
    let cli = Cli::new();
    assert!(import(&cli, FILE, &[]).status.success());
    let before = cli.ok(&["rotation", "export"]);

    let renamed = FILE.replace("Web primary", "Renamed");
    let mistakes = [
        renamed.replace(r#"id = "web" }"#, r#"id = "missing" }"#),
        renamed.replace("Europe/London", "Europe/Atlantis"),
        renamed.replace("num_loops = 2", "num_loops = 2\nescalate_to = \"everyone\""),
        renamed.replace("tocsin-oncall/1", "tocsin-oncall/2"),
        "not toml at all [[".to_string(),
    ];
    for text in mistakes {
        let out = import(&cli, &text, &["--replace"]);
        assert!(!out.status.success(), "accepted:\n{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Invalid input"), "{err}");
        assert_eq!(cli.ok(&["rotation", "export"]), before);
    }
}

#[test]
fn a_rotation_a_policy_pages_cannot_be_removed_until_the_policy_goes() {
    let cli = Cli::new();
    assert!(import(&cli, FILE, &[]).status.success());

    let refused = cli.run(&["rotation", "remove-schedule", "web"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("the policy `Web` pages"));

    cli.ok(&["rotation", "remove-policy", "web-policy"]);
    cli.ok(&["rotation", "remove-schedule", "web"]);
    let listed: Value = cli.json(&["rotation", "list", "--json"]);
    assert_eq!(listed["schedules"], Value::Array(vec![]));
    assert!(cli.json(&["schedule", "list", "--json"])["schedules"] == Value::Array(vec![]));
}

#[test]
fn replace_removes_what_the_file_does_not_name_and_a_plain_import_keeps_it() {
    let cli = Cli::new();
    assert!(import(&cli, FILE, &[]).status.success());
    let other = FILE
        .replace(r#"id = "web""#, r#"id = "db""#)
        .replace(r#"id = "web" }"#, r#"id = "db" }"#)
        .replace("web-policy", "db-policy");
    assert!(import(&cli, &other, &[]).status.success());
    let count = |cli: &Cli| {
        let v = cli.json(&["rotation", "list", "--json"]);
        (
            v["schedules"].as_array().unwrap().len(),
            v["policies"].as_array().unwrap().len(),
        )
    };
    assert_eq!(count(&cli), (2, 2));

    let out = import(&cli, &other, &["--replace"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Removed 1 rotation and 1 policy"));
    assert_eq!(count(&cli), (1, 1));
}

#[test]
fn the_documented_example_imports_and_puts_grace_on_at_christmas() {
    let cli = Cli::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/oncall-example.toml");
    cli.ok(&["rotation", "import", example]);

    let explain = cli.json(&[
        "schedule",
        "explain",
        "web-primary",
        "--at",
        "2026-12-25T12:00:00Z",
        "--json",
    ]);
    assert_eq!(explain["on_call"]["name"], "Grace", "{explain}");
    // Tuesday 8 December 2026, 22:00 London (GMT): the weeknight layer has Linus.
    assert_eq!(first_level_of(&cli, "web", "2026-12-08T22:00:00Z"), "Linus");
    // Monday 7 December 2026 is the 48th week from 5 January: Ada's (turns alternate).
    assert_eq!(first_level_of(&cli, "web", "2026-12-07T12:00:00Z"), "Ada");
}

#[test]
fn a_local_incident_walks_its_local_policy_from_rotation_to_person() {
    let cli = Cli::new();
    let running = FILE.replace("2027-03-01T09:00:00Z", "2026-01-05T09:00:00Z");
    assert!(import(&cli, &running, &[]).status.success());

    let missing = cli.run(&["declare", "Disk full", "--policy", "nope"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("local escalation policy `nope`"));

    let out = cli.ok(&[
        "declare",
        "Disk full",
        "--severity",
        "2",
        "--policy",
        "web-policy",
    ]);
    // "Declared #1 id 1 (SEV-2): Disk full"
    let id = (out.split(" id ").nth(1))
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no id in {out}"));
    let shown = cli.json(&["incident", "show", id, "--json"]);
    let escalation = &shown["escalation"];
    assert_eq!(escalation["policy_name"], "Web", "{shown}");
    assert_eq!(escalation["level"], 1);
    let on_rotation = escalation["current"][0]["people"][0].as_str().unwrap();
    assert!(["Ada", "Grace"].contains(&on_rotation), "{escalation}");
    assert_eq!(escalation["next"]["level"], 2);
    assert_eq!(escalation["next"]["targets"][0]["people"][0], "Linus");
}

#[test]
fn a_local_rotation_has_now_and_next_but_nothing_to_cross_check() {
    let dir = tempfile::tempdir().unwrap();
    let tocsin = tocsin::Tocsin::open(dir.path()).unwrap();
    let example = include_str!("../../docs/oncall-example.toml");
    tocsin.import_local_oncall(example, false).unwrap();

    // Tuesday 8 December 2026, noon in London (GMT): Ada's week, until Linus's weeknight.
    let at = "2026-12-08T12:00:00Z".parse().unwrap();
    let outlook = tocsin.oncall_outlook(at).unwrap();

    let first = &outlook.targets[0];
    assert_eq!(first.schedule_id.as_deref(), Some("web-primary"));
    assert_eq!(first.now.as_ref().map(|u| u.name.as_str()), Some("Ada"));
    let next = first.next.as_ref().expect("a handoff this evening");
    assert_eq!(next.at.to_rfc3339(), "2026-12-08T18:00:00+00:00");
    assert_eq!(next.to.as_ref().map(|u| u.name.as_str()), Some("Linus"));
    let second = &outlook.targets[1];
    assert_eq!(
        second.now.as_ref().map(|u| u.name.as_str()),
        Some("Margaret")
    );

    let err = tocsin.check_schedule("web-primary").unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert!(err.to_string().contains("local rotation"), "{err}");
}
