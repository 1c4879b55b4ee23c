//! `kill -9` during a sync leaves a consistent database: the first sync is one transaction,
//! so the cache holds everything it covers or nothing, and the cursor matches.

use std::process::Stdio;
use std::time::Duration;

use tocsin_fakes::{PagerDutyFake, TokenKind};

use crate::support::{open_db, Cli};

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_sync_never_leaves_half_a_pass() {
    const TOTAL: i64 = 3_000;
    let fake = PagerDutyFake::start().await;
    fake.state().add_user("PUSER01", "Ada", "ada@example.com");
    fake.state().set_token(
        "tok",
        TokenKind::User {
            user_id: "PUSER01".into(),
        },
    );
    fake.state()
        .seed_incidents(TOTAL as usize, chrono::Duration::days(30));
    let url = fake.url();

    let verdicts = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        // Kill points spread over the pass, from before the first request to around commit.
        for delay_ms in [20u64, 80, 150, 250, 400, 600, 900, 1300] {
            let cli = Cli::with_pagerduty(&url, "tok");
            let mut child = cli
                .command()
                .args(["sync", "--once"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay_ms));
            let _ = child.kill(); // SIGKILL on Unix
            let _ = child.wait();

            let db = open_db(&cli.db_path());
            let check: String = db
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok");
            let count: i64 = db
                .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
                .unwrap();
            let cursor: Option<String> = db
                .query_row("SELECT cursor FROM sync_state", [], |r| r.get(0))
                .unwrap();
            assert!(
                (count == 0 && cursor.is_none()) || (count == TOTAL && cursor.is_some()),
                "after kill at {delay_ms} ms: {count} incidents, cursor {cursor:?}"
            );
            seen.push(count == TOTAL);

            // And the next run picks up cleanly.
            cli.ok(&["sync", "--once"]);
            let db = open_db(&cli.db_path());
            let count: i64 = db
                .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
                .unwrap();
            assert_eq!(count, TOTAL);
        }
        seen
    })
    .await
    .unwrap();
    assert!(
        verdicts.contains(&false),
        "no kill landed before the commit: {verdicts:?}"
    );
}
