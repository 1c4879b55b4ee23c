//! `pd-fake`: the PagerDuty fake as its own process, for end-to-end tests of the desktop app.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use chrono::{DurationRound, TimeDelta, Utc};
use tocsin_fakes::{PagerDutyFake, TokenKind};

const USAGE: &str = "usage: pd-fake [--listen 127.0.0.1:PORT] [--seed N] [--token TOKEN]

Serves a fake PagerDuty REST API v2 on a loopback address until killed. The token
(default `pd-fake-token`) is a user-level token of PUSER1, Ada Responder. Control API:
POST /_fake/incidents, POST /_fake/incidents/{id}/status, POST /_fake/fail_next,
POST /_fake/schedules, POST /_fake/escalation_policies, POST /_fake/users,
POST /_fake/services, GET /_fake/requests.";

struct Options {
    listen: SocketAddr,
    seed: usize,
    token: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if !options.listen.ip().is_loopback() {
        eprintln!(
            "pd-fake only listens on loopback; `{}` is not",
            options.listen
        );
        return ExitCode::from(2);
    }

    let fake = PagerDutyFake::start_on(options.listen).await;
    populate(&fake, &options);
    println!("listening on {}", fake.url());
    // The harness waits for that line on a pipe, where stdout is not flushed per line.
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        seed: 0,
        token: "pd-fake-token".to_owned(),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                options.listen = text.parse().map_err(|_| format!("bad address `{text}`"))?;
            }
            "--seed" => {
                let text = value()?;
                options.seed = text.parse().map_err(|_| format!("bad count `{text}`"))?;
            }
            "--token" => options.token = value()?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// One responder, a backup, a service with a two-level policy, a schedule, its layer and
/// its shifts.
fn populate(fake: &PagerDutyFake, options: &Options) {
    let state = fake.state();
    state.add_user("PUSER1", "Ada Responder", "ada@example.com");
    state.add_user("PUSER2", "Grace Backup", "grace@example.com");
    state.set_token(
        options.token.clone(),
        TokenKind::User {
            user_id: "PUSER1".to_owned(),
        },
    );
    state.add_service("PSVC001", "Checkout API");
    state.add_schedule("PSCHED1", "Checkout Primary", "America/New_York");
    let rules = vec![
        (30, vec!["PSCHED1".to_owned()]),
        (30, vec!["PUSER2".to_owned()]),
    ];
    state.add_escalation_policy("PEPOL01", "Checkout Escalation", rules);
    for name in ["P1", "P2", "P3", "P4"] {
        state.add_priority(&format!("PPRIO0{}", &name[1..]), name);
    }

    // Whole seconds, as PagerDuty writes times, so the layer below matches the on-calls.
    let now = Utc::now().duration_trunc(TimeDelta::seconds(1)).unwrap();
    let shift = |days: i64| now + TimeDelta::days(days) - TimeDelta::hours(2);
    // The layer that renders to those shifts, so the app's own rendering agrees with the final
    // schedule served from them (24-hour turns are a day of wall-clock time: on a day the
    // clocks change in New York the two differ by the hour, and the window says so).
    let (start, end) = (shift(0).to_rfc3339(), shift(3).to_rfc3339());
    let person = |id: &str, name: &str| {
        let reference = serde_json::json!({"id": id, "type": "user_reference", "summary": name});
        serde_json::json!({ "user": reference })
    };
    let layer = serde_json::json!({
        "id": "PLAYER1", "name": "Daily", "start": start, "end": end,
        "rotation_virtual_start": start, "rotation_turn_length_seconds": 86_400,
        "users": [person("PUSER1", "Ada Responder"), person("PUSER2", "Grace Backup")],
        "restrictions": []
    });
    state.set_schedule_layers("PSCHED1", vec![layer]);
    state.add_oncall(
        "PUSER1",
        "PEPOL01",
        1,
        Some("PSCHED1"),
        Some(shift(0)),
        Some(shift(1)),
    );
    state.add_oncall(
        "PUSER2",
        "PEPOL01",
        1,
        Some("PSCHED1"),
        Some(shift(1)),
        Some(shift(2)),
    );
    state.add_oncall(
        "PUSER1",
        "PEPOL01",
        1,
        Some("PSCHED1"),
        Some(shift(2)),
        Some(shift(3)),
    );
    state.add_oncall("PUSER2", "PEPOL01", 2, None, None, None);
    // Inside the one-month window a client reads by default, so a cold sync sees them all.
    state.seed_incidents(options.seed, TimeDelta::days(25));
}
