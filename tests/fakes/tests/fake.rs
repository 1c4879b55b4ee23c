//! Integration tests of the PagerDuty fake, spoken to over real HTTP as a client would.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tocsin_fakes::{ErrorShape, FailureKind, NewIncident, PagerDutyFake, TokenKind};

const TOKEN: &str = "user-token";
const ACCOUNT_TOKEN: &str = "account-token";
const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";

/// What a response came back as: status, the `ratelimit-reset` header, and the body.
struct Reply {
    status: StatusCode,
    reset: Option<String>,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

/// A fake with one user, one service and policy, and a user and an account token.
async fn fake() -> PagerDutyFake {
    let fake = PagerDutyFake::start().await;
    let state = fake.state();
    state.add_user("PUSER1", "Ada Responder", "ada@example.com");
    state.set_token(
        TOKEN,
        TokenKind::User {
            user_id: "PUSER1".into(),
        },
    );
    state.set_token(ACCOUNT_TOKEN, TokenKind::Account);
    state.add_service("PSVC001", "Checkout API");
    state.add_escalation_policy("PEPOL01", "Checkout", vec![(30, vec!["PUSER1".into()])]);
    fake
}

async fn get_as(fake: &PagerDutyFake, token: Option<&str>, path_and_query: &str) -> Reply {
    let mut request = reqwest::Client::new()
        .get(format!("{}{path_and_query}", fake.url()))
        .header("Accept", ACCEPT);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Token token={token}"));
    }
    read(request.send().await.expect("the fake answers")).await
}

async fn get(fake: &PagerDutyFake, path_and_query: &str) -> Reply {
    get_as(fake, Some(TOKEN), path_and_query).await
}

async fn post(fake: &PagerDutyFake, path: &str, body: Value) -> Reply {
    let request = reqwest::Client::new()
        .post(format!("{}{path}", fake.url()))
        .json(&body);
    read(request.send().await.expect("the fake answers")).await
}

async fn read(response: reqwest::Response) -> Reply {
    let status = response.status();
    let reset = response
        .headers()
        .get("ratelimit-reset")
        .map(|v| v.to_str().unwrap().to_owned());
    Reply {
        status,
        reset,
        text: response.text().await.unwrap(),
    }
}

fn incident(title: &str, status: &str, created_at: DateTime<Utc>) -> NewIncident {
    NewIncident {
        title: title.into(),
        status: status.into(),
        service_id: "PSVC001".into(),
        assignee_ids: vec!["PUSER1".into()],
        escalation_policy_id: "PEPOL01".into(),
        created_at,
        ..NewIncident::default()
    }
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    let items = body[key].as_array().expect("a list");
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn since(days_ago: i64) -> String {
    (Utc::now() - TimeDelta::days(days_ago))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test]
async fn pages_follow_limit_offset_and_more() {
    let fake = fake().await;
    fake.state().seed_incidents(250, TimeDelta::days(20));

    let first = get(&fake, "/incidents").await.json();
    assert_eq!(
        (first["limit"].as_u64(), first["offset"].as_u64()),
        (Some(25), Some(0))
    );
    assert_eq!(
        (first["more"].as_bool(), first["total"].clone()),
        (Some(true), Value::Null)
    );

    let mut seen = Vec::new();
    for offset in [0, 100, 200] {
        let page = get(&fake, &format!("/incidents?limit=100&offset={offset}"))
            .await
            .json();
        assert_eq!(page["more"], json!(offset < 200));
        seen.extend(ids(&page, "incidents"));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 250);

    let clamped = get(&fake, "/incidents?limit=500&total=true").await.json();
    assert_eq!(
        (clamped["limit"].as_u64(), clamped["total"].as_u64()),
        (Some(100), Some(250))
    );
}

#[tokio::test]
async fn paging_stops_at_the_ten_thousand_ceiling() {
    let fake = fake().await;
    let started = Instant::now();
    fake.state().seed_incidents(10_050, TimeDelta::days(25));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "seeding took {:?}",
        started.elapsed()
    );

    let last = get(&fake, "/incidents?limit=100&offset=9900").await;
    assert_eq!(last.status, StatusCode::OK);
    assert_eq!(last.json()["more"], json!(true));

    for query in ["limit=100&offset=9901", "limit=25&offset=10000"] {
        let refused = get(&fake, &format!("/incidents?{query}")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(refused.json()["error"]["code"], json!(2001));
    }
}

#[tokio::test]
async fn lists_default_to_the_last_month() {
    let fake = fake().await;
    let recent = fake
        .state()
        .add_incident(incident("recent", "resolved", now_minus(10)));
    let old = fake
        .state()
        .add_incident(incident("old", "resolved", now_minus(40)));

    let default = get(&fake, "/incidents").await.json();
    assert_eq!(ids(&default, "incidents"), vec![recent.clone()]);

    let all = get(
        &fake,
        &format!("/incidents?date_range=all&since={}", since(1)),
    )
    .await
    .json();
    assert_eq!(ids(&all, "incidents"), vec![old.clone(), recent.clone()]);

    let wide = get(&fake, &format!("/incidents?since={}", since(60)))
        .await
        .json();
    assert_eq!(ids(&wide, "incidents"), vec![old, recent]);

    let log = get(&fake, "/log_entries").await.json();
    assert_eq!(
        log["log_entries"].as_array().unwrap().len(),
        2,
        "trigger and resolve of one"
    );
}

fn now_minus(days: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::days(days)
}

#[tokio::test]
async fn incident_ranges_beyond_six_months_are_refused() {
    let fake = fake().await;
    let too_wide = get(&fake, &format!("/incidents?since={}", since(200))).await;
    assert_eq!(too_wide.status, StatusCode::BAD_REQUEST);
    assert_eq!(too_wide.json()["error"]["code"], json!(2001));

    let fine = get(&fake, &format!("/incidents?since={}", since(150))).await;
    assert_eq!(fine.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_and_revoked_tokens_get_401() {
    let fake = fake().await;
    for token in [None, Some("nonsense")] {
        let refused = get_as(&fake, token, "/incidents").await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.json()["error"]["code"], json!(2006));
    }

    assert_eq!(
        get(&fake, "/users/me").await.json()["user"]["id"],
        json!("PUSER1")
    );
    fake.state().revoke_token(TOKEN);
    assert_eq!(
        get(&fake, "/users/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn users_me_refuses_account_tokens() {
    let fake = fake().await;
    let refused = get_as(&fake, Some(ACCOUNT_TOKEN), "/users/me").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("account-level"), "{message}");

    let readable = get_as(&fake, Some(ACCOUNT_TOKEN), "/users").await;
    assert_eq!(ids(&readable.json(), "users"), vec!["PUSER1"]);
}

#[tokio::test]
async fn rate_limits_come_with_and_without_a_reset_header() {
    let fake = fake().await;
    fake.state().fail_next(
        1,
        FailureKind::RateLimited {
            reset_header: Some(7),
        },
    );
    fake.state()
        .fail_next(1, FailureKind::RateLimited { reset_header: None });

    let with = get(&fake, "/incidents").await;
    assert_eq!(
        (with.status, with.reset.as_deref()),
        (StatusCode::TOO_MANY_REQUESTS, Some("7"))
    );
    let without = get(&fake, "/incidents").await;
    assert_eq!(
        (without.status, without.reset),
        (StatusCode::TOO_MANY_REQUESTS, None)
    );
    assert_eq!(get(&fake, "/incidents").await.status, StatusCode::OK);
}

#[tokio::test]
async fn server_errors_stalls_and_cut_bodies_can_be_injected() {
    let fake = fake().await;
    fake.state().fail_next(1, FailureKind::ServerError(503));
    fake.state().fail_next(1, FailureKind::Malformed);
    fake.state()
        .fail_next(1, FailureKind::Timeout(Duration::from_millis(300)));

    assert_eq!(
        get(&fake, "/incidents").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let cut = get(&fake, "/incidents").await;
    assert_eq!(cut.status, StatusCode::OK);
    assert!(
        serde_json::from_str::<Value>(&cut.text).is_err(),
        "{}",
        cut.text
    );

    let started = Instant::now();
    assert_eq!(get(&fake, "/incidents").await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_raw_body_can_be_injected_over_http() {
    let fake = fake().await;
    let body = format!(
        "{{\"incidents\": {}{}}}",
        "[".repeat(1000),
        "]".repeat(1000)
    );
    let control = json!({"count": 1, "kind": "body", "body": body});
    assert!(post(&fake, "/_fake/fail_next", control)
        .await
        .status
        .is_success());

    let served = get(&fake, "/incidents").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.text, body);
    let next = get(&fake, "/incidents").await.json();
    assert!(
        next["incidents"].is_array(),
        "only the next answer is replaced: {next}"
    );
}

#[tokio::test]
async fn control_api_adds_users_and_services_as_given() {
    let fake = fake().await;
    let name = "<b>Mallory</b> \u{202e}";
    let user = json!({"id": "PUSERX", "name": name, "email": "m@example.com"});
    assert!(post(&fake, "/_fake/users", user).await.status.is_success());
    let service = json!({"id": "PSVCX", "name": name});
    assert!(post(&fake, "/_fake/services", service)
        .await
        .status
        .is_success());

    let user = get(&fake, "/users/PUSERX").await.json();
    assert_eq!(user["user"]["name"], json!(name));
    let service = get(&fake, "/services/PSVCX").await.json();
    assert_eq!(service["service"]["name"], json!(name));
    let services = get(&fake, "/services").await.json();
    assert!(ids(&services, "services").contains(&"PSVCX".to_owned()));
}

#[tokio::test]
async fn error_bodies_take_the_chosen_shape() {
    let fake = fake().await;
    let errors = || async { get(&fake, "/incidents?offset=20000").await.json()["error"].clone() };
    assert!(errors().await["errors"].is_array());
    fake.state().set_error_shape(ErrorShape::String);
    assert!(errors().await["errors"].is_string());
    fake.state().set_error_shape(ErrorShape::Object);
    assert!(errors().await["errors"]["offset"].is_array());
}

#[tokio::test]
async fn updates_append_fresh_log_entries() {
    let fake = fake().await;
    let id = fake
        .state()
        .add_incident(incident("disk full", "triggered", now_minus(1)));
    let path = format!("/incidents/{id}/log_entries");
    let before = get(&fake, &path).await.json();
    assert_eq!(before["log_entries"][0]["type"], json!("trigger_log_entry"));

    fake.state()
        .add_user("PUSER2", "Grace Backup", "grace@example.com");
    assert!(fake
        .state()
        .update_incident(&id, |i| i.status = "acknowledged".into()));
    assert!(fake
        .state()
        .update_incident(&id, |i| i.assignee_ids = vec!["PUSER2".into()]));
    assert!(!fake.state().update_incident("PNOSUCH", |i| i.title.clear()));

    let after = get(&fake, &path).await.json();
    let entries = after["log_entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "trigger_log_entry",
            "acknowledge_log_entry",
            "assign_log_entry"
        ]
    );
    let stamp = |e: &Value| {
        e["created_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    assert!(
        Utc::now() - stamp(&entries[1]) < TimeDelta::seconds(5),
        "freshly stamped"
    );
    assert_eq!(entries[2]["assignees"][0]["id"], json!("PUSER2"));
}

#[tokio::test]
async fn control_api_creates_and_resolves_incidents() {
    let fake = fake().await;
    let body = json!({"title": "Checkout down", "urgency": "high", "status": "triggered",
                      "assignee_ids": ["PUSER1"], "service_id": "PSVC001"});
    let created = post(&fake, "/_fake/incidents", body).await.json();
    let id = created["incident"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["incident"]["incident_key"], Value::Null);
    assert_eq!(
        ids(&get(&fake, "/incidents").await.json(), "incidents"),
        vec![id.clone()]
    );

    let status = json!({"status": "resolved"});
    let resolved = post(&fake, &format!("/_fake/incidents/{id}/status"), status)
        .await
        .json();
    assert_eq!(resolved["incident"]["status"], json!("resolved"));
    assert_eq!(resolved["incident"]["assignments"], json!([]));
    assert!(resolved["incident"]["resolved_at"].is_string());
    assert!(fake
        .state()
        .request_log()
        .iter()
        .all(|r| !r.path.starts_with("/_fake")));
}

#[tokio::test]
async fn control_api_sets_a_schedule_and_a_policy_on_it() {
    let fake = fake().await;
    let layer = json!({"id": "PL1", "start": "2026-10-12T08:00:00Z", "users": []});
    let entry = json!({"start": "2026-10-12T08:00:00Z", "end": "2026-10-19T08:00:00Z",
                       "user": {"id": "PUSER1", "type": "user_reference"}});
    let schedule = json!({"id": "PSNEW", "name": "New", "time_zone": "Europe/London",
                          "layers": [layer], "final_schedule": [entry]});
    assert!(post(&fake, "/_fake/schedules", schedule)
        .await
        .status
        .is_success());
    let policy = json!({"id": "PPNEW", "name": "New policy", "rules": [
        {"escalation_delay_in_minutes": 10, "target_ids": ["PSNEW", "PUSER1"]}]});
    assert!(post(&fake, "/_fake/escalation_policies", policy)
        .await
        .status
        .is_success());

    let detail = get(&fake, "/schedules/PSNEW").await.json();
    assert_eq!(detail["schedule"]["time_zone"], json!("Europe/London"));
    assert_eq!(detail["schedule"]["schedule_layers"][0]["id"], json!("PL1"));
    let served = &detail["schedule"]["final_schedule"]["rendered_schedule_entries"];
    assert_eq!(served[0]["end"], json!("2026-10-19T08:00:00Z"));
    let policy = get(&fake, "/escalation_policies/PPNEW").await.json();
    let targets = &policy["escalation_policy"]["escalation_rules"][0]["targets"];
    assert_eq!(targets[0]["type"], json!("schedule_reference"));
    assert_eq!(targets[1]["type"], json!("user_reference"));
}

#[tokio::test]
async fn array_filters_accept_raw_and_encoded_brackets() {
    let fake = fake().await;
    let open = fake
        .state()
        .add_incident(incident("open", "triggered", now_minus(2)));
    fake.state()
        .add_incident(incident("done", "resolved", now_minus(1)));
    let odd = fake
        .state()
        .add_incident(incident("odd", "escalated_v3", now_minus(1)));

    for key in ["statuses[]", "statuses%5B%5D"] {
        let body = get(&fake, &format!("/incidents?{key}=triggered"))
            .await
            .json();
        assert_eq!(ids(&body, "incidents"), vec![open.clone()], "{key}");
    }
    let desc = get(&fake, "/incidents?sort_by=created_at:desc")
        .await
        .json();
    assert_eq!(desc["incidents"][0]["status"], json!("escalated_v3"));
    assert_eq!(desc["incidents"][0]["id"], json!(odd));

    let recorded = fake.state().request_log();
    let pair = ("statuses[]".to_owned(), "triggered".to_owned());
    assert!(recorded[1].query.contains(&pair));
    assert_eq!(recorded[0].accept.as_deref(), Some(ACCEPT));
    assert_eq!(
        recorded[0].authorization.as_deref(),
        Some("Token token=user-token")
    );
    fake.state().clear_request_log();
    assert!(fake.state().request_log().is_empty());
}

#[tokio::test]
async fn writes_with_an_account_token_need_a_from_header() {
    let fake = fake().await;
    let id = fake
        .state()
        .add_incident(incident("cpu", "triggered", now_minus(1)));
    let put = |from: Option<&'static str>| {
        let url = format!("{}/incidents/{id}", fake.url());
        let body = json!({"incident": {"type": "incident_reference", "status": "acknowledged"}});
        let mut request = reqwest::Client::new().put(url).json(&body);
        request = request.header("Authorization", format!("Token token={ACCOUNT_TOKEN}"));
        if let Some(from) = from {
            request = request.header("From", from);
        }
        async move { read(request.send().await.unwrap()).await }
    };

    assert_eq!(put(None).await.status, StatusCode::BAD_REQUEST);
    let acked = put(Some("ada@example.com")).await;
    assert_eq!(
        acked.json()["incident"]["acknowledgements"][0]["acknowledger"]["id"],
        "PUSER1"
    );
    assert_eq!(fake.state().incident(&id).unwrap().status, "acknowledged");
}

#[tokio::test]
async fn oncalls_overlap_the_asked_range() {
    let fake = fake().await;
    let state = fake.state();
    state.add_schedule("PSCHED1", "Primary", "Europe/Berlin");
    let now = Utc::now();
    let (start, end) = (now - TimeDelta::hours(1), now + TimeDelta::hours(1));
    state.add_oncall(
        "PUSER1",
        "PEPOL01",
        1,
        Some("PSCHED1"),
        Some(start),
        Some(end),
    );
    let later = (now + TimeDelta::days(1), now + TimeDelta::days(2));
    state.add_oncall(
        "PUSER1",
        "PEPOL01",
        1,
        Some("PSCHED1"),
        Some(later.0),
        Some(later.1),
    );
    state.add_oncall("PUSER1", "PEPOL01", 2, None, None, None);

    let current = get(&fake, "/oncalls").await.json();
    assert_eq!(current["oncalls"].as_array().unwrap().len(), 2);
    assert_eq!(current["oncalls"][1]["schedule"], Value::Null);
    assert_eq!(current["oncalls"][1]["start"], Value::Null);

    let week = format!(
        "/oncalls?until={}&earliest=true",
        (now + TimeDelta::days(7)).to_rfc3339()
    );
    let earliest = get(&fake, &week.replace('+', "%2B")).await.json();
    assert_eq!(
        earliest["oncalls"].as_array().unwrap().len(),
        2,
        "one per level"
    );

    let policy = get(&fake, "/escalation_policies").await.json();
    let target = &policy["escalation_policies"][0]["escalation_rules"][0]["targets"][0];
    assert_eq!(target["type"], json!("user_reference"));
}

#[test]
fn the_binary_serves_a_seeded_account() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pd-fake"))
        .args(["--listen", "127.0.0.1:0", "--seed", "30", "--token", "t0k"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("pd-fake starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the announced URL")
        .to_owned();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (me, incidents) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let fetch = |path: &str| {
            let request = client.get(format!("{url}{path}"));
            request.header("Authorization", "Token token=t0k").send()
        };
        let me: Value = fetch("/users/me").await.unwrap().json().await.unwrap();
        let incidents: Value = fetch("/incidents?total=true")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (me, incidents)
    });
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(me["user"]["name"], json!("Ada Responder"));
    assert_eq!(incidents["total"], json!(30));
}
