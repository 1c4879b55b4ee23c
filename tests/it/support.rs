//! Shared fixtures: free ports, the `tocsin` binary in a temporary data directory, a real
//! Alertmanager, and a private D-Bus session bus with a notification server that logs calls.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Fails with an actionable message when a system program the test needs is missing.
pub fn require(program: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{program}` is not installed; run the test suite with scripts/test.sh"
    );
}

/// Kills a child process when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `tocsin` CLI bound to one temporary data directory and optional extra environment.
pub struct Cli {
    pub data_dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Cli {
    pub fn new() -> Cli {
        Cli {
            data_dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
        cmd.env("TOCSIN_DATA_DIR", self.data_dir.path())
            .env_remove("TOCSIN_LOG");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs to completion and returns the output, whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tocsin {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A CLI with one Alertmanager account named `am` at `url`.
    pub fn with_alertmanager(url: &str) -> Cli {
        let cli = Cli::new();
        cli.ok(&[
            "account",
            "add",
            "alertmanager",
            "--name",
            "am",
            "--url",
            url,
        ]);
        cli
    }

    /// A CLI with one PagerDuty account named `pd` at `url`, its token in `PD_TOKEN`.
    pub fn with_pagerduty(url: &str, token: &str) -> Cli {
        let mut cli = Cli::new();
        cli.env.push(("PD_TOKEN".into(), token.into()));
        let add = [
            "account",
            "add",
            "pagerduty",
            "--name",
            "pd",
            "--api-url",
            url,
        ];
        cli.ok(&[&add[..], &["--token-env", "PD_TOKEN"]].concat());
        cli
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.path().join(tocsin::store::DB_FILE)
    }
}

/// A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) on a loopback port.
pub struct Alertmanager {
    pub url: String,
    _dir: tempfile::TempDir,
    _process: Guard,
}

impl Alertmanager {
    pub fn start() -> Alertmanager {
        require("prometheus-alertmanager");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n",
        )
        .unwrap();
        let port = free_port();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let am = Alertmanager {
            url,
            _dir: dir,
            _process: Guard(child),
        };
        wait_for(Duration::from_secs(30), "Alertmanager to be ready", || {
            let ready = Command::new("curl")
                .args(["-sf", &format!("{}/-/ready", am.url)])
                .output();
            ready.ok().filter(|o| o.status.success()).map(|_| ())
        });
        am
    }

    /// The silences Alertmanager holds, expired ones included.
    pub fn silences(&self) -> Vec<serde_json::Value> {
        let out = Command::new("curl")
            .args(["-sf", &format!("{}/api/v2/silences", self.url)])
            .output()
            .unwrap();
        assert!(out.status.success(), "reading silences failed: {out:?}");
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list.as_array().cloned().unwrap_or_default()
    }

    /// Posts alerts as Prometheus would (a JSON array). The body goes through stdin, since a
    /// command-line argument is limited to 128 KiB and hostile alerts are larger.
    pub fn post(&self, alerts: serde_json::Value) {
        use std::io::Write;
        let mut child = Command::new("curl")
            .args(["-sf", "-X", "POST", "-H", "content-type: application/json"])
            .args([
                "--data-binary",
                "@-",
                &format!("{}/api/v2/alerts", self.url),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(alerts.to_string().as_bytes()).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "posting alerts failed: {out:?}");
    }
}

/// A private D-Bus session bus (its own `dbus-daemon`), gone when dropped.
pub struct SessionBus {
    pub address: String,
    _daemon: Guard,
}

impl SessionBus {
    pub fn start() -> SessionBus {
        require("dbus-daemon");
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        SessionBus {
            address: line.trim().to_string(),
            _daemon: Guard(daemon),
        }
    }

    /// Runs a snippet of Debian's python3 with `ADDR` bound to the bus address; `; ` separates
    /// statements.
    pub fn python(&self, code: &str) -> String {
        let script = format!("ADDR = {:?}\n{}", self.address, code.replace("; ", "\n"));
        let out = Command::new("/usr/bin/python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until some process owns `name` on this bus.
    pub fn wait_for_name(&self, name: &str) {
        wait_for(Duration::from_secs(20), name, || {
            self.python(&format!(
                "import dbus; b = dbus.bus.BusConnection(ADDR); print(b.name_has_owner({name:?}))"
            ))
            .contains("True")
            .then_some(())
        });
    }
}

/// A real secret service (gnome-keyring) on a private bus, with a throwaway home and an
/// unlocked login keyring: the OS keychain as Tocsin meets it on a Linux desktop.
pub struct Keychain {
    pub bus: SessionBus,
    pub home: tempfile::TempDir,
    _daemon: Guard,
}

impl Keychain {
    pub fn start() -> Keychain {
        require("gnome-keyring-daemon");
        let bus = SessionBus::start();
        let home = tempfile::tempdir().unwrap();
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The unlock password arrives on stdin; closing it lets the daemon go on.
        std::io::Write::write_all(&mut daemon.stdin.take().unwrap(), b"test-password").unwrap();
        let keychain = Keychain {
            bus,
            home,
            _daemon: Guard(daemon),
        };
        keychain.bus.wait_for_name("org.freedesktop.secrets");
        keychain
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.address.clone()),
            ("HOME".into(), self.home.path().display().to_string()),
        ]
    }
}

/// A private D-Bus session bus with python3-dbusmock's notification server logging to a file.
pub struct NotificationBus {
    pub bus: SessionBus,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
    _mock: Guard,
}

impl NotificationBus {
    pub fn start() -> NotificationBus {
        let bus = SessionBus::start();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("notifications.log");
        let mock = Command::new("/usr/bin/python3")
            .args(["-m", "dbusmock", "--template", "notification_daemon", "-l"])
            .arg(&log)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mock = Guard(mock);
        bus.wait_for_name("org.freedesktop.Notifications");
        NotificationBus {
            bus,
            log,
            _dir: dir,
            _mock: mock,
        }
    }

    /// Every `Notify` call logged so far, one string each. The mock logs a call as
    /// `<timestamp> Notify <args>`, and a body with newlines continues on the next lines.
    pub fn notify_calls(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut records: Vec<String> = Vec::new();
        for line in text.lines() {
            let starts_record = line
                .split(' ')
                .next()
                .is_some_and(|t| t.parse::<f64>().is_ok());
            match records.last_mut() {
                Some(last) if !starts_record => {
                    last.push('\n');
                    last.push_str(line);
                }
                _ => records.push(line.to_string()),
            }
        }
        records.retain(|r| r.split(' ').nth(1) == Some("Notify"));
        records
    }

    /// Acts as if the person clicked `action` on notification `id`.
    pub fn invoke_action(&self, id: u32, action: &str) {
        self.bus.python(&format!(
            "import dbus; b = dbus.bus.BusConnection(ADDR); \
             o = b.get_object('org.freedesktop.Notifications', '/org/freedesktop/Notifications'); \
             o.EmitSignal('org.freedesktop.Notifications', 'ActionInvoked', 'us', \
             [dbus.UInt32({id}), {action:?}], dbus_interface='org.freedesktop.DBus.Mock')"
        ));
    }

    pub fn env(&self) -> (String, String) {
        ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.address.clone())
    }
}

/// Opens a test's database directly, to look at what was stored.
pub fn open_db(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// A tiny HTTP server on loopback answering 200 with a fixed JSON body per path, for servers
/// that misbehave in ways no real one is known to reproduce on demand.
pub struct StaticServer {
    pub url: String,
    bodies: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

impl StaticServer {
    pub fn start() -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let bodies = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
        let served = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let _ = answer(stream, &served);
            }
        });
        StaticServer { url, bodies }
    }

    /// From now on, `path` (without the query) answers with `body`.
    pub fn serve(&self, path: &str, body: serde_json::Value) {
        self.bodies
            .lock()
            .unwrap()
            .insert(path.to_string(), body.to_string());
    }
}

fn answer(
    stream: std::net::TcpStream,
    bodies: &std::sync::Mutex<std::collections::HashMap<String, String>>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let body = bodies.lock().unwrap().get(path).cloned();
    let (status, body) = match body {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", "{}".to_string()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
}
