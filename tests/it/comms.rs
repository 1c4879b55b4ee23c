//! Publishing to Statuspage through the outbox, against its fake: the whole lifecycle with
//! component statuses, an outage replayed in order, throttling, and `kill -9` between
//! sending and recording leaving exactly one Statuspage incident.

use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::time::Duration;

use tocsin::comms::{NewStatusPage, StatusRequest, UpdateFields};
use tocsin::model::{Id, OutboxState, TokenSource};
use tocsin::provider::statuspage::{ComponentStatus, Impact, StatusPhase};
use tocsin::Tocsin;
use tocsin_fakes::statuspage::{Fault, StatuspageFake};

use crate::support::{open_db, wait_for, Cli};

const KEY: &str = "sp-comms-key-0123456789";
const PAGE: &str = "pgcomms1";

async fn fake_on(addr: SocketAddr) -> StatuspageFake {
    let fake = StatuspageFake::start_on(addr).await;
    let s = fake.state();
    s.add_api_key(KEY);
    s.add_page(PAGE, "Acme status");
    s.add_component(PAGE, "cmpapi", "API");
    s.add_component(PAGE, "cmpweb", "Website");
    fake
}

async fn fake() -> StatuspageFake {
    fake_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
}

struct Setup {
    tocsin: Tocsin,
    incident: Id,
    page: Id,
    _dir: tempfile::TempDir,
}

/// A core with a local incident and the fake's page, its key in the variable `var`.
async fn setup(fake: &StatuspageFake, var: &str) -> Setup {
    std::env::set_var(var, KEY);
    let dir = tempfile::tempdir().unwrap();
    let tocsin = Tocsin::open(dir.path()).unwrap();
    let incident = tocsin.declare_local("Checkout API errors", 2).unwrap().id;
    let new = NewStatusPage {
        name: "acme".into(),
        api_url: fake.url(),
        page_id: PAGE.into(),
        key: TokenSource::Env { var: var.into() },
    };
    let page = tocsin.add_status_page(new, None).unwrap().id;
    tocsin.statuspage_components(page).await.unwrap();
    Setup {
        tocsin,
        incident,
        page,
        _dir: dir,
    }
}

impl Setup {
    /// Previews and queues one publication; returns the outbox entry.
    fn publish(&self, phase: StatusPhase, status: ComponentStatus) -> Id {
        let request = StatusRequest {
            name: None,
            phase,
            impact: Impact::Major,
            body: Some(format!("We are {}.", phase.as_str())),
            components: vec![("cmpapi".into(), status)],
            fields: UpdateFields::default(),
        };
        let t = &self.tocsin;
        let preview = t
            .statuspage_preview(self.incident, self.page, &request)
            .unwrap();
        assert!(preview.problems.is_empty(), "{:?}", preview.problems);
        t.statuspage_publish(self.incident, self.page, &preview, "Ana")
            .unwrap()
    }

    async fn send(&self) {
        self.tocsin.send_outbox(None).await.unwrap();
    }

    fn state(&self, entry: Id) -> OutboxState {
        self.tocsin.store().outbox_entry(entry).unwrap().state
    }
}

fn phases(fake: &StatuspageFake) -> Vec<Vec<String>> {
    let incidents = fake.state().incidents(PAGE);
    (incidents.iter())
        .map(|i| i.updates.iter().map(|u| u.status.clone()).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incident_is_published_through_its_phases_with_component_statuses() {
    use ComponentStatus::*;
    let fake = fake().await;
    let s = setup(&fake, "TOCSIN_SP_LIFECYCLE").await;
    let steps = [
        (StatusPhase::Investigating, MajorOutage),
        (StatusPhase::Identified, PartialOutage),
        (StatusPhase::Monitoring, DegradedPerformance),
        (StatusPhase::Resolved, Operational),
    ];
    for (phase, status) in steps {
        let entry = s.publish(phase, status);
        s.send().await;
        assert_eq!(s.state(entry), OutboxState::Done);
        let stored = fake.state().component(PAGE, "cmpapi").unwrap();
        assert_eq!(stored.status, status.as_str(), "after {phase:?}");
    }

    let expected = ["investigating", "identified", "monitoring", "resolved"];
    assert_eq!(phases(&fake), [expected.map(String::from).to_vec()]);
    let stored = &fake.state().incidents(PAGE)[0];
    assert_eq!(stored.name, "Checkout API errors");
    assert_eq!(
        stored.updates[1].affected_components[0].new_status,
        "partial_outage"
    );
    let links = s.tocsin.status_links(s.incident).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].status_incident_id.as_str(), links[0].explicit),
        (stored.id.as_str(), false)
    );

    let timeline = s.tocsin.incident(s.incident).unwrap().timeline;
    let published: Vec<_> = timeline.iter().filter(|e| e.kind == "statuspage").collect();
    assert_eq!(published.len(), 4);
    assert!(published
        .iter()
        .all(|e| e.outbox_state == Some(OutboxState::Done)));
}

#[tokio::test(flavor = "multi_thread")]
async fn publications_queued_while_the_page_is_down_are_replayed_in_order() {
    let first = fake().await;
    let addr: SocketAddr = first
        .url()
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .parse()
        .unwrap();
    let s = setup(&first, "TOCSIN_SP_OFFLINE").await;
    drop(first);
    // The server task stops at its next poll; give it that moment before calling.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let entries = [
        s.publish(StatusPhase::Investigating, ComponentStatus::MajorOutage),
        s.publish(StatusPhase::Identified, ComponentStatus::PartialOutage),
    ];
    s.send().await;
    let entry = s.tocsin.store().outbox_entry(entries[0]).unwrap();
    assert_eq!(
        (entry.state, entry.last_error_code.as_deref()),
        (OutboxState::Pending, Some("offline"))
    );
    assert_eq!(
        s.state(entries[1]),
        OutboxState::Pending,
        "waits behind the first"
    );

    let back = fake_on(addr).await;
    s.tocsin.store().outbox_retry_now(None).unwrap();
    s.send().await;
    assert!(entries.iter().all(|e| s.state(*e) == OutboxState::Done));
    let expected = vec![vec!["investigating".to_owned(), "identified".to_owned()]];
    assert_eq!(
        phases(&back),
        expected,
        "one incident, updated in the order queued"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_publication_waits_and_is_sent_once() {
    let fake = fake().await;
    let s = setup(&fake, "TOCSIN_SP_THROTTLE").await;
    let throttle = |status, retry_after| Fault::Throttle {
        status,
        retry_after,
    };
    fake.state().fail_next(1, throttle(420, None));
    fake.state().fail_next(1, throttle(429, Some(1)));
    let entry = s.publish(StatusPhase::Investigating, ComponentStatus::MajorOutage);
    s.send().await;
    assert_eq!(s.state(entry), OutboxState::Done);
    let posts: Vec<_> = (fake.state().requests().into_iter())
        .filter(|r| r.method == "POST")
        .collect();
    let statuses: Vec<u16> = posts.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [420, 429, 201]);
    for pair in posts.windows(2) {
        let gap = pair[1].received_at - pair[0].received_at;
        assert!(gap >= Duration::from_secs(1), "sent again after {gap:?}");
    }
    assert_eq!(fake.state().incidents(PAGE).len(), 1);
}

/// Starts `tocsin args…` stopped at `failpoint`, waits for `reached`, then kills it with -9.
fn kill_at(cli: &Cli, args: &[&str], failpoint: &str, reached: impl FnMut() -> Option<()>) {
    let mut child: Child = cli
        .command()
        .args(args)
        .env("TOCSIN_FAILPOINT", failpoint)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(30), failpoint, reached);
    // The failpoint logs before it sleeps; a moment more makes sure it is sleeping.
    std::thread::sleep(Duration::from_millis(200));
    let _ = child.kill();
    let _ = child.wait();
}

/// `tocsin statuspage publish #1 …` for one phase and the API component's status.
fn publish_args(phase: &str, status: &str) -> Vec<String> {
    let component = format!("cmpapi={status}");
    let args = [
        "statuspage",
        "publish",
        "#1",
        "--page",
        "acme",
        "--phase",
        phase,
    ];
    let rest = ["--impact", "major", "--component", &component];
    args.iter().chain(&rest).map(|a| a.to_string()).collect()
}

fn last_state(cli: &Cli) -> Option<String> {
    let db = open_db(&cli.db_path());
    let sql = "SELECT state FROM outbox ORDER BY id DESC LIMIT 1";
    db.query_row(sql, [], |r| r.get(0)).ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_between_sending_and_recording_leaves_one_statuspage_incident() {
    let fake = fake().await;
    let (url, handle) = (fake.url(), fake.state());
    // Each CLI run has its own pacer; the fake's limit is not what this test is about.
    handle.set_min_interval(Duration::ZERO);
    tokio::task::spawn_blocking(move || {
        let mut cli = Cli::new();
        cli.env.push(("SP_KEY".into(), KEY.into()));
        cli.ok(&["declare", "Search is down", "--severity", "2"]);
        let add = ["statuspage", "add", "--name", "acme", "--api-url", &url];
        cli.ok(&[&add[..], &["--page-id", PAGE, "--key-env", "SP_KEY"]].concat());
        let count = |method: &str| {
            (handle.requests().iter())
                .filter(|r| r.method == method && r.status < 300)
                .count()
        };

        let create = publish_args("investigating", "major_outage");
        let create: Vec<&str> = create.iter().map(String::as_str).collect();
        kill_at(&cli, &create, "outbox-after-send", || {
            (count("POST") == 1).then_some(())
        });
        assert_eq!(last_state(&cli).as_deref(), Some("sending"));
        cli.ok(&["sync", "--once"]);
        assert_eq!(last_state(&cli).as_deref(), Some("done"));
        assert_eq!(count("POST"), 1, "the resend found the first send");
        assert_eq!(handle.incidents(PAGE).len(), 1);

        let update = publish_args("monitoring", "degraded_performance");
        let update: Vec<&str> = update.iter().map(String::as_str).collect();
        kill_at(&cli, &update, "outbox-after-send", || {
            (count("PATCH") == 1).then_some(())
        });
        cli.ok(&["sync", "--once"]);
        assert_eq!(last_state(&cli).as_deref(), Some("done"));
        assert_eq!(
            count("PATCH"),
            1,
            "the resent update was already on the page"
        );

        let incidents = handle.incidents(PAGE);
        assert_eq!(incidents.len(), 1);
        let phases: Vec<&str> = incidents[0]
            .updates
            .iter()
            .map(|u| u.status.as_str())
            .collect();
        assert_eq!(phases, ["investigating", "monitoring"]);
        assert_eq!(
            handle.component(PAGE, "cmpapi").unwrap().status,
            "degraded_performance"
        );
        let links = cli.json(&["statuspage", "links", "#1", "--json"]);
        assert_eq!(
            links["links"][0]["status_incident_id"],
            incidents[0].id.as_str()
        );
    })
    .await
    .unwrap();
}

/// Runs `tocsin args…` with `input` on standard input; returns stdout and stderr together.
fn run_with_stdin(cli: &Cli, args: &[&str], input: &str) -> String {
    let mut child = (cli.command().args(args))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "tocsin {args:?}: {text}");
    text
}

/// Every byte the store has on disk, WAL and shared memory included.
fn database_bytes(cli: &Cli) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(cli.data_dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap_or_default());
    }
    bytes
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_key_lives_in_the_keychain_and_a_rejected_one_is_replaced() {
    const NEW_KEY: &str = "sp-rotated-key-9876543210";
    let fake = fake().await;
    let (url, handle) = (fake.url(), fake.state());
    handle.set_min_interval(Duration::ZERO);
    tokio::task::spawn_blocking(move || {
        let keychain = crate::support::Keychain::start();
        let mut cli = Cli::new();
        cli.env = keychain.env();
        cli.env.push(("TOCSIN_LOG".into(), "trace".into()));
        let add = ["statuspage", "add", "--name", "acme", "--api-url", &url];
        let add = [&add[..], &["--page-id", PAGE, "--key-stdin"]].concat();
        let said = run_with_stdin(&cli, &add, KEY);
        assert!(!said.contains(KEY), "{said}");
        cli.ok(&["declare", "Search is down"]);

        let create = publish_args("investigating", "major_outage");
        let create: Vec<&str> = create.iter().map(String::as_str).collect();
        let said = cli.ok(&create);
        assert!(said.contains("sent to"), "{said}");
        assert_eq!(handle.incidents(PAGE).len(), 1);
        let on_disk = database_bytes(&cli);
        let found = on_disk.windows(KEY.len()).any(|w| w == KEY.as_bytes());
        assert!(!found, "the key is not in the database");

        handle.revoke_api_key(KEY);
        handle.add_api_key(NEW_KEY);
        let update = publish_args("identified", "partial_outage");
        let update: Vec<&str> = update.iter().map(String::as_str).collect();
        let said = cli.ok(&update);
        assert!(
            said.contains("queued") && said.contains("rejected"),
            "{said}"
        );
        run_with_stdin(&cli, &["statuspage", "key", "acme", "--key-stdin"], NEW_KEY);
        cli.ok(&["sync", "--once"]);

        let incidents = handle.incidents(PAGE);
        assert_eq!(incidents.len(), 1, "the same incident, updated");
        let phases: Vec<&str> = incidents[0]
            .updates
            .iter()
            .map(|u| u.status.as_str())
            .collect();
        assert_eq!(phases, ["investigating", "identified"]);
        drop(keychain);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_titles_stay_text_and_invisible_characters_are_refused() {
    let fake = fake().await;
    let (url, handle) = (fake.url(), fake.state());
    handle.set_min_interval(Duration::ZERO);
    tokio::task::spawn_blocking(move || {
        let mut cli = Cli::new();
        cli.env.push(("SP_KEY".into(), KEY.into()));
        let markup = "<script>alert(1)</script> [x](https://evil.example)";
        cli.ok(&["declare", markup, "--severity", "1"]);
        cli.ok(&["declare", "invoice\u{202e}fdp.exe", "--severity", "1"]);
        let add = ["statuspage", "add", "--name", "acme", "--api-url", &url];
        cli.ok(&[&add[..], &["--page-id", PAGE, "--key-env", "SP_KEY"]].concat());

        let draft = cli.json(&["update", "draft", "#1", "--audience", "internal", "--json"]);
        let subject = draft["subject"].as_str().unwrap();
        assert!(
            subject.contains(r"\<script\>") && !subject.contains("](h"),
            "{subject}"
        );

        let publish = ["statuspage", "publish", "#1", "--page", "acme", "--phase"];
        let publish = [
            &publish[..],
            &["investigating", "--impact", "minor", "--json"],
        ]
        .concat();
        let sent = cli.json(&publish);
        assert_eq!(sent["outbox"]["state"], "done", "{sent}");
        assert_eq!(
            handle.incidents(PAGE)[0].name,
            markup,
            "published as the text it is"
        );

        // A title's invisible characters are replaced in the default name; a name typed
        // with one is refused, and nothing is sent.
        let mut second = publish.clone();
        second[2] = "#2";
        second.push("--preview");
        let preview = cli.json(&second);
        let title = preview["preview"]["title"].as_str().unwrap();
        assert_eq!(title, "invoice\u{fffd}fdp.exe");
        second.pop();
        let out = cli.run(&[&second[..], &["--name", "invoice\u{202e}fdp.exe"]].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("U+202E"),
            "{stderr}"
        );
        assert!(
            !stderr.contains('\u{202e}'),
            "the error shows no bidi override"
        );
        assert_eq!(handle.incidents(PAGE).len(), 1, "nothing was sent for #2");
    })
    .await
    .unwrap();
}
