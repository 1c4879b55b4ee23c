//! Benchmark: the desktop app as a person runs it, under Xvfb — start to interactive (fresh, and
//! with 10,000 cached incidents), idle memory of its whole process tree, and idle CPU while it
//! syncs every 15 s against the PagerDuty fake.
//!
//! Run it with `scripts/bench-desktop.sh`, which builds the release app and `pd-fake` and gives
//! it a display; it prints its figures and asserts nothing. Without a display, tauri-driver or
//! the binaries it says so and skips, so `cargo bench` alone stays usable. `TOCSIN_BENCH_RUNS`
//! (5) and `TOCSIN_BENCH_IDLE_SECS` (120) change the repetitions and the CPU window;
//! `TOCSIN_BENCH_LOG=FILE` keeps the drivers' and the app's output. The method and the figures:
//! docs/benchmarks.md.
//!
//! It drives the built binary from outside, through WebDriver and /proc, so it needs none of
//! the shell's crates and lives beside the core's benches.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tocsin::model::{ProviderKind, TokenSource};
use tocsin::paging::RecordingNotifier;
use tocsin::sync::{Engine, EngineConfig};
use tocsin::{NewAccount, Tocsin};

const INCIDENTS: usize = 10_000;
const TOKEN: &str = "bench-token";
const TOKEN_VAR: &str = "TOCSIN_BENCH_PD_TOKEN";
/// How long the app is left alone before its memory is read.
const SETTLE: Duration = Duration::from_secs(30);
const SYNC_INTERVAL_SECS: &str = "15";
/// Nothing in the bench may reach the real update server: a closed loopback port.
const UPDATE_URL: &str = "http://127.0.0.1:9/updates";
const WAIT_LIMIT: Duration = Duration::from_secs(90);
/// A launch that has not given a session by then has failed (it takes seconds).
const LAUNCH_LIMIT: Duration = Duration::from_secs(30);
/// Between two element queries: short enough to see the screen appear within a few frames,
/// long enough that the polling does not take a core from the app it measures.
const POLL_GAP: Duration = Duration::from_millis(20);
/// The first usable screen: the welcome on a fresh data dir (shown only once the core said
/// there is no account and no incident), the list's first row on a warm one.
const WELCOME: &str = "[data-testid=welcome]";
const FIRST_ROW: &str = "[data-testid=incident-row]";
/// WebDriver's key for an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn main() {
    if let Some(missing) = missing_prerequisite() {
        println!("desktop bench skipped: {missing} (scripts/bench-desktop.sh provides it)");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let app = binary("TOCSIN_DESKTOP_BIN", "tocsin-desktop");
    let runs = env_number("TOCSIN_BENCH_RUNS", 5);
    let idle = Duration::from_secs(env_number("TOCSIN_BENCH_IDLE_SECS", 120) as u64);
    print_machine(&app);

    let fake = PdFake::start(INCIDENTS);
    let warm = seeded_cache(&fake.url).await;
    let started = Instant::now();

    // One launch is not counted, so every counted one finds the binaries in the page cache.
    let _warm_up = start_to_interactive(&app, None, WELCOME).await;
    let (mut fresh, mut cached, mut undriven) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        fresh.push(start_to_interactive(&app, None, WELCOME).await);
        cached.push(start_to_interactive(&app, Some(warm.path()), FIRST_ROW).await);
        undriven.extend(window_without_driver(&app).await);
    }
    print_launches("fresh data dir, welcome shown", &fresh);
    print_launches("10,000 cached incidents, first row shown", &cached);
    let failed = FAILED_LAUNCHES.load(Ordering::Relaxed);
    println!("\nlaunches that failed and were retried: {failed}");
    println!(
        "\nwithout a driver, fresh: app start → window {}",
        spread(undriven.into_iter())
    );

    let quiet = idle_app(&app, None).await;
    print_memory("idle memory, fresh data dir (no account)", &quiet.memory);
    let syncing = idle_app(&app, Some((warm.path(), &fake, idle))).await;
    print_memory(
        "idle memory, 10,000 cached incidents, syncing",
        &syncing.memory,
    );
    if let Some(cpu) = &syncing.cpu {
        print_cpu(cpu);
    }
    println!("\nload average at the end  {}", load_average());
    println!(
        "bench wall time          {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// Says what is missing for the bench to run, if anything.
fn missing_prerequisite() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() {
        return Some("no DISPLAY".into());
    }
    for tool in [
        driver_program(),
        "dbus-daemon".into(),
        "WebKitWebDriver".into(),
    ] {
        if !on_path(&tool) {
            return Some(format!("`{tool}` is not on PATH"));
        }
    }
    for (var, name) in [
        ("TOCSIN_DESKTOP_BIN", "tocsin-desktop"),
        ("TOCSIN_PD_FAKE_BIN", "pd-fake"),
    ] {
        let path = binary(var, name);
        if !path.exists() {
            return Some(format!(
                "{} is missing (build it, or set {var})",
                path.display()
            ));
        }
    }
    None
}

fn driver_program() -> String {
    std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into())
}

fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).exists();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join(program).exists())
}

/// A binary from the environment, or beside this bench's own profile directory
/// (`target/release/deps/desktop-…` → `target/release/NAME`).
fn binary(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    let profile = exe.parent().and_then(Path::parent).expect("a profile dir");
    profile.join(name)
}

fn env_number(var: &str, default: usize) -> usize {
    let value = std::env::var(var).ok().and_then(|v| v.parse().ok());
    value.unwrap_or(default).max(1)
}

fn print_machine(app: &Path) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let debug = app.components().any(|c| c.as_os_str() == "debug");
    let profile = if debug {
        "debug build"
    } else {
        "release build"
    };
    println!("app                      {} ({profile})", app.display());
    println!("machine                  {cores} cores, {model}");
    println!("load average at start    {}", load_average());
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- The data: the PagerDuty fake and a cache synced from it ----------------------------

/// `pd-fake` on a loopback port it picks, seeded with `incidents` (1 % of them open).
struct PdFake {
    _child: Guard,
    url: String,
}

impl PdFake {
    fn start(incidents: usize) -> PdFake {
        let mut child = Command::new(binary("TOCSIN_PD_FAKE_BIN", "pd-fake"))
            .args(["--listen", "127.0.0.1:0", "--token", TOKEN])
            .args(["--seed", &incidents.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("pd-fake starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("pd-fake says where it listens");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .expect("a `listening on` line");
        PdFake {
            url: url.to_owned(),
            _child: Guard(child),
        }
    }

    /// How many sync passes the fake has served: each pass reads `/oncalls` exactly once.
    async fn passes(&self) -> usize {
        let body: Value = loopback_client()
            .get(format!("{}/_fake/requests", self.url))
            .send()
            .await
            .expect("the fake's control API answers")
            .json()
            .await
            .expect("JSON");
        let requests = body["requests"].as_array().cloned().unwrap_or_default();
        requests.iter().filter(|r| r["path"] == "/oncalls").count()
    }
}

/// A data dir whose PagerDuty account has synced everything from the fake, open incidents'
/// timelines included; each warm launch gets a copy of it.
async fn seeded_cache(url: &str) -> tempfile::TempDir {
    std::env::set_var(TOKEN_VAR, TOKEN);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tocsin = Arc::new(Tocsin::open(dir.path()).expect("a store"));
    let account = NewAccount {
        name: "bench".into(),
        kind: ProviderKind::Pagerduty,
        api_url: Some(url.into()),
        token: TokenSource::Env {
            var: TOKEN_VAR.into(),
        },
        email: None,
    };
    let account = tocsin.add_account(account, None).expect("an account").id;
    let notifier = Arc::new(RecordingNotifier::default());
    let engine = Engine::with_config(tocsin.clone(), notifier, EngineConfig::default());
    let started = Instant::now();
    for _ in 0..20 {
        let results = engine.sync_once(None).await.expect("accounts");
        if let Some((_, Err(e))) = results.first() {
            panic!("seeding the cache: {e}");
        }
        let missing = tocsin
            .store()
            .open_without_timeline(account, 1)
            .expect("a query");
        if missing.is_empty() {
            break;
        }
    }
    let count = tocsin
        .store()
        .incidents(&Default::default())
        .map_or(0, |v| v.len());
    println!(
        "warm cache               {INCIDENTS} incidents synced in {:.1} s ({count} listed)",
        started.elapsed().as_secs_f64()
    );
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("a readable directory") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a copy");
        }
    }
}

/// A fresh data dir and a fresh home (so no window size, WebKit cache or autostart entry of
/// an earlier launch is found), the data dir a copy of `warm` when given.
struct Scratch {
    root: tempfile::TempDir,
}

impl Scratch {
    fn new(warm: Option<&Path>) -> Scratch {
        let root = tempfile::tempdir().expect("a temporary directory");
        match warm {
            Some(from) => copy_dir(from, &root.path().join("data")),
            None => std::fs::create_dir_all(root.path().join("data")).unwrap(),
        }
        Scratch { root }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// What the app (through the driver, or directly) runs with.
    fn env(&self, bus: &PrivateBus) -> Vec<(String, String)> {
        let home = self.root.path().join("home");
        let at = |sub: &str| home.join(sub).display().to_string();
        let pairs = [
            ("HOME", home.display().to_string()),
            ("XDG_CONFIG_HOME", at(".config")),
            ("XDG_DATA_HOME", at(".local/share")),
            ("XDG_CACHE_HOME", at(".cache")),
            ("XDG_STATE_HOME", at(".local/state")),
            ("TOCSIN_DATA_DIR", self.data().display().to_string()),
            ("DBUS_SESSION_BUS_ADDRESS", bus.address.clone()),
            ("TOCSIN_SYNC_INTERVAL_SECS", SYNC_INTERVAL_SECS.into()),
            ("TOCSIN_UPDATE_URL", UPDATE_URL.into()),
            (TOKEN_VAR, TOKEN.into()),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

// ---- Start to interactive, through tauri-driver ------------------------------------------

/// One launch: when things happened, measured from the app process's start.
struct Launch {
    /// Session request to the screen found: what a WebDriver client sees.
    requested: Duration,
    /// Session request to the app's process start: the drivers launching it.
    driver_launch: Duration,
    /// The app's process start to the screen found: the figure.
    interactive: Duration,
    /// The app's process start to its webview starting to load the page.
    navigation: Option<Duration>,
    /// The app's process start to its window being viewable on the display.
    window: Option<Duration>,
    /// Mean round trip of one element query, the most the poll can add to `interactive`.
    query: Duration,
    /// The app's process start to WebDriver's session being ready.
    session: Duration,
    /// The app's process start to the screen's element entering the document, by the page's
    /// clock; `None` when it was there before the observer could start.
    inserted: Option<Duration>,
}

/// Launches until one works, at most three times: on this machine a launch now and then
/// dies in GTK's start ("Failed to initialize GTK"), before anything is measured. Each failure
/// is counted in `FAILED_LAUNCHES` and printed, not hidden.
async fn start_to_interactive(app: &Path, warm: Option<&Path>, screen: &str) -> Launch {
    for _ in 0..3 {
        if let Some(launch) = launch_once(app, warm, screen).await {
            return launch;
        }
        FAILED_LAUNCHES.fetch_add(1, Ordering::Relaxed);
    }
    panic!("three launches in a row failed to start the app");
}

static FAILED_LAUNCHES: AtomicUsize = AtomicUsize::new(0);

async fn launch_once(app: &Path, warm: Option<&Path>, screen: &str) -> Option<Launch> {
    let scratch = Scratch::new(warm);
    let bus = PrivateBus::start();
    let driver = Driver::start(&scratch.env(&bus)).await;

    let window = WindowWatch::start();
    let requested = SystemTime::now();
    let Some(session) = driver.new_session(app).await else {
        window.finish();
        driver.stop();
        return None;
    };
    let ready = SystemTime::now();
    let inserted = session.observe(screen).await;
    let (found, query) = session.wait_for(screen).await;
    let timing = session.execute("return [performance.timeOrigin];").await;

    let pid = find_app(app, driver.pid()).expect("the app's process");
    let spawned = process_start(pid);
    let origin = timing[0].as_f64().map(epoch_ms);
    let shown = window.finish();
    session.close().await;
    driver.stop();
    wait_gone(&[pid]);
    Some(Launch {
        requested: since(requested, found),
        driver_launch: since(requested, spawned),
        interactive: since(spawned, found),
        navigation: origin.map(|at| since(spawned, at)),
        window: shown.map(|at| since(spawned, at)),
        session: since(spawned, ready),
        inserted: inserted.map(|at| since(spawned, at)),
        query,
    })
}

fn epoch_ms(ms: f64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs_f64(ms / 1000.0)
}

/// Run in the page: answers when an element matching the selector is in the document, with
/// the page's own clock at that moment and whether it was there before the script ran.
const OBSERVE: &str = "const [css, done] = arguments;
const now = () => performance.timeOrigin + performance.now();
if (document.querySelector(css)) { done([now(), true]); return; }
new MutationObserver((_, observer) => {
  if (document.querySelector(css)) { observer.disconnect(); done([now(), false]); }
}).observe(document, { childList: true, subtree: true });";

/// The same launch without any driver, as a person starts the app: only the window can be
/// seen from outside, so this is the app's start to its window being viewable, to compare
/// with the driven launches' and see whether being automated slows the app itself.
async fn window_without_driver(app: &Path) -> Option<Duration> {
    let scratch = Scratch::new(None);
    let bus = PrivateBus::start();
    let window = WindowWatch::start();
    let (pid, child) = launch(app, &scratch, &bus);
    let shown = window.finish();
    let spawned = process_start(pid);

    let tree: Vec<u32> = descendants(pid).iter().map(|p| p.pid).collect();
    drop(child);
    wait_gone(&tree);
    shown.map(|at| since(spawned, at))
}

/// Whether a viewable window titled "Tocsin" is on the display.
fn tocsin_window() -> bool {
    let out = Command::new("xwininfo").args(["-name", "Tocsin"]).output();
    out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("IsViewable"))
}

/// Polls the display with `xwininfo` for the app's window (titled "Tocsin") until it is
/// viewable, on a thread of its own so it runs while the driver is busy launching.
struct WindowWatch(std::thread::JoinHandle<Option<SystemTime>>);

impl WindowWatch {
    fn start() -> WindowWatch {
        WindowWatch(std::thread::spawn(|| {
            if !on_path("xwininfo") {
                return None;
            }
            // A window an earlier launch left behind would be taken for this one's.
            let deadline = Instant::now() + LAUNCH_LIMIT;
            while tocsin_window() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let deadline = Instant::now() + LAUNCH_LIMIT;
            while Instant::now() < deadline {
                if tocsin_window() {
                    return Some(SystemTime::now());
                }
                // Not tighter: a connection to the X server at each poll, while GTK connects.
                std::thread::sleep(Duration::from_millis(50));
            }
            None
        }))
    }

    /// When the window became viewable (waiting for it), if it did.
    fn finish(self) -> Option<SystemTime> {
        self.0.join().unwrap_or(None)
    }
}

fn since(from: SystemTime, to: SystemTime) -> Duration {
    to.duration_since(from).unwrap_or_default()
}

/// tauri-driver in front of WebKitWebDriver; the app inherits its environment.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Driver {
    async fn start(env: &[(String, String)]) -> Driver {
        let (port, native_port) = (free_port(), free_port());
        let child = Command::new(driver_program())
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(driver_log())
            .spawn()
            .expect("tauri-driver starts");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: loopback_client(),
        };
        let deadline = Instant::now() + WAIT_LIMIT;
        while driver
            .http
            .get(format!("{}/status", driver.url))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "tauri-driver never listened");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A session with the app launched, or `None` when the app did not come up in time.
    async fn new_session(&self, app: &Path) -> Option<Session<'_>> {
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "tauri:options": { "application": app }
        }}});
        let request = self.http.post(format!("{}/session", self.url));
        let request = request.json(&capabilities).timeout(LAUNCH_LIMIT);
        let value: Value = request.send().await.ok()?.json().await.ok()?;
        let id = value["value"]["sessionId"].as_str()?.to_owned();
        Some(Session { driver: self, id })
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let answer = self.try_call(method, path, body).await;
        answer.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// One WebDriver call; `Err` carries WebDriver's error, or the transport's.
    async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.url);
        let request = match method {
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let response = request.send().await.map_err(|e| e.to_string())?;
        let ok = response.status().is_success();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        let value = value.get("value").cloned().unwrap_or(Value::Null);
        if ok {
            Ok(value)
        } else {
            Err(value.to_string())
        }
    }

    /// Stops tauri-driver and whatever it started that is still running.
    /// WebKitWebDriver outlives a killed tauri-driver, so each process of the tree is told.
    fn stop(mut self) {
        let tree: Vec<u32> = descendants(self.child.id()).iter().map(|p| p.pid).collect();
        for pid in tree.iter().skip(1) {
            let kill = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
            drop(kill);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        wait_gone(&tree);
    }
}

struct Session<'d> {
    driver: &'d Driver,
    id: String,
}

impl Session<'_> {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.id);
        self.driver.call(method, &path, body).await
    }

    /// Polls for `css`; returns when the answer that found it arrived, and the mean query.
    async fn wait_for(&self, css: &str) -> (SystemTime, Duration) {
        let query = json!({ "using": "css selector", "value": css });
        let (mut queries, mut spent) = (0u32, Duration::ZERO);
        let deadline = Instant::now() + WAIT_LIMIT;
        loop {
            let sent = Instant::now();
            let found = self.call("POST", "/elements", Some(query.clone())).await;
            let at = SystemTime::now();
            queries += 1;
            spent += sent.elapsed();
            let any = found
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e[ELEMENT_KEY].is_string());
            if any {
                return (at, spent / queries);
            }
            assert!(Instant::now() < deadline, "{css} never appeared");
            tokio::time::sleep(POLL_GAP).await;
        }
    }

    /// When `css` entered the document by the page's clock, watched from inside the page: no
    /// query latency. `None` if it was there already, or the script could not run.
    async fn observe(&self, css: &str) -> Option<SystemTime> {
        let body = json!({ "script": OBSERVE, "args": [css] });
        let path = format!("/session/{}/execute/async", self.id);
        let value = self.driver.try_call("POST", &path, Some(body)).await.ok()?;
        if value[1] == json!(true) {
            return None;
        }
        value[0].as_f64().map(epoch_ms)
    }

    async fn execute(&self, script: &str) -> Value {
        let body = json!({ "script": script, "args": [] });
        self.call("POST", "/execute/sync", Some(body)).await
    }

    async fn close(self) {
        self.call("DELETE", "", None).await;
    }
}

/// Everything the bench talks to is on loopback: no proxy from the environment applies.
fn loopback_client() -> reqwest::Client {
    let builder = reqwest::Client::builder().no_proxy().timeout(WAIT_LIMIT);
    builder.build().expect("an HTTP client")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().unwrap().port()
}

/// A session bus of the launch's own, so the single-instance plugin finds no earlier app.
struct PrivateBus {
    address: String,
    _daemon: Guard,
}

impl PrivateBus {
    fn start() -> PrivateBus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        PrivateBus {
            address: address.trim().to_owned(),
            _daemon: Guard(daemon),
        }
    }
}

/// A child process that is killed when it goes out of scope.
/// Starts the app directly, as a person does, with its output discarded: its pid, and the
/// guard that stops it.
fn launch(app: &Path, scratch: &Scratch, bus: &PrivateBus) -> (u32, Guard) {
    let child = Command::new(app)
        .envs(scratch.env(bus))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the app starts");
    (child.id(), Guard(child))
}

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---- Idle: memory after settling, CPU while syncing --------------------------------------

struct Idle {
    memory: Vec<Memory>,
    cpu: Option<Cpu>,
}

struct Memory {
    pid: u32,
    name: String,
    pss_kib: Option<u64>,
    rss_kib: Option<u64>,
}

struct Cpu {
    window: Duration,
    /// Clock ticks per process over the window (a process's reaped children included).
    ticks: Vec<(String, u64)>,
    total_ticks: u64,
    passes: usize,
}

/// Launches the app directly (no driver, as a person would), lets it settle and reads its
/// tree's memory; with an account and a window, then its CPU while it syncs.
async fn idle_app(app: &Path, syncing: Option<(&Path, &PdFake, Duration)>) -> Idle {
    let scratch = Scratch::new(syncing.map(|(warm, _, _)| warm));
    let bus = PrivateBus::start();
    let (pid, child) = launch(app, &scratch, &bus);

    tokio::time::sleep(SETTLE).await;
    let memory = descendants(pid).iter().map(memory_of).collect();
    let cpu = match syncing {
        Some((_, fake, window)) => Some(cpu_while_syncing(pid, fake, window).await),
        None => None,
    };

    let tree: Vec<u32> = descendants(pid).iter().map(|p| p.pid).collect();
    drop(child);
    wait_gone(&tree);
    Idle { memory, cpu }
}

async fn cpu_while_syncing(pid: u32, fake: &PdFake, window: Duration) -> Cpu {
    let passes_before = fake.passes().await;
    let before = ticks_by_pid(pid);
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let after = ticks_by_pid(pid);
    let window = started.elapsed();
    let passes = fake.passes().await - passes_before;

    let total_before: u64 = before.values().map(|(_, t)| t).sum();
    let total_after: u64 = after.values().map(|(_, t)| t).sum();
    let mut ticks: Vec<(String, u64)> = after
        .iter()
        .map(|(pid, (name, t))| (name.clone(), t - before.get(pid).map_or(0, |b| b.1.min(*t))))
        .collect();
    ticks.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
    Cpu {
        window,
        ticks,
        total_ticks: total_after.saturating_sub(total_before),
        passes,
    }
}

fn ticks_by_pid(root: u32) -> HashMap<u32, (String, u64)> {
    let tree = descendants(root);
    tree.into_iter()
        .map(|p| (p.pid, (p.name, p.ticks)))
        .collect()
}

// ---- /proc ---------------------------------------------------------------------------------

/// One line of /proc/PID/stat, the fields used here.
struct Proc {
    pid: u32,
    ppid: u32,
    name: String,
    /// utime + stime + cutime + cstime: the process's CPU time and its reaped children's.
    ticks: u64,
    /// Clock ticks after boot at which the process started.
    start: u64,
    /// Exited, waiting for a parent to reap it (an orphan here may wait long for that).
    zombie: bool,
}

fn read_proc(pid: u32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may hold spaces or parentheses itself.
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let name = program_name(pid).unwrap_or_else(|| stat[open + 1..close].to_owned());
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // Field n of proc(5) is at index n - 3 once the pid and the name are gone.
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Proc {
        pid,
        ppid: field(4)? as u32,
        name,
        ticks: field(14)? + field(15)? + field(16)? + field(17)?,
        start: field(22)?,
        zombie: fields.first() == Some(&"Z"),
    })
}

/// The program's file name from its command line: /proc's own name stops at 15 characters
/// (`WebKitWebProces`).
fn program_name(pid: u32) -> Option<String> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let argv0 = cmdline.split(|b| *b == 0).next()?;
    let name = Path::new(std::str::from_utf8(argv0).ok()?).file_name()?;
    Some(name.to_string_lossy().into_owned())
}

fn all_processes() -> Vec<Proc> {
    let entries = std::fs::read_dir("/proc").expect("/proc");
    let pids = entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok());
    pids.filter_map(read_proc).collect()
}

/// `root` and every process below it, found through the parent ids in /proc.
fn descendants(root: u32) -> Vec<Proc> {
    let mut by_parent: HashMap<u32, Vec<Proc>> = HashMap::new();
    let mut found = Vec::new();
    for process in all_processes() {
        if process.pid == root {
            found.push(process);
        } else {
            by_parent.entry(process.ppid).or_default().push(process);
        }
    }
    let mut queue = VecDeque::from([root]);
    while let Some(pid) = queue.pop_front() {
        for child in by_parent.remove(&pid).unwrap_or_default() {
            queue.push_back(child.pid);
            found.push(child);
        }
    }
    found
}

/// The process below `ancestor` that runs `app`.
fn find_app(app: &Path, ancestor: u32) -> Option<u32> {
    let app = app.canonicalize().ok()?;
    let runs_app =
        |pid: u32| std::fs::read_link(format!("/proc/{pid}/exe")).ok() == Some(app.clone());
    descendants(ancestor)
        .iter()
        .map(|p| p.pid)
        .find(|pid| runs_app(*pid))
}

/// When `pid` started, on the wall clock, to the clock tick (10 ms on Linux).
fn process_start(pid: u32) -> SystemTime {
    let start = read_proc(pid).expect("the app is running").start;
    let uptime = std::fs::read_to_string("/proc/uptime").expect("/proc/uptime");
    let now = SystemTime::now();
    let up: f64 = uptime
        .split_whitespace()
        .next()
        .and_then(|u| u.parse().ok())
        .expect("uptime");
    let boot = now - Duration::from_secs_f64(up);
    boot + Duration::from_secs_f64(start as f64 / clock_ticks() as f64)
}

/// Clock ticks a second (`getconf CLK_TCK`; 100 on every Linux this runs on).
fn clock_ticks() -> u64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().ok();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    text.and_then(|t| t.parse().ok()).unwrap_or(100)
}

fn memory_of(process: &Proc) -> Memory {
    let rollup = std::fs::read_to_string(format!("/proc/{}/smaps_rollup", process.pid));
    let rollup = rollup.unwrap_or_default();
    let kib = |key: &str| {
        let line = rollup.lines().find_map(|l| l.strip_prefix(key))?;
        line.split_whitespace().next()?.parse::<u64>().ok()
    };
    Memory {
        pid: process.pid,
        name: process.name.clone(),
        pss_kib: kib("Pss:"),
        rss_kib: kib("Rss:"),
    }
}

/// Waits for the processes to exit (a closed session or a killed parent takes its web
/// processes with it), then kills what is left: nothing of one launch may weigh on the next.
fn wait_gone(pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let alive = |pids: &[u32]| -> Vec<u32> {
        let processes = all_processes().into_iter().filter(|p| !p.zombie);
        let running: HashSet<u32> = processes.map(|p| p.pid).collect();
        pids.iter()
            .copied()
            .filter(|p| running.contains(p))
            .collect()
    };
    while Instant::now() < deadline {
        if alive(pids).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for pid in alive(pids) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

// ---- Output --------------------------------------------------------------------------------

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median, minimum and maximum, in milliseconds.
fn spread(values: impl Iterator<Item = Duration>) -> String {
    let mut values: Vec<f64> = values.map(ms).collect();
    if values.is_empty() {
        return "n/a".into();
    }
    values.sort_by(f64::total_cmp);
    let median = match values.len() % 2 {
        1 => values[values.len() / 2],
        _ => (values[values.len() / 2 - 1] + values[values.len() / 2]) / 2.0,
    };
    let (min, max) = (values[0], values[values.len() - 1]);
    format!("{median:>7.0} ms  (min {min:.0}, max {max:.0})")
}

fn print_launches(what: &str, launches: &[Launch]) {
    println!(
        "\nstart to interactive: {what}, {} launches",
        launches.len()
    );
    let column = |f: fn(&Launch) -> Duration| spread(launches.iter().map(f));
    println!("  app start → screen     {}", column(|l| l.interactive));
    let inserted: Vec<Duration> = launches.iter().filter_map(|l| l.inserted).collect();
    let seen = format!("{} of {} launches", inserted.len(), launches.len());
    println!(
        "  app start → element in   {} ({seen})",
        spread(inserted.into_iter())
    );
    println!("    app start → session  {}", column(|l| l.session));
    let window = spread(launches.iter().filter_map(|l| l.window));
    println!("    app start → window   {window}");
    let navigation = spread(launches.iter().filter_map(|l| l.navigation));
    println!("    app start → page load {navigation}");
    println!("  session request → scr. {}", column(|l| l.requested));
    println!("    drivers launching    {}", column(|l| l.driver_launch));
    println!("    one element query    {}", column(|l| l.query));
    let each: Vec<String> = launches
        .iter()
        .map(|l| format!("{:.0}", ms(l.interactive)))
        .collect();
    println!("  each (ms)              {}", each.join(", "));
}

fn print_memory(what: &str, memory: &[Memory]) {
    let mib = |kib: Option<u64>| kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0));
    println!("\n{what}, after {} s", SETTLE.as_secs());
    println!(
        "  {:>7}  {:<24} {:>9} {:>9}",
        "pid", "process", "PSS MiB", "RSS MiB"
    );
    for m in memory {
        let (pss, rss) = (mib(m.pss_kib), mib(m.rss_kib));
        println!("  {:>7}  {:<24} {pss:>9} {rss:>9}", m.pid, m.name);
    }
    let pss: u64 = memory.iter().filter_map(|m| m.pss_kib).sum();
    let rss: u64 = memory.iter().filter_map(|m| m.rss_kib).sum();
    let (pss, rss) = (mib(Some(pss)), mib(Some(rss)));
    println!(
        "  {:>7}  {:<24} {pss:>9} {rss:>9}",
        "", "total (RSS double-counts)"
    );
}

fn print_cpu(cpu: &Cpu) {
    let per_second = clock_ticks() as f64;
    let percent = |ticks: u64| ticks as f64 / per_second / cpu.window.as_secs_f64() * 100.0;
    println!(
        "\nidle CPU while syncing every {SYNC_INTERVAL_SECS} s, over {:.0} s: {} sync passes",
        cpu.window.as_secs_f64(),
        cpu.passes
    );
    for (name, ticks) in cpu.ticks.iter().filter(|(_, t)| *t > 0) {
        println!("  {name:<24} {:>6.2} % of one core", percent(*ticks));
    }
    println!(
        "  {:<24} {:>6.2} % of one core",
        "whole tree",
        percent(cpu.total_ticks)
    );
}

/// Where the drivers' and the app's own output goes: `TOCSIN_BENCH_LOG` if set, else nowhere.
fn driver_log() -> Stdio {
    let file = std::env::var_os("TOCSIN_BENCH_LOG").and_then(|path| {
        let open = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        open.ok()
    });
    file.map_or_else(Stdio::null, Stdio::from)
}
