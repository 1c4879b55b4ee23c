//! A release server of the tests' own on 127.0.0.1:0 and a throwaway minisign key pair, for
//! the updater's integration and end-to-end tests. Nothing here knows the project's real key.

// Each test binary that includes this file uses a different part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use minisign::KeyPair;
use serde_json::json;

/// The artifact a release would ship; its content does not matter, its signature does.
pub const ARTIFACT: &[u8] = &[0x5a; 200 * 1024];

/// A release signed the way `tauri signer sign` does it: the version in the trusted comment.
pub struct Release {
    pub version: String,
    pub signature: String,
}

/// A key pair and the updater's spelling of its public key (base64 of the key file).
pub struct Key {
    pub pair: KeyPair,
    pub pubkey: String,
}

pub fn key() -> Key {
    let pair = KeyPair::generate_unencrypted_keypair().expect("a test key pair");
    let file = pair.pk.to_box().expect("a public key box").to_string();
    let pubkey = base64::engine::general_purpose::STANDARD.encode(file);
    Key { pair, pubkey }
}

pub fn sign(key: &Key, bytes: &[u8], version: &str) -> Release {
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
pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start() -> Server {
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

    /// A server that is not there: a loopback port that was free a moment ago.
    pub fn unreachable() -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Server {
            base: format!("http://127.0.0.1:{port}"),
            routes: Arc::default(),
            seen: Arc::default(),
        }
    }

    pub fn route(&self, path: &str, body: Vec<u8>) {
        self.routes.lock().unwrap().insert(path.into(), body);
    }

    /// Publishes `release` as the channel's manifest and `artifact` as its download.
    pub fn publish(&self, channel: &str, release: &Release, artifact: &[u8]) {
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

    pub fn seen(&self) -> Vec<String> {
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
