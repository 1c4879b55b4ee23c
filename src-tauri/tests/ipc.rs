//! Invokes the app's commands through the mock runtime and the real capability file, the way
//! the window does, so a command missing from the capability or the handler fails here.

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};
use tocsin::paging::RecordingNotifier;
use tocsin_desktop::{app_builder, ShellOptions, UpdateSource, MAIN_WINDOW};

/// The origin the app's own assets load from on Linux and macOS.
const APP_ORIGIN: &str = "tauri://localhost";

fn app(data_dir: &Path) -> App<MockRuntime> {
    let options = ShellOptions {
        data_dir: data_dir.to_path_buf(),
        run_sync: false,
        notifier: Some(Arc::new(RecordingNotifier::default())),
        // Nothing here checks for updates; should anything try, it meets a closed loopback port.
        updates: UpdateSource {
            base: "http://127.0.0.1:9/updates".into(),
        },
        update_pubkey: None,
    };
    app_builder(mock_builder(), options)
        .expect("the cache opens")
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime")
}

/// Opens the main window as tauri.conf.json declares it; `App::run` would, but tests don't run.
fn main_window(app: &App<MockRuntime>) -> WebviewWindow<MockRuntime> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW);
    let config = config.expect("tauri.conf.json declares the main window");
    WebviewWindowBuilder::from_config(app, config)
        .and_then(|builder| builder.build())
        .expect("the main window opens on the mock runtime")
}

fn invoke_from(
    window: &WebviewWindow<MockRuntime>,
    origin: &str,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: origin.parse().expect("a valid origin"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize().expect("a JSON answer"))
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke_from(window, APP_ORIGIN, cmd, args)
}

#[test]
fn a_declared_incident_is_listed_with_its_title_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let title = "<img src=x onerror=alert(1)> DB on fire";

    let declared = invoke(
        &window,
        "declare_incident",
        json!({ "accountId": null, "declaration": { "title": title, "severity": 2 } }),
    )
    .expect("declare_incident is allowed");
    assert_eq!(declared["title"], title);
    assert_eq!(declared["severity"], 2);

    let listed = invoke(&window, "list_incidents", json!({ "filter": {} })).unwrap();
    let titles: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["title"])
        .collect();
    assert_eq!(titles, [title]);

    let detail = invoke(&window, "get_incident", json!({ "id": declared["id"] })).unwrap();
    assert_eq!(detail["incident"]["id"], declared["id"]);
}

#[test]
fn a_drill_is_marked_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    let drill = invoke(&window, "start_drill", json!({})).unwrap();
    assert_eq!(drill["is_drill"], true);
}

#[test]
fn core_errors_reach_the_ui_as_code_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    let err = invoke(
        &window,
        "declare_incident",
        json!({ "accountId": null, "declaration": { "title": " ", "severity": 2 } }),
    )
    .expect_err("an empty title is refused");
    assert_eq!(err["code"], "invalid");
    assert!(err["message"].as_str().unwrap().contains("title"), "{err}");

    let err = invoke(&window, "get_incident", json!({ "id": 999_999 })).unwrap_err();
    assert_eq!(err["code"], "not_found");
}

#[test]
fn read_commands_answer_on_an_empty_cache() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    for cmd in [
        "list_services",
        "oncall_now",
        "account_health",
        "list_accounts",
        "sync_now",
        "pager_status",
    ] {
        invoke(&window, cmd, json!({})).unwrap_or_else(|e| panic!("{cmd} failed: {e}"));
    }
}

#[test]
fn an_account_without_a_token_can_be_added() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let account = json!({
        "name": "lab",
        "kind": "alertmanager",
        "api_url": "http://127.0.0.1:9093",
        "token": { "kind": "none" },
        "email": null,
    });

    let added = invoke(
        &window,
        "add_account",
        json!({ "account": account, "token": null }),
    )
    .unwrap();
    assert_eq!(added["name"], "lab");
    let accounts = invoke(&window, "list_accounts", json!({})).unwrap();
    assert!(accounts
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "lab"));
}

#[test]
fn what_the_capability_does_not_grant_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    // A core command outside the window's capability.
    let err = invoke(&window, "plugin:app|version", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");

    // The app's own command, asked for by a page that is not the app's own.
    let err = invoke_from(&window, "http://127.0.0.1:8080", "list_accounts", json!({}));
    assert!(
        err.is_err(),
        "a foreign origin must not reach the commands: {err:?}"
    );
}

/// Declares a local-workspace incident through the window's command and returns its id.
fn declare(window: &WebviewWindow<MockRuntime>, title: &str, severity: u8) -> Value {
    let declaration = json!({ "title": title, "severity": severity });
    let declared = invoke(
        window,
        "declare_incident",
        json!({ "accountId": null, "declaration": declaration }),
    )
    .expect("declare_incident is allowed");
    declared["id"].clone()
}

#[test]
fn a_local_incident_offers_only_what_the_workspace_can_do() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let id = declare(&window, "Queue backs up", 3);

    let offered = invoke(&window, "incident_actions", json!({ "id": id })).unwrap();
    assert_eq!(
        offered,
        json!(["acknowledge", "resolve", "note", "set_urgency"])
    );
    // The local workspace has no escalation policies.
    let escalation = invoke(&window, "incident_escalation", json!({ "id": id })).unwrap();
    assert_eq!(escalation, json!(null));

    let accounts = invoke(&window, "list_accounts", json!({})).unwrap();
    let local = &accounts.as_array().unwrap()[0]["id"];
    for cmd in ["list_users", "list_priorities"] {
        let rows = invoke(&window, cmd, json!({ "accountId": local })).unwrap();
        assert_eq!(rows, json!([]), "{cmd}");
    }
    let err = invoke(
        &window,
        "act",
        json!({ "id": id, "action": { "kind": "escalate", "level": 2 } }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid");
}

#[test]
fn a_declared_incident_is_commanded_from_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let id = declare(&window, "Checkout down", 1);

    let err = invoke(&window, "get_cockpit", json!({ "incidentId": id })).unwrap_err();
    assert_eq!(err["code"], "not_found", "no cockpit before it starts");

    let by = json!("Ana");
    let started = invoke(
        &window,
        "start_command",
        json!({ "incidentId": id, "level": 1, "by": by }),
    )
    .unwrap();
    assert_eq!(started["severity"]["level"], 1);
    invoke(
        &window,
        "assign_role",
        json!({ "incidentId": id, "role": "commander", "person": "Ana", "by": by }),
    )
    .unwrap();
    let handed = invoke(
        &window,
        "hand_over",
        json!({ "incidentId": id, "role": "commander", "to": "Bo", "from": null, "by": by }),
    )
    .unwrap();
    assert_eq!(handed["roles"][0]["person"], "Bo");
    let ticked = invoke(
        &window,
        "tick_item",
        json!({ "incidentId": id, "position": 1, "by": by }),
    )
    .unwrap();
    assert_eq!(ticked["items"][0]["done_by"], "Ana");

    let md = invoke(
        &window,
        "export_timeline",
        json!({ "incidentId": id, "format": "markdown" }),
    )
    .unwrap();
    assert!(md.as_str().unwrap().contains("Bo"), "{md}");
}

#[test]
fn checklists_travel_as_text_and_bad_text_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    let toml = invoke(&window, "export_checklist", json!({ "level": 2 })).unwrap();
    let imported = invoke(
        &window,
        "import_checklist",
        json!({ "level": 2, "source": toml }),
    )
    .unwrap();
    assert!(!imported["items"].as_array().unwrap().is_empty());

    let err = invoke(
        &window,
        "import_checklist",
        json!({ "level": 2, "source": "title = 1" }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid");
    let severities = invoke(&window, "list_severities", json!({})).unwrap();
    assert_eq!(severities.as_array().unwrap().len(), 4);
}

#[test]
fn a_command_the_app_does_not_have_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    // Neither granted nor registered: a window cannot reach the file system through the app.
    let err = invoke(&window, "write_file", json!({ "path": "/tmp/x" })).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
}

#[test]
fn declaring_at_a_provider_needs_what_the_provider_needs() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let add = |account: Value| {
        let added = invoke(
            &window,
            "add_account",
            json!({ "account": account, "token": null }),
        )
        .unwrap();
        added["id"].clone()
    };
    let pagerduty = add(json!({
        "name": "work", "kind": "pagerduty", "api_url": "http://127.0.0.1:9",
        "token": { "kind": "env", "var": "TOCSIN_IPC_UNSET" }, "email": null,
    }));
    let alertmanager = add(json!({
        "name": "lab", "kind": "alertmanager", "api_url": "http://127.0.0.1:9",
        "token": { "kind": "none" }, "email": null,
    }));
    let declaration = json!({ "title": "Checkout down", "severity": 1 });

    for (account, says) in [(pagerduty, "service"), (alertmanager, "Alertmanager")] {
        let args = json!({ "accountId": account, "declaration": declaration });
        let err = invoke(&window, "declare_incident", args).unwrap_err();
        assert_eq!(err["code"], "invalid", "{err}");
        assert!(err["message"].as_str().unwrap().contains(says), "{err}");
    }
}

/// The core behind the window, for what no command of this branch does (starting a cockpit,
/// giving a page its components without a Statuspage server).
fn core(app: &App<MockRuntime>) -> Arc<tocsin::Tocsin> {
    use tauri::Manager;
    Arc::clone(&app.state::<Arc<tocsin::Tocsin>>())
}

/// A page whose key is in an environment variable, so no keychain is needed; its API URL is
/// a closed loopback port.
fn add_env_page(window: &WebviewWindow<MockRuntime>) -> Value {
    let page = json!({
        "name": "acme",
        "api_url": "http://127.0.0.1:9/v1",
        "page_id": "pg1",
        "key": { "kind": "env", "var": "TOCSIN_IPC_SP_KEY" },
    });
    invoke(
        window,
        "add_status_page",
        json!({ "page": page, "key": null }),
    )
    .expect("add_status_page is allowed")
}

#[test]
fn an_update_is_drafted_as_text_and_published_on_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let title = "<script>alert(1)</script> Checkout";
    let id = declare(&window, title, 2);
    let fields = json!({ "impact": "Payments fail", "status": null, "actions": null });

    let draft = invoke(
        &window,
        "draft_update",
        json!({ "incident": id, "audience": "customers", "fields": fields }),
    )
    .expect("draft_update is allowed");
    assert_eq!(draft["audience"], "customers");
    assert!(
        draft["body"].as_str().unwrap().contains("Payments fail"),
        "{draft}"
    );
    assert!(
        draft["subject"].as_str().unwrap().contains(title),
        "{draft}"
    );
    assert!(draft["missing"]
        .as_array()
        .unwrap()
        .contains(&json!("actions")));

    // Publishing records on the cockpit, which must be running.
    let args = json!({ "incident": id, "audience": "customers", "fields": fields });
    let err = invoke(&window, "publish_update", args.clone()).unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
    core(&app)
        .start_command(id.as_i64().unwrap(), 2, "Ana")
        .unwrap();
    let published = invoke(&window, "publish_update", args).expect("publish_update is allowed");
    assert!(
        published["draft"]["next_update_at"].is_string(),
        "{published}"
    );
    assert_eq!(published["note"]["by"], "You");

    let detail = invoke(&window, "get_incident", json!({ "id": id })).unwrap();
    let timeline = detail["timeline"].as_array().unwrap();
    assert!(
        timeline.iter().any(|e| e["kind"] == "cockpit_update"),
        "{detail}"
    );
}

#[test]
fn update_templates_export_import_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let audience = json!({ "audience": "internal" });

    let exported = invoke(&window, "export_update_template", audience.clone()).unwrap();
    let source = exported
        .as_str()
        .unwrap()
        .replace("subject = \"", "subject = \"Ops: ");
    let imported = invoke(
        &window,
        "import_update_template",
        json!({ "audience": "internal", "source": source }),
    )
    .unwrap();
    assert!(
        imported["subject"].as_str().unwrap().starts_with("Ops: "),
        "{imported}"
    );

    let bad = source.replace("{{title}}", "{{eta}}");
    let err = invoke(
        &window,
        "import_update_template",
        json!({ "audience": "internal", "source": bad }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");

    let reset = invoke(&window, "reset_update_template", audience).unwrap();
    assert!(!reset["subject"].as_str().unwrap().starts_with("Ops: "));
}

#[test]
fn a_status_page_is_added_listed_and_removed_without_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    let added = add_env_page(&window);
    assert_eq!(
        added["key"],
        json!({ "kind": "env", "var": "TOCSIN_IPC_SP_KEY" })
    );
    let pages = invoke(&window, "list_status_pages", json!({})).unwrap();
    assert_eq!(pages.as_array().unwrap().len(), 1);

    let bad = json!({
        "name": "other", "api_url": "ftp://127.0.0.1/v1", "page_id": "pg2",
        "key": { "kind": "keychain" },
    });
    let err = invoke(
        &window,
        "add_status_page",
        json!({ "page": bad, "key": "k" }),
    );
    assert_eq!(err.unwrap_err()["code"], "invalid");

    // Reading components needs the key and the page; here the variable is unset.
    let err = invoke(
        &window,
        "statuspage_components",
        json!({ "page": added["id"] }),
    );
    assert!(err.is_err(), "{err:?}");

    invoke(
        &window,
        "remove_status_page",
        json!({ "page": added["id"] }),
    )
    .unwrap();
    let pages = invoke(&window, "list_status_pages", json!({})).unwrap();
    assert_eq!(pages, json!([]));
}

#[test]
fn a_statuspage_preview_is_published_through_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let page = add_env_page(&window);
    let page_id = page["id"].as_i64().unwrap();
    let api: tocsin::provider::statuspage::Component = serde_json::from_value(json!({
        "id": "cmpapi", "name": "API", "status": "operational", "raw_status": "operational",
        "group_id": null, "position": 1,
    }))
    .unwrap();
    core(&app)
        .store()
        .set_page_components(page_id, &[api])
        .unwrap();
    let id = declare(&window, "Checkout errors", 2);
    let request = |component: &str| {
        json!({
            "name": null, "phase": "identified", "impact": "major", "body": null,
            "components": [[component, "partial_outage"]],
            "fields": { "impact": null, "status": null, "actions": null },
        })
    };

    let unknown = invoke(
        &window,
        "statuspage_preview",
        json!({ "incident": id, "page": page_id, "request": request("nope") }),
    )
    .expect("statuspage_preview is allowed");
    assert!(
        !unknown["problems"].as_array().unwrap().is_empty(),
        "{unknown}"
    );
    let err = invoke(
        &window,
        "statuspage_publish",
        json!({ "incident": id, "page": page_id, "preview": unknown }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");

    let preview = invoke(
        &window,
        "statuspage_preview",
        json!({ "incident": id, "page": page_id, "request": request("cmpapi") }),
    )
    .unwrap();
    assert_eq!(preview["problems"], json!([]), "{preview}");
    assert_eq!(preview["components"][0]["name"], "API");
    let entry = invoke(
        &window,
        "statuspage_publish",
        json!({ "incident": id, "page": page_id, "preview": preview }),
    )
    .expect("statuspage_publish is allowed");
    assert_eq!(entry["state"], "pending", "{entry}");
    assert_eq!(entry["write"]["type"], "statuspage");

    let again = invoke(&window, "outbox_entry", json!({ "id": entry["id"] })).unwrap();
    assert_eq!(again["id"], entry["id"]);
    let links = invoke(&window, "status_links", json!({ "incident": id })).unwrap();
    assert_eq!(links, json!([]), "not linked until it is sent");
}

#[test]
fn a_postmortem_is_started_autosaved_and_exported_from_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let declared = invoke(
        &window,
        "declare_incident",
        json!({ "accountId": null, "declaration": { "title": "Checkout down", "severity": 2 } }),
    )
    .unwrap();
    let args = json!({ "incidents": [declared["id"]], "template": null });
    let pm = invoke(&window, "start_postmortem", args).expect("start_postmortem is allowed");
    let id = pm["id"].clone();
    assert_eq!(pm["template"], "standard");

    let body = "# PM\n\nThe on-call should have known.";
    let args = json!({ "id": id, "body": body, "expectedRevision": pm["revision"] });
    let saved = invoke(&window, "save_postmortem", args).unwrap();
    assert_eq!(saved["revision"], 2);
    let args = json!({ "id": id, "body": "x", "expectedRevision": 1 });
    let stale = invoke(&window, "save_postmortem", args).unwrap_err();
    assert_eq!(stale["code"], "conflict", "{stale}");

    let hints = invoke(&window, "postmortem_hints", json!({ "id": id })).unwrap();
    let rules: Vec<&str> = (hints.as_array().unwrap().iter())
        .map(|h| h["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["hindsight", "should-have"], "{hints}");
    let args = json!({ "id": id, "status": "in_review" });
    let moved = invoke(&window, "set_postmortem_status", args).unwrap();
    assert_eq!(moved["status"], "in_review");

    let args = json!({ "id": id, "format": "html" });
    let html = invoke(&window, "export_postmortem", args).unwrap();
    assert!(
        html.as_str().unwrap().contains("should have known"),
        "{html}"
    );
    let listed = invoke(&window, "list_postmortems", json!({})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let stats = invoke(&window, "postmortem_stats", json!({ "sinceDays": 30 })).unwrap();
    assert_eq!(stats["incidents"], 1);
    let templates = invoke(&window, "list_postmortem_templates", json!({})).unwrap();
    assert_eq!(templates.as_array().unwrap().len(), 2);
}

#[test]
fn a_postmortem_is_drafted_autosaved_reviewed_and_exported_from_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let id = declare(&window, "Checkout <b>down</b>", 1);
    invoke(
        &window,
        "act",
        json!({ "id": id, "action": { "kind": "resolve" } }),
    )
    .unwrap();

    let pm = invoke(
        &window,
        "start_postmortem",
        json!({ "incidents": [id], "template": null }),
    )
    .unwrap();
    let pm_id = pm["id"].clone();
    assert_eq!(pm["status"], "draft");
    assert!(
        pm["body"]
            .as_str()
            .unwrap()
            .contains(r"Checkout \<b\>down\</b\>"),
        "escaped"
    );
    assert!(
        pm["body"].as_str().unwrap().contains("## "),
        "prefilled from a template"
    );

    // Autosave names the revision it saw; a stale one is a conflict, not an overwrite.
    let revision = pm["revision"].clone();
    let body = "# Summary\n\nOps should have caught it.";
    let args = json!({ "id": pm_id, "body": body, "expectedRevision": revision });
    let saved = invoke(&window, "save_postmortem", args.clone()).unwrap();
    assert_ne!(saved["revision"], revision);
    let err = invoke(&window, "save_postmortem", args).unwrap_err();
    assert_eq!(err["code"], "conflict");
    let got = invoke(&window, "get_postmortem", json!({ "id": pm_id })).unwrap();
    assert_eq!(got["body"], body);

    let hints = invoke(&window, "postmortem_hints", json!({ "id": pm_id })).unwrap();
    let hint = &hints.as_array().unwrap()[0];
    assert_eq!(hint["rule"], "should-have");
    let fingerprint = hint["fingerprint"].clone();
    let args = json!({ "id": pm_id, "fingerprint": fingerprint });
    invoke(&window, "dismiss_postmortem_hint", args).unwrap();
    let hints = invoke(&window, "postmortem_hints", json!({ "id": pm_id })).unwrap();
    assert!(hints
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["rule"] != "should-have"));

    let input = json!({ "description": "Alert on 5xx", "owner": "Ada", "due_on": null,
                        "kind": "mitigate", "tracker_url": null, "done": false });
    invoke(
        &window,
        "add_action_item",
        json!({ "id": pm_id, "input": input }),
    )
    .unwrap();
    let items = invoke(&window, "list_action_items", json!({ "id": pm_id })).unwrap();
    assert_eq!(items[0]["description"], "Alert on 5xx");

    let args = json!({ "id": pm_id, "status": "in_review" });
    let reviewed = invoke(&window, "set_postmortem_status", args).unwrap();
    assert_eq!(reviewed["status"], "in_review");
    assert!(reviewed["review_due"].is_string());

    let html = invoke(
        &window,
        "export_postmortem",
        json!({ "id": pm_id, "format": "html" }),
    )
    .unwrap();
    let html = html.as_str().unwrap();
    assert!(html.contains("&lt;b") && !html.contains("<b>"), "{html}");
    let err = invoke(
        &window,
        "export_postmortem",
        json!({ "id": pm_id, "format": "pdf" }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid");

    let listed = invoke(&window, "list_postmortems", json!({})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let stats = invoke(&window, "postmortem_stats", json!({ "sinceDays": null })).unwrap();
    assert_eq!(stats["incidents"], 1);
    invoke(&window, "print_window", json!({})).expect("the window may print itself");
}

#[test]
fn the_paging_policy_is_read_saved_checked_and_a_page_snoozed() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    let drill = invoke(&window, "start_drill", json!({})).unwrap();
    let account = drill["account_id"].clone();

    let mut policy = invoke(
        &window,
        "get_paging_policy",
        json!({ "accountId": account }),
    )
    .unwrap();
    assert_eq!(policy["notify_low"], true, "defaults: {policy}");
    policy["quiet_hours"] = json!({"start": "22:00", "end": "07:00", "time_zone": "Europe/Paris"});
    invoke(
        &window,
        "set_paging_policy",
        json!({ "accountId": account, "policy": policy }),
    )
    .unwrap();
    let saved = invoke(
        &window,
        "get_paging_policy",
        json!({ "accountId": account }),
    )
    .unwrap();
    assert_eq!(saved["quiet_hours"]["time_zone"], "Europe/Paris");

    policy["quiet_hours"]["time_zone"] = json!("Mars/Olympus");
    let refused = invoke(
        &window,
        "set_paging_policy",
        json!({ "accountId": account, "policy": policy }),
    )
    .unwrap_err();
    assert_eq!(refused["code"], "invalid", "{refused}");

    let until = invoke(
        &window,
        "snooze_page",
        json!({ "incident": drill["id"], "minutes": 10 }),
    )
    .unwrap();
    assert!(until.as_str().is_some_and(|t| t.contains('T')), "{until}");
    let refused = invoke(
        &window,
        "snooze_page",
        json!({ "incident": drill["id"], "minutes": 0 }),
    )
    .unwrap_err();
    assert_eq!(refused["code"], "invalid");
}

#[test]
fn schedules_answer_from_the_cache_and_say_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    for (cmd, args) in [
        ("list_schedules", json!({})),
        ("my_shifts", json!({ "days": 28 })),
        ("oncall_ahead", json!({ "minutesAhead": 60 })),
    ] {
        assert_eq!(invoke(&window, cmd, args).unwrap(), json!([]), "{cmd}");
    }
    let outlook = invoke(&window, "oncall_outlook", json!({})).unwrap();
    assert_eq!(outlook["targets"], json!([]));
    assert_eq!(outlook["days"], 14);
    let err = invoke(
        &window,
        "render_schedule",
        json!({ "id": "PNOPE", "days": 14 }),
    )
    .unwrap_err();
    assert_eq!(err["code"], "not_found");
    let err = invoke(&window, "explain_schedule", json!({ "id": "PNOPE" })).unwrap_err();
    assert_eq!(err["code"], "not_found");
}

#[test]
fn a_local_rotation_is_made_in_the_window_and_pages_through_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);

    let schedule = json!({
        "id": "", "name": "Web primary", "time_zone": "Europe/London", "overrides": [],
        "layers": [{
            "id": "", "name": "Daily", "start": "2026-01-05T09:00:00Z", "end": null,
            "rotation_virtual_start": "2026-01-05T09:00:00Z",
            "rotation_turn_length_seconds": 86400, "restrictions": [],
            "users": [{ "id": "ada", "name": "Ada" }],
        }],
    });
    let preview = invoke(
        &window,
        "preview_local_schedule",
        json!({ "schedule": schedule, "days": 7 }),
    )
    .unwrap();
    assert_eq!(preview["final_entries"][0]["user"]["name"], "Ada");
    let mut bad = schedule.clone();
    bad["time_zone"] = json!("Mars/Olympus");
    let err = invoke(
        &window,
        "preview_local_schedule",
        json!({ "schedule": bad, "days": 7 }),
    );
    assert!(err.unwrap_err()["message"]
        .as_str()
        .unwrap()
        .contains("unknown time zone"));

    let saved = invoke(
        &window,
        "save_local_schedule",
        json!({ "schedule": schedule }),
    )
    .unwrap();
    assert_eq!(saved["id"], "web-primary");

    let policy = json!({
        "id": "", "name": "Web", "num_loops": 0,
        "levels": [{ "delay_minutes": 10, "targets": [{ "kind": "schedule", "id": "web-primary" }] }],
    });
    let saved = invoke(&window, "save_local_policy", json!({ "policy": policy })).unwrap();
    assert_eq!(saved["levels"][0]["targets"][0]["id"], "web-primary");

    let now = invoke(&window, "oncall_ahead", json!({ "minutesAhead": 0 })).unwrap();
    assert_eq!(now[0]["user"]["name"], "Ada", "{now}");
    invoke(&window, "set_local_me", json!({ "userId": "ada" })).unwrap();
    let shifts = invoke(&window, "my_shifts", json!({ "days": 7 })).unwrap();
    assert_eq!(
        shifts.as_array().unwrap().len(),
        1,
        "one unbroken shift: {shifts}"
    );

    let refused = invoke(
        &window,
        "delete_local_schedule",
        json!({ "id": "web-primary" }),
    );
    assert_eq!(refused.unwrap_err()["code"], "conflict");
    let bad = invoke(
        &window,
        "import_oncall_file",
        json!({ "text": "format = \"tocsin-oncall/1\"\n[[policy]]\nid = 3", "replace": true }),
    );
    assert_eq!(bad.unwrap_err()["code"], "invalid");
    let local = invoke(&window, "local_oncall", json!({})).unwrap();
    assert_eq!(local["policies"].as_array().unwrap().len(), 1);
}
