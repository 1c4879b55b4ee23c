//! Statuspage against its fake: the incident lifecycle, pacing, throttling and refusals.

use std::time::Duration;

use tocsin::error::Error;
use tocsin::provider::statuspage::{
    ComponentStatus, Impact, StatusDraft, StatusPhase, Statuspage, MAX_BODY_CHARS,
};
use tocsin_fakes::statuspage::{Fault, RecordedRequest, StatuspageFake};

const KEY: &str = "sp-fake-key-0123456789";
const PAGE: &str = "pgacme01";

/// A page with an API and a website component, and one valid key.
async fn fake() -> StatuspageFake {
    let fake = StatuspageFake::start().await;
    let s = fake.state();
    s.add_api_key(KEY);
    s.add_page(PAGE, "Acme status");
    s.add_component(PAGE, "cmpapi", "API");
    s.add_component(PAGE, "cmpweb", "Website");
    fake
}

fn client(fake: &StatuspageFake) -> Statuspage {
    Statuspage::new(&fake.url(), PAGE, KEY).unwrap()
}

fn draft(phase: StatusPhase, components: &[(&str, ComponentStatus)]) -> StatusDraft {
    StatusDraft {
        name: "Checkout API errors".into(),
        phase,
        impact: Impact::Major,
        body: format!("We are {}.", phase.as_str()),
        components: (components.iter())
            .map(|(id, status)| ((*id).to_owned(), *status))
            .collect(),
    }
}

/// The contract: the server saw no two requests less than a second apart.
fn assert_paced(requests: &[RecordedRequest]) {
    for pair in requests.windows(2) {
        let gap = pair[1].received_at - pair[0].received_at;
        assert!(
            gap >= Duration::from_secs(1),
            "{} {} came {gap:?} after {} {}",
            pair[1].method,
            pair[1].path,
            pair[0].method,
            pair[0].path
        );
    }
}

fn statuses(requests: &[RecordedRequest]) -> Vec<u16> {
    requests.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn an_incident_moves_through_its_phases_and_its_components_follow() {
    use ComponentStatus::*;
    let fake = fake().await;
    let sp = client(&fake);
    let components = sp.components().await.unwrap();
    assert_eq!(components.len(), 2);
    assert_eq!(components[0].status, Some(Operational));

    let opening = draft(StatusPhase::Investigating, &[("cmpapi", MajorOutage)]);
    let created = sp.create_incident(&opening).await.unwrap();
    assert_eq!(created.phase, Some(StatusPhase::Investigating));
    assert_eq!(created.impact, Some(Impact::Major));
    assert_eq!(created.updates[0].body, "We are investigating.");

    let steps = [
        (StatusPhase::Identified, PartialOutage),
        (StatusPhase::Monitoring, DegradedPerformance),
        (StatusPhase::Resolved, Operational),
    ];
    for (phase, status) in steps {
        let next = draft(phase, &[("cmpapi", status)]);
        let updated = sp.update_incident(&created.id, &next).await.unwrap();
        assert_eq!(updated.phase, Some(phase));
        assert_eq!(updated.components[0].status, Some(status));
        let stored = fake.state().component(PAGE, "cmpapi").unwrap();
        assert_eq!(stored.status, status.as_str());
    }
    assert!(sp.open_incidents().await.unwrap().is_empty());

    let stored = fake.state().incident(PAGE, &created.id).unwrap();
    assert_eq!(stored.status, "resolved");
    let phases: Vec<&str> = stored.updates.iter().map(|u| u.status.as_str()).collect();
    assert_eq!(
        phases,
        ["investigating", "identified", "monitoring", "resolved"]
    );
    assert_eq!(
        stored.updates[1].affected_components[0].old_status,
        "major_outage"
    );
    assert_eq!(
        fake.state().component(PAGE, "cmpweb").unwrap().status,
        "operational"
    );

    let requests = fake.state().requests();
    assert_eq!(statuses(&requests), [200, 201, 200, 200, 200, 200]);
    assert_paced(&requests);
}

#[tokio::test]
async fn a_burst_of_updates_from_clones_is_paced_not_throttled() {
    let fake = fake().await;
    let sp = client(&fake);
    let id = sp
        .create_incident(&draft(StatusPhase::Investigating, &[]))
        .await
        .unwrap()
        .id;
    let updates: Vec<_> = (0..3)
        .map(|_| {
            let (sp, id) = (sp.clone(), id.clone());
            tokio::spawn(async move {
                let next = draft(StatusPhase::Identified, &[]);
                sp.update_incident(&id, &next).await
            })
        })
        .collect();
    for update in updates {
        update.await.unwrap().unwrap();
    }

    let requests = fake.state().requests();
    assert_eq!(statuses(&requests), [201, 200, 200, 200]);
    assert_paced(&requests);
}

#[tokio::test]
async fn a_throttled_write_is_sent_again_after_420_or_429_with_or_without_retry_after() {
    let fake = fake().await;
    let sp = client(&fake);
    let faults = [(420, Some(1)), (420, None), (429, Some(2)), (429, None)];
    for (status, retry_after) in faults {
        fake.state().clear_requests();
        fake.state().fail_next(
            1,
            Fault::Throttle {
                status,
                retry_after,
            },
        );
        let created = sp
            .create_incident(&draft(StatusPhase::Investigating, &[]))
            .await;
        assert!(created.is_ok(), "{status} {retry_after:?}: {created:?}");

        let requests = fake.state().requests();
        assert_eq!(statuses(&requests), [status, 201]);
        let waited = requests[1].received_at - requests[0].received_at;
        let asked = Duration::from_secs(retry_after.unwrap_or(1));
        assert!(waited >= asked, "{status} {retry_after:?}: {waited:?}");
    }
    assert_eq!(
        fake.state().incidents(PAGE).len(),
        4,
        "each incident created once"
    );
}

#[tokio::test]
async fn a_read_recovers_from_throttling() {
    let fake = fake().await;
    let sp = client(&fake);
    let throttle = |status| Fault::Throttle {
        status,
        retry_after: None,
    };
    fake.state().fail_next(1, throttle(420));
    assert_eq!(sp.components().await.unwrap().len(), 2);
    fake.state().fail_next(1, throttle(429));
    assert!(sp.open_incidents().await.unwrap().is_empty());
    assert_eq!(statuses(&fake.state().requests()), [420, 200, 429, 200]);
}

#[tokio::test]
async fn two_clients_of_one_key_share_its_pace() {
    let fake = fake().await;
    let (a, b) = (client(&fake), client(&fake));
    let first = draft(StatusPhase::Investigating, &[]);
    let second = first.clone();
    let (ra, rb) = tokio::join!(a.create_incident(&first), b.create_incident(&second));
    ra.unwrap();
    rb.unwrap();

    let requests = fake.state().requests();
    assert_eq!(statuses(&requests), [201, 201]);
    assert_paced(&requests);
}

#[tokio::test]
async fn a_write_recovers_when_someone_else_used_the_key_just_before() {
    let fake = fake().await;
    // A wider interval than the server's, told in Retry-After, so a slow machine cannot let
    // the second request slip past the limit.
    fake.state().set_min_interval(Duration::from_secs(3));
    fake.state().set_retry_after(true);
    let sp = client(&fake);
    let elsewhere = reqwest::Client::new()
        .get(format!("{}/pages/{PAGE}/components", fake.url()))
        .header("Authorization", format!("OAuth {KEY}"))
        .send()
        .await
        .unwrap();
    assert!(elsewhere.status().is_success());

    sp.create_incident(&draft(StatusPhase::Investigating, &[]))
        .await
        .unwrap();
    let requests = fake.state().requests();
    assert_eq!(statuses(&requests), [200, 420, 201]);
    assert!(requests[2].received_at - requests[0].received_at >= Duration::from_secs(3));
    assert_eq!(fake.state().incidents(PAGE).len(), 1);
}

#[tokio::test]
async fn a_long_retry_after_is_reported_not_waited_out() {
    let fake = fake().await;
    let sp = client(&fake);
    let throttle = Fault::Throttle {
        status: 429,
        retry_after: Some(120),
    };
    fake.state().fail_next(1, throttle);
    let error = sp
        .create_incident(&draft(StatusPhase::Investigating, &[]))
        .await
        .unwrap_err();
    let Error::RateLimited {
        retry_after_secs, ..
    } = error
    else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(retry_after_secs, 120);
    assert_eq!(fake.state().requests().len(), 1);
}

#[tokio::test]
async fn a_write_throttled_again_and_again_gives_up_with_rate_limited() {
    let fake = fake().await;
    let sp = client(&fake);
    let throttle = Fault::Throttle {
        status: 429,
        retry_after: Some(1),
    };
    fake.state().fail_next(5, throttle);
    let error = sp
        .create_incident(&draft(StatusPhase::Investigating, &[]))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limited", "{error}");
    assert!(fake.state().incidents(PAGE).is_empty());
    assert_eq!(fake.state().requests().len(), 5);
}

#[tokio::test]
async fn a_rejected_key_is_unauthorized() {
    let fake = fake().await;
    let sp = Statuspage::new(&fake.url(), PAGE, "not-the-key").unwrap();
    let read = sp.components().await.unwrap_err();
    assert!(matches!(read, Error::Unauthorized { .. }), "{read:?}");
    let write = (sp
        .create_incident(&draft(StatusPhase::Investigating, &[]))
        .await)
        .unwrap_err();
    assert!(matches!(write, Error::Unauthorized { .. }), "{write:?}");
    assert!(!write.to_string().contains("not-the-key"), "{write}");
}

#[tokio::test]
async fn a_malformed_answer_is_the_malformed_error_and_the_write_is_not_repeated() {
    let fake = fake().await;
    let sp = client(&fake);
    fake.state().fail_next(1, Fault::Malformed);
    let error = (sp
        .create_incident(&draft(StatusPhase::Investigating, &[]))
        .await)
        .unwrap_err();
    assert!(matches!(error, Error::Malformed { .. }), "{error:?}");
    // The write landed before its answer was cut short, so sending it again would duplicate it.
    assert_eq!(fake.state().requests().len(), 1);
    assert_eq!(fake.state().incidents(PAGE).len(), 1);

    fake.state().fail_next(4, Fault::Malformed);
    let error = sp.components().await.unwrap_err();
    assert!(matches!(error, Error::Malformed { .. }), "{error:?}");
}

#[tokio::test]
async fn server_refusals_are_provider_errors_with_the_servers_message() {
    let fake = fake().await;
    let sp = client(&fake);
    let next = draft(StatusPhase::Resolved, &[]);
    let missing = sp
        .update_incident("nosuchincident", &next)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::Provider { status: 404, .. }),
        "{missing:?}"
    );

    fake.state().fail_next(1, Fault::Status(422));
    let refused = sp.create_incident(&next).await.unwrap_err();
    assert!(
        matches!(refused, Error::Provider { status: 422, .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("told to fail"), "{refused}");

    let elsewhere = Statuspage::new(&fake.url(), "nosuchpage", KEY).unwrap();
    let missing = elsewhere.components().await.unwrap_err();
    assert!(
        matches!(missing, Error::Provider { status: 404, .. }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn hostile_text_is_sent_as_data_or_refused_before_sending() {
    let fake = fake().await;
    let sp = client(&fake);
    let mut html = draft(StatusPhase::Investigating, &[]);
    html.name = "<img src=x onerror=alert(1)> & co".into();
    html.body = "<script>alert('x')</script>\n**bold**".into();
    let created = sp.create_incident(&html).await.unwrap();
    let stored = fake.state().incident(PAGE, &created.id).unwrap();
    assert_eq!(stored.name, html.name);
    assert_eq!(stored.updates[0].body, html.body);

    let mut longest = draft(StatusPhase::Identified, &[]);
    longest.body = "é".repeat(MAX_BODY_CHARS);
    sp.update_incident(&created.id, &longest).await.unwrap();
    assert_eq!(fake.state().requests().len(), 2);

    let mut bidi = draft(StatusPhase::Investigating, &[]);
    bidi.name = "Payments \u{202e}lanigiro".into();
    let mut huge = draft(StatusPhase::Investigating, &[]);
    huge.body = "x".repeat(1 << 20);
    let mut ghost = draft(
        StatusPhase::Investigating,
        &[("cmpghost", ComponentStatus::MajorOutage)],
    );
    ghost.name = "Ghost".into();
    for refused in [bidi, huge, ghost] {
        let error = sp.create_incident(&refused).await.unwrap_err();
        assert!(matches!(error, Error::Invalid(_)), "{error:?}");
    }
    // Only the unknown component cost a request: reading the components again to be sure.
    let requests = fake.state().requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].method, "GET");
    assert_eq!(fake.state().incidents(PAGE).len(), 1);
}

#[tokio::test]
async fn open_incidents_are_read_page_by_page() {
    let fake = fake().await;
    for n in 0..150 {
        fake.state()
            .add_incident(PAGE, &format!("Incident {n}"), "identified");
    }
    fake.state().add_incident(PAGE, "Over", "resolved");
    let open = client(&fake).open_incidents().await.unwrap();
    assert_eq!(open.len(), 150);
    assert_eq!(open[0].name, "Incident 149", "newest first");
    let requests = fake.state().requests();
    assert_eq!(requests.len(), 2);
    assert_paced(&requests);
}

#[tokio::test]
async fn a_message_only_update_leaves_the_components_as_they_are() {
    let fake = fake().await;
    let sp = client(&fake);
    let opening = draft(
        StatusPhase::Investigating,
        &[("cmpapi", ComponentStatus::MajorOutage)],
    );
    let id = sp.create_incident(&opening).await.unwrap().id;
    let words = draft(StatusPhase::Identified, &[]);
    let updated = sp.update_incident(&id, &words).await.unwrap();

    assert_eq!(updated.components.len(), 1);
    assert_eq!(
        updated.components[0].status,
        Some(ComponentStatus::MajorOutage)
    );
    let stored = fake.state().incident(PAGE, &id).unwrap();
    assert_eq!(stored.component_ids, ["cmpapi"]);
    assert_eq!(
        fake.state().component(PAGE, "cmpapi").unwrap().status,
        "major_outage"
    );
}
