//! Signed updates against a update server of our own on loopback, with a key pair made here:
//! a valid update is offered, downloaded and verified; a tampered artifact, a manifest signed
//! by another key and a version that is not newer are not. Nothing is ever installed here
//! (on Linux installing runs the package manager).

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};
use tocsin::paging::RecordingNotifier;
use tocsin_desktop::update_commands::EVENT_UPDATE_PROGRESS;
use tocsin_desktop::{app_builder, ShellOptions, UpdateSource, MAIN_WINDOW};

use support::update_server::{key, sign, Key, Server, ARTIFACT};

fn app(data_dir: &Path, server: &Server, key: &Key) -> App<MockRuntime> {
    let options = ShellOptions {
        data_dir: data_dir.to_path_buf(),
        run_sync: false,
        notifier: Some(Arc::new(RecordingNotifier::default())),
        updates: UpdateSource {
            base: server.base.clone(),
        },
        update_pubkey: Some(key.pubkey.clone()),
    };
    app_builder(mock_builder(), options)
        .expect("the cache opens")
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime")
}

fn main_window(app: &App<MockRuntime>) -> WebviewWindow<MockRuntime> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW);
    WebviewWindowBuilder::from_config(app, config.expect("the main window"))
        .and_then(|builder| builder.build())
        .expect("the main window opens on the mock runtime")
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize().expect("a JSON answer"))
}

/// Everything the download sent to the window, in order.
fn record_progress(app: &App<MockRuntime>) -> Arc<Mutex<Vec<Value>>> {
    let events: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = Arc::clone(&events);
    app.listen_any(EVENT_UPDATE_PROGRESS, move |event| {
        let payload = serde_json::from_str(event.payload()).expect("a JSON payload");
        sink.lock().unwrap().push(payload);
    });
    events
}

#[test]
fn a_valid_update_is_offered_downloaded_and_verified() {
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::start(), key());
    server.publish("stable", &sign(&key, ARTIFACT, "0.2.0"), ARTIFACT);
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);
    let progress = record_progress(&app);

    let offer = invoke(&window, "check_for_update", json!({})).expect("the check succeeds");
    assert_eq!(offer["version"], "0.2.0");
    assert_eq!(offer["current_version"], "0.1.0");
    assert_eq!(offer["notes"], "Faster sync.\n<script>alert(1)</script>");
    assert_eq!(offer["date"], "2026-12-01T12:00:00Z");
    assert_eq!(server.seen()[0], "/stable/linux/x86_64/0.1.0");

    let verified = invoke(&window, "download_update", json!({})).expect("the download verifies");
    assert_eq!(verified["version"], "0.2.0");
    let progress = progress.lock().unwrap().clone();
    let last = progress.last().expect("progress was reported");
    assert_eq!(last["downloaded"], ARTIFACT.len());
    assert_eq!(last["total"], ARTIFACT.len());
    assert!(
        progress.len() >= 2,
        "progress in steps, not only at the end: {progress:?}"
    );
}

#[test]
fn a_tampered_artifact_is_refused_and_nothing_is_kept() {
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::start(), key());
    let mut tampered = ARTIFACT.to_vec();
    tampered[1000] ^= 1;
    server.publish("stable", &sign(&key, ARTIFACT, "0.2.0"), &tampered);
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    invoke(&window, "check_for_update", json!({})).expect("the manifest itself is fine");
    let refused = invoke(&window, "download_update", json!({})).expect_err("a bad signature");
    assert_eq!(refused["code"], "update_signature", "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("nothing was installed"));

    // Nothing verified is waiting, so there is nothing a click could install. (This answers
    // before the installer is reached; with a verified update it would run the real one.)
    let install = invoke(&window, "install_update_on_restart", json!({}));
    assert_eq!(
        install.expect_err("nothing to install")["code"],
        "update_none"
    );
}

#[test]
fn a_manifest_signed_by_another_key_is_refused() {
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::start(), key());
    let stranger = self::key();
    server.publish("stable", &sign(&stranger, ARTIFACT, "0.2.0"), ARTIFACT);
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    invoke(&window, "check_for_update", json!({})).expect("the manifest itself is fine");
    let refused = invoke(&window, "download_update", json!({})).expect_err("a foreign key");
    assert_eq!(refused["code"], "update_signature", "{refused}");
    let install = invoke(&window, "install_update_on_restart", json!({}));
    assert_eq!(
        install.expect_err("nothing to install")["code"],
        "update_none"
    );
}

#[test]
fn a_signature_for_another_version_is_refused() {
    // A genuine older artifact announced under a newer number: a downgrade in disguise.
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::start(), key());
    let mut release = sign(&key, ARTIFACT, "0.1.5");
    release.version = "0.2.0".into();
    server.publish("stable", &release, ARTIFACT);
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    invoke(&window, "check_for_update", json!({})).expect("the manifest itself is fine");
    let refused = invoke(&window, "download_update", json!({})).expect_err("a version mismatch");
    assert_eq!(refused["code"], "update_signature", "{refused}");
}

#[test]
fn no_update_is_offered_when_the_version_is_not_newer() {
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::start(), key());
    server.publish("stable", &sign(&key, ARTIFACT, "0.1.0"), ARTIFACT);
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    let offer = invoke(&window, "check_for_update", json!({})).expect("the check succeeds");
    assert_eq!(offer, Value::Null);
    let download = invoke(&window, "download_update", json!({}));
    assert_eq!(
        download.expect_err("nothing offered")["code"],
        "update_none"
    );
}

#[test]
fn the_beta_channel_is_chosen_kept_and_asked() {
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::start(), key());
    server.publish("beta", &sign(&key, ARTIFACT, "0.2.0-beta.1"), ARTIFACT);
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    assert_eq!(
        invoke(&window, "get_update_channel", json!({})).unwrap(),
        "stable"
    );
    let stable = invoke(&window, "check_for_update", json!({}));
    assert_eq!(
        stable.expect_err("no stable manifest")["code"],
        "update_manifest"
    );

    let chosen = invoke(&window, "set_update_channel", json!({ "channel": "beta" }));
    assert_eq!(chosen.unwrap(), "beta");
    assert_eq!(
        invoke(&window, "get_update_channel", json!({})).unwrap(),
        "beta"
    );
    let offer = invoke(&window, "check_for_update", json!({})).expect("the beta check");
    assert_eq!(offer["version"], "0.2.0-beta.1");
    assert!(server
        .seen()
        .contains(&"/beta/linux/x86_64/0.1.0".to_owned()));

    let bad = invoke(
        &window,
        "set_update_channel",
        json!({ "channel": "nightly" }),
    );
    assert!(bad.is_err(), "an unknown channel is refused");
}

#[test]
fn an_unreachable_server_reads_as_offline() {
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::unreachable(), key());
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    let refused = invoke(&window, "check_for_update", json!({})).expect_err("offline");
    assert_eq!(refused["code"], "update_offline", "{refused}");
}

#[test]
fn the_window_cannot_call_the_updater_plugin_directly() {
    // Only the app's own commands are granted: installing goes through the verified bytes
    // that install_update_on_restart holds, never the plugin's own install.
    let (dir, server, key) = (tempfile::tempdir().unwrap(), Server::start(), key());
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    for cmd in [
        "plugin:updater|check",
        "plugin:updater|download_and_install",
    ] {
        let refused = invoke(&window, cmd, json!({}));
        assert!(refused.is_err(), "{cmd} must not be allowed: {refused:?}");
    }
    assert!(server.seen().is_empty(), "nothing was fetched");
}
