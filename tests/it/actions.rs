//! Acting on incidents from the CLI in the local workspace, where actions apply at once (the
//! outbox tests cover providers).

use crate::support::Cli;

#[test]
fn local_incidents_are_acknowledged_annotated_and_resolved() {
    let cli = Cli::new();
    cli.ok(&["declare", "Checkout down", "--severity", "1"]);

    assert!(cli.ok(&["ack", "#1"]).contains("(acknowledged)"));
    cli.ok(&["note", "#1", "Rolled back release 4f2a"]);
    assert!(cli.ok(&["resolve", "1"]).contains("(resolved)"));

    let detail = cli.json(&["incident", "show", "1", "--json"]);
    let kinds: Vec<_> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(kinds, ["trigger", "acknowledge", "annotate", "resolve"]);
    assert_eq!(detail["timeline"][2]["summary"], "Rolled back release 4f2a");

    let again = cli.run(&["resolve", "1"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("[invalid]"));
}
