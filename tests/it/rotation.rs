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
    // Ada and Grace rotate; Linus is paged directly.
    assert_eq!(listed["people"].as_array().unwrap().len(), 3);

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

/// `n` one-person rotations with ids `{prefix}0`…, each turn `turn` seconds, as a file.
fn many(prefix: &str, n: usize, layers: usize, turn: u32) -> String {
    let mut text = String::from("format = \"tocsin-oncall/1\"\n");
    for i in 0..n {
        text +=
            &format!("[[schedule]]\nid = \"{prefix}{i}\"\nname = \"R{i}\"\ntime_zone = \"UTC\"\n");
        for l in 0..layers {
            text += &format!(
                "[[schedule.layers]]\nstart = \"2026-01-05T00:00:00Z\"\n\
                 rotation_virtual_start = \"2026-01-05T0{}:00:00Z\"\n\
                 rotation_turn_length_seconds = {turn}\n\
                 users = [{{ id = \"me\", name = \"Me\" }}, {{ id = \"u{l}\", name = \"U{l}\" }}]\n",
                l % 2
            );
        }
    }
    text
}

#[test]
fn a_hostile_id_cannot_drive_the_terminal_through_an_error() {
    let cli = Cli::new();
    // TOML escapes decode to ESC and BEL: the title-setting and screen-clearing sequences.
    let hostile = FILE.replace(r#"id = "web""#, r#"id = "\u001b]0;PWNED\u0007\u001b[2J""#);
    let out = import(&cli, &hostile, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("PWNED"), "{err}");
}

#[test]
fn the_workspace_as_a_whole_stays_within_what_a_file_may_hold() {
    let cli = Cli::new();
    assert!(import(&cli, &many("a", 150, 1, 86_400), &[])
        .status
        .success());
    let out = import(&cli, &many("b", 60, 1, 86_400), &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("would hold 210 rotations"));

    // What is stored always exports to a file that imports again.
    let text = cli.ok(&["rotation", "export"]);
    assert!(import(&cli, &text, &["--replace"]).status.success());
}

#[test]
fn a_misspelt_field_in_a_schedule_is_refused_not_dropped() {
    let cli = Cli::new();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/oncall-example.toml"
    ))
    .unwrap();
    for (from, to) in [
        ("[[schedule.overrides]]", "[[schedule.override]]"),
        (
            "rotation_turn_length_seconds = 86400",
            "rotation_turn_length_secs = 86400",
        ),
        ("end = \"2026-12-26", "ends = \"2026-12-26"),
    ] {
        assert!(example.contains(from), "{from}");
        let out = import(&cli, &example.replacen(from, to, 1), &[]);
        assert!(!out.status.success(), "accepted {to}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field"));
    }
}

#[test]
fn local_policies_fill_on_call_now_and_a_walked_policy_stays() {
    let cli = Cli::new();
    let running = FILE.replace("2027-03-01T09:00:00Z", "2026-01-05T09:00:00Z");
    assert!(import(&cli, &running, &[]).status.success());

    let now = cli.json(&["oncall", "--json"]);
    let rows = now["oncall"].as_array().unwrap();
    let level = |n: i64| {
        rows.iter()
            .find(|r| r["level"] == n)
            .unwrap_or_else(|| panic!("{now}"))
    };
    assert!(["Ada", "Grace"].contains(&level(1)["user"]["name"].as_str().unwrap()));
    assert_eq!(level(1)["schedule_name"], "Web primary");
    assert_eq!(level(2)["user"]["name"], "Linus");

    cli.ok(&["declare", "Disk full", "--policy", "web-policy"]);
    let refused = cli.run(&["rotation", "remove-policy", "web-policy"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("1 open incident(s) walk"));
    cli.ok(&["resolve", "#1"]);
    cli.ok(&["rotation", "remove-policy", "web-policy"]);
    assert_eq!(
        cli.json(&["oncall", "--json"])["oncall"],
        Value::Array(vec![])
    );
}

#[test]
fn a_shift_under_way_keeps_its_real_start_and_long_spans_of_short_turns_render() {
    let cli = Cli::new();
    let running = FILE.replace("2027-03-01T09:00:00Z", "2026-01-05T09:00:00Z");
    assert!(import(&cli, &running, &[]).status.success());
    let on_now = first_level_at(&cli, "now").to_lowercase();
    cli.ok(&["rotation", "me", &on_now]);
    let shifts = cli.json(&["schedule", "shifts", "--days", "2", "--json"]);
    // Daily turns hand over at 09:00 London, which is 09:00 UTC in winter.
    let start = shifts["shifts"][0]["start"].as_str().unwrap();
    assert!(start.ends_with("T09:00:00Z"), "{shifts}");

    // 48 layers of hourly turns over 400 days is more than one render may hold at once.
    let dense = Cli::new();
    assert!(import(&dense, &many("d", 1, 48, 3600), &[])
        .status
        .success());
    dense.ok(&["rotation", "me", "me"]);
    let shifts = dense.json(&["schedule", "shifts", "--days", "400", "--json"]);
    assert!(!shifts["shifts"].as_array().unwrap().is_empty());
}

#[test]
fn exports_follow_links_and_never_reuse_a_leftover_partial_file() {
    let cli = Cli::new();
    assert!(import(&cli, FILE, &[]).status.success());
    let dir = cli.data_dir.path();
    let real = dir.join("real.toml");
    std::fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, dir.join("link.toml")).unwrap();
    cli.ok(&[
        "rotation",
        "export",
        dir.join("link.toml").to_str().unwrap(),
    ]);
    assert!(std::fs::symlink_metadata(dir.join("link.toml"))
        .unwrap()
        .is_symlink());
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .contains("tocsin-oncall/1"));

    let victim = dir.join("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("out.toml.partial")).unwrap();
    let out = cli.run(&["rotation", "export", dir.join("out.toml").to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");

    let check = cli.run(&["schedule", "check", "web"]);
    assert!(String::from_utf8_lossy(&check.stderr).contains("is a local rotation"));
}

#[test]
fn being_on_a_local_rotation_counts_as_on_call() {
    let dir = tempfile::tempdir().unwrap();
    let tocsin = tocsin::Tocsin::open(dir.path()).unwrap();
    // One person, on all the time since January.
    let always = FILE
        .replace("2027-03-01T09:00:00Z", "2026-01-05T09:00:00Z")
        .replace(r#", { id = "grace", name = "Grace" }"#, "");
    tocsin.import_local_oncall(&always, false).unwrap();
    assert!(
        !tocsin.glance(5).unwrap().on_call,
        "I am nobody on the rotation yet"
    );

    tocsin.set_local_me("ada").unwrap();
    assert!(tocsin.glance(5).unwrap().on_call);
}
