//! Signed updates against a update server of our own on loopback, with a key pair made here:
//! a valid update is offered, downloaded and verified; a tampered artifact, a manifest signed
//! by another key and a version that is not newer are not. Nothing is ever installed here
//! (on Linux installing runs the package manager).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use minisign::KeyPair;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};
use tocsin::paging::RecordingNotifier;
use tocsin_desktop::update_commands::EVENT_UPDATE_PROGRESS;
use tocsin_desktop::{app_builder, ShellOptions, UpdateSource, MAIN_WINDOW};

/// The artifact a release would ship; its content does not matter, its signature does.
const ARTIFACT: &[u8] = &[0x5a; 200 * 1024];

/// A release signed the way `tauri signer sign` does it: the version in the trusted comment.
struct Release {
    version: String,
    signature: String,
}

/// A key pair and the updater's spelling of its public key (base64 of the key file).
struct Key {
    pair: KeyPair,
    pubkey: String,
}

fn key() -> Key {
    let pair = KeyPair::generate_unencrypted_keypair().expect("a test key pair");
    let file = pair.pk.to_box().expect("a public key box").to_string();
    let pubkey = base64::engine::general_purpose::STANDARD.encode(file);
    Key { pair, pubkey }
}

fn sign(key: &Key, bytes: &[u8], version: &str) -> Release {
    let comment = format!("timestamp:1764892800\tfile:tocsin.deb\tversion:{version}");
    let sig = minisign::sign(
        Some(&key.pair.pk),
        &key.pair.sk,
        Cursor::new(bytes),
        Some(&comment),
        Some("signature from a test key"),
    )
    .expect("signing works");
    Release {
        version: version.into(),
        signature: base64::engine::general_purpose::STANDARD.encode(sig.to_string()),
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1:0 answering GETs from a path table, recording paths.
struct Server {
    base: String,
    routes: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, s) = (Arc::clone(&routes), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &r, &s);
            }
        });
        Server { base, routes, seen }
    }

    fn route(&self, path: &str, body: Vec<u8>) {
        self.routes.lock().unwrap().insert(path.into(), body);
    }

    /// Publishes `release` as the channel's manifest and `artifact` as its download.
    fn publish(&self, channel: &str, release: &Release, artifact: &[u8]) {
        let url = format!("{}/files/tocsin-{}.deb", self.base, release.version);
        let platform = json!({ "url": url, "signature": release.signature });
        let manifest = json!({
            "version": release.version,
            "notes": "Faster sync.\n<script>alert(1)</script>",
            "pub_date": "2026-12-01T12:00:00Z",
            "platforms": { "linux-x86_64": platform, "linux-x86_64-deb": platform },
        });
        let manifest_path = format!("/{channel}/linux/x86_64/0.1.0");
        self.route(&manifest_path, manifest.to_string().into_bytes());
        let file = format!("/files/tocsin-{}.deb", release.version);
        self.route(&file, artifact.to_vec());
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, routes: &Mutex<HashMap<String, Vec<u8>>>, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The headers end at the first empty line; the updater sends GETs without a body.
    let mut line = String::new();
    while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
        line.clear();
    }

    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    seen.lock().unwrap().push(path.clone());
    let body = routes.lock().unwrap().get(&path).cloned();
    let head = match &body {
        Some(b) => format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n", b.len()),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n".to_owned(),
    };
    let mut stream = stream;
    let _ = stream.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes());
    let _ = stream.write_all(&body.unwrap_or_default());
}

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
    let dir = tempfile::tempdir().unwrap();
    let key = key();
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server {
        base: format!("http://127.0.0.1:{port}"),
        routes: Arc::default(),
        seen: Arc::default(),
    };
    let app = app(dir.path(), &server, &key);
    let window = main_window(&app);

    let refused = invoke(&window, "check_for_update", json!({})).expect_err("offline");
    assert_eq!(refused["code"], "update_offline", "{refused}");
}
