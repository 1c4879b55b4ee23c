//! Tests of the Statuspage fake, spoken to over real HTTP as a client would.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tocsin_fakes::statuspage::{Fault, StatuspageFake, ThrottleStatus};

const KEY: &str = "sp-key-0123456789";
const PAGE: &str = "pg1abc";

/// A page with two components and one key, with no rate limit unless a test sets one.
async fn fake() -> StatuspageFake {
    let fake = StatuspageFake::start().await;
    let s = fake.state();
    s.add_api_key(KEY);
    s.add_page(PAGE, "Acme status");
    assert!(s.add_component(PAGE, "cmpapi", "API"));
    assert!(s.add_component(PAGE, "cmpweb", "Website"));
    s.set_min_interval(Duration::ZERO);
    fake
}

/// What a response came back as.
struct Reply {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
}

async fn call(fake: &StatuspageFake, method: Method, path: &str, body: Option<Value>) -> Reply {
    call_as(fake, Some(KEY), method, path, body).await
}

async fn call_as(
    fake: &StatuspageFake,
    key: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", fake.url()));
    if let Some(key) = key {
        request = request.header("Authorization", format!("OAuth {key}"));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the fake answers");
    let status = response.status();
    let retry_after =
        (response.headers().get("retry-after")).map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        retry_after,
        body,
    }
}

fn incidents_path() -> String {
    format!("/pages/{PAGE}/incidents")
}

#[tokio::test]
async fn lists_components_as_a_bare_array() {
    let fake = fake().await;
    let reply = call(
        &fake,
        Method::GET,
        &format!("/pages/{PAGE}/components"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let names: Vec<&str> = (reply.body.as_array().unwrap().iter())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["API", "Website"]);
    assert_eq!(reply.body[0]["status"], "operational");
    assert_eq!(reply.body[0]["page_id"], PAGE);

    let suffixed = format!("/pages/{PAGE}/components.json");
    let same = call(&fake, Method::GET, &suffixed, None).await;
    assert_eq!(same.body, reply.body, "the `.json` suffix changes nothing");

    let paged = format!("/pages/{PAGE}/components?page=2&per_page=1");
    let reply = call(&fake, Method::GET, &paged, None).await;
    assert_eq!(reply.body.as_array().unwrap().len(), 1);
    assert_eq!(reply.body[0]["id"], "cmpweb");
}

#[tokio::test]
async fn an_incident_goes_through_its_phases_and_moves_components() {
    let fake = fake().await;
    let create = json!({"incident": {
        "name": "API errors", "status": "investigating", "impact_override": "major",
        "body": "We are looking into it", "component_ids": ["cmpapi"],
        "components": {"cmpapi": "major_outage"},
    }});
    let reply = call(&fake, Method::POST, &incidents_path(), Some(create)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(reply.body["impact"], "major");
    assert_eq!(reply.body["components"][0]["status"], "major_outage");
    let update = &reply.body["incident_updates"][0];
    assert_eq!(update["body"], "We are looking into it");
    assert_eq!(
        update["affected_components"][0]["old_status"],
        "operational"
    );

    let path = format!("{}/{id}", incidents_path());
    let steps = [
        ("identified", "partial_outage", Method::PATCH),
        ("monitoring", "degraded_performance", Method::PUT),
        ("resolved", "operational", Method::PATCH),
    ];
    for (status, component, method) in steps {
        let body = json!({"incident": {"status": status, "components": {"cmpapi": component}}});
        let reply = call(&fake, method, &path, Some(body)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["status"], status);
        assert_eq!(
            fake.state().component(PAGE, "cmpapi").unwrap().status,
            component
        );
    }

    let stored = fake.state().incident(PAGE, &id).unwrap();
    assert_eq!(stored.updates.len(), 4);
    assert!(stored.monitoring_at.is_some() && stored.resolved_at.is_some());
    let reply = call(&fake, Method::GET, &format!("{path}.json"), None).await;
    assert_eq!(
        reply.body["incident_updates"][0]["status"], "resolved",
        "newest first"
    );
}

#[tokio::test]
async fn unresolved_lists_only_open_incidents() {
    let fake = fake().await;
    let s = fake.state();
    let open = s.add_incident(PAGE, "Open one", "identified").unwrap();
    s.add_incident(PAGE, "Old one", "resolved").unwrap();
    let path = format!("/pages/{PAGE}/incidents/unresolved");
    let reply = call(&fake, Method::GET, &path, None).await;
    let ids: Vec<&str> = (reply.body.as_array().unwrap().iter())
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [open.as_str()]);
    let all = call(&fake, Method::GET, &incidents_path(), None).await;
    assert_eq!(all.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn auth_is_an_oauth_header_or_the_api_key_parameter() {
    let fake = fake().await;
    let path = format!("/pages/{PAGE}/components");
    let reply = call_as(&fake, None, Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body, json!({"message": "Could not authenticate"}));
    let wrong = call_as(&fake, Some("nope"), Method::GET, &path, None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let query = call_as(
        &fake,
        None,
        Method::GET,
        &format!("{path}?api_key={KEY}"),
        None,
    )
    .await;
    assert_eq!(query.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_pages_and_incidents_are_404() {
    let fake = fake().await;
    let reply = call(&fake, Method::GET, "/pages/nope/components", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body["message"].is_string());
    let path = format!("{}/nope", incidents_path());
    let body = json!({"incident": {"status": "resolved"}});
    let reply = call(&fake, Method::PATCH, &path, Some(body)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_writes_are_refused_with_a_message_and_change_nothing() {
    let fake = fake().await;
    let cases = [
        (json!({"name": "no wrapper"}), 400),
        (json!({"incident": {"status": "investigating"}}), 422),
        (
            json!({"incident": {"name": "x", "components": {"ghost": "major_outage"}}}),
            422,
        ),
        (
            json!({"incident": {"name": "x", "body": "b".repeat(25_001)}}),
            422,
        ),
        (json!({"incident": {"name": "n".repeat(256)}}), 422),
    ];
    for (body, status) in cases {
        let reply = call(&fake, Method::POST, &incidents_path(), Some(body)).await;
        assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
        assert!(reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    assert!(fake.state().incidents(PAGE).is_empty());
    assert_eq!(
        fake.state().component(PAGE, "cmpapi").unwrap().status,
        "operational"
    );
}

#[tokio::test]
async fn markup_is_stored_as_text() {
    let fake = fake().await;
    let name = "<script>alert(1)</script> & \u{202e}txt";
    let body = json!({"incident": {"name": name}});
    let reply = call(&fake, Method::POST, &incidents_path(), Some(body)).await;
    assert_eq!(reply.body["name"], name);
}

#[tokio::test]
async fn a_second_request_within_the_interval_is_throttled_alternately() {
    let fake = fake().await;
    fake.state().set_min_interval(Duration::from_secs(60));
    let path = format!("/pages/{PAGE}/components");
    assert_eq!(
        call(&fake, Method::GET, &path, None).await.status,
        StatusCode::OK
    );
    let first = call(&fake, Method::GET, &path, None).await;
    let second = call(&fake, Method::GET, &path, None).await;
    assert_eq!([first.status.as_u16(), second.status.as_u16()], [420, 429]);
    assert_eq!(first.retry_after, None);

    fake.state().set_throttle_status(ThrottleStatus::TooMany);
    fake.state().set_retry_after(true);
    let third = call(&fake, Method::GET, &path, None).await;
    assert_eq!(third.status.as_u16(), 429);
    let secs: u64 = third.retry_after.unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
}

#[tokio::test]
async fn the_limit_is_per_key_and_lifts_after_the_interval() {
    let fake = fake().await;
    fake.state().add_api_key("other-key");
    fake.state().set_min_interval(Duration::from_millis(300));
    let path = format!("/pages/{PAGE}/components");
    assert_eq!(
        call(&fake, Method::GET, &path, None).await.status,
        StatusCode::OK
    );
    let other = call_as(&fake, Some("other-key"), Method::GET, &path, None).await;
    assert_eq!(other.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        call(&fake, Method::GET, &path, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_throttled_write_is_not_applied_and_requests_are_recorded() {
    let fake = fake().await;
    let throttle = Fault::Throttle {
        status: 420,
        retry_after: Some(2),
    };
    fake.state().fail_next(1, throttle);
    let body = json!({"incident": {"name": "x", "components": {"cmpweb": "partial_outage"}}});
    let reply = call(&fake, Method::POST, &incidents_path(), Some(body.clone())).await;
    assert_eq!(reply.status.as_u16(), 420);
    assert_eq!(reply.retry_after.as_deref(), Some("2"));
    assert!(fake.state().incidents(PAGE).is_empty());
    assert_eq!(
        fake.state().component(PAGE, "cmpweb").unwrap().status,
        "operational"
    );

    let requests = fake.state().requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, format!("/v1/pages/{PAGE}/incidents"));
    assert_eq!(
        serde_json::from_str::<Value>(&requests[0].body).unwrap(),
        body
    );
    assert_eq!(requests[0].status, 420);
}

#[tokio::test]
async fn a_malformed_fault_cuts_the_body_short() {
    let fake = fake().await;
    fake.state().fail_next(1, Fault::Malformed);
    let reply = call(
        &fake,
        Method::GET,
        &format!("/pages/{PAGE}/components"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_string(), "not JSON: {}", reply.body);
}

#[tokio::test]
async fn a_form_encoded_create_works_like_a_json_one() {
    let fake = fake().await;
    let form = [
        ("incident[name]", "Form incident"),
        ("incident[body]", "Sent as a form"),
        ("incident[component_ids][]", "cmpweb"),
        ("incident[components][cmpweb]", "degraded_performance"),
    ];
    let response = reqwest::Client::new()
        .post(format!("{}{}", fake.url(), incidents_path()))
        .header("Authorization", format!("OAuth {KEY}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored = &fake.state().incidents(PAGE)[0];
    assert_eq!(stored.name, "Form incident");
    assert_eq!(stored.updates[0].body, "Sent as a form");
    let web = fake.state().component(PAGE, "cmpweb").unwrap();
    assert_eq!(web.status, "degraded_performance");
}
