//! Tokens live in the OS keychain or an environment variable, never in the database.

use tocsin_fakes::{PagerDutyFake, TokenKind};

use crate::support::{Cli, Keychain};

const TOKEN: &str = "u+VerySecretToken-4f9a1c";

/// Every byte the store has on disk, WAL and shared memory included.
fn database_bytes(cli: &Cli) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(cli.data_dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap_or_default());
    }
    assert!(
        bytes.len() > 4096,
        "the database should exist at {}",
        cli.db_path().display()
    );
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_from_stdin_goes_to_the_keychain_and_nowhere_else() {
    let fake = PagerDutyFake::start().await;
    fake.state().add_user("PUSER01", "Ada", "ada@example.com");
    fake.state().set_token(
        TOKEN,
        TokenKind::User {
            user_id: "PUSER01".into(),
        },
    );
    let keychain = Keychain::start();
    let mut cli = Cli::new();
    cli.env = keychain.env();
    cli.env.push(("TOCSIN_LOG".into(), "trace".into()));

    let url = fake.url();
    let output = tokio::task::spawn_blocking(move || {
        let mut add = cli.command();
        add.args([
            "account",
            "add",
            "pagerduty",
            "--name",
            "pd",
            "--api-url",
            &url,
        ]);
        add.arg("--token-stdin").stdin(std::process::Stdio::piped());
        add.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = add.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), TOKEN.as_bytes()).unwrap();
        let added = child.wait_with_output().unwrap();
        assert!(added.status.success(), "{added:?}");
        let synced = cli.run(&["sync", "--once"]);
        (cli, added, synced)
    })
    .await
    .unwrap();
    let (cli, added, synced) = output;

    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );
    let auth = fake.state().request_log()[0].authorization.clone();
    assert_eq!(auth.as_deref(), Some(&*format!("Token token={TOKEN}")));
    assert!(
        !contains(&database_bytes(&cli), TOKEN),
        "the token is in the database"
    );
    for out in [&added, &synced] {
        assert!(
            !contains(&out.stdout, TOKEN) && !contains(&out.stderr, TOKEN),
            "token logged"
        );
    }
    // The long-running sync keeps a log file; it must not hold the token either.
    let mut running = cli
        .command()
        .arg("sync")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let logs = tocsin::logs::dir(cli.data_dir.path());
    let text = crate::support::wait_for(std::time::Duration::from_secs(20), "a log line", || {
        let file = std::fs::read_dir(&logs).ok()?.next()?.ok()?.path();
        let text = std::fs::read_to_string(file).ok()?;
        text.contains("sync pass applied").then_some(text)
    });
    let _ = running.kill();
    let _ = running.wait();
    assert!(!text.contains(TOKEN), "token in the log file");

    let accounts = cli.json(&["account", "list", "--json"]);
    assert_eq!(accounts["accounts"][0]["token"]["kind"], "keychain");
    assert!(!accounts.to_string().contains(TOKEN));
}

#[test]
fn a_token_from_the_environment_is_read_at_each_run_and_never_stored() {
    let mut cli = Cli::new();
    cli.ok(&[
        "account",
        "add",
        "pagerduty",
        "--name",
        "pd",
        "--token-env",
        "PD_TOKEN_FOR_TEST",
    ]);
    cli.env.push(("PD_TOKEN_FOR_TEST".into(), TOKEN.into()));
    cli.ok(&["status"]);
    assert!(!contains(&database_bytes(&cli), TOKEN));

    cli.env.clear();
    let out = cli.run(&["sync", "--once"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PD_TOKEN_FOR_TEST") && stderr.contains("[missing_token]"),
        "{stderr}"
    );
}
